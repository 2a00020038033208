//! A simulated participant: a WebSocket that speaks Plenary's protocol and keeps its own
//! `MeetingView` by applying events, exactly as the browser's store does.

use crate::{DEADLINE, HarnessError, Result};
use futures_util::{SinkExt, StreamExt};
use plenary_shared::ids::{MeetingId, ParticipantId, SessionToken};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::event::Event;
use plenary_shared::meeting::view::MeetingView;
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION, ProtocolError, ServerMsg};
use std::net::SocketAddr;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The WebSocket under a client.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One simulated client.
pub struct Client {
    ws: Ws,
    /// Who the server says we are, once welcomed.
    pub me: Option<ParticipantId>,
    /// Our picture of the meeting, kept by applying events.
    pub view: MeetingView,
    /// Our resume capability, once welcomed.
    pub token: Option<SessionToken>,
    /// Every event received, in order.
    pub log: Vec<Event>,
}

/// Each client's WebSocket read buffer: most frames are a few KiB.
const READ_BUFFER_BYTES: usize = 8 * 1024;

impl Client {
    /// Opens a socket to a meeting without joining.
    pub async fn connect(addr: SocketAddr, meeting: &MeetingId) -> Result<Client> {
        let url = format!("ws://{addr}/api/meetings/{meeting}/ws");
        // tungstenite zero-fills its whole read buffer (128 KiB by default) on every read; with
        // a thousand clients in the benchmark that memset was a third of the load generator.
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
        // TCP_NODELAY, as browsers set it: with Nagle's algorithm, a command written right after
        // an automatic pong waited for the server's delayed acknowledgement (40 ms).
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .map_err(Box::new)?;
        Ok(Client::over(ws))
    }

    fn over(ws: Ws) -> Client {
        Client {
            ws,
            me: None,
            view: MeetingView::default(),
            token: None,
            log: Vec::new(),
        }
    }

    /// The bare socket, for a reader that does its own parsing (the benchmark's crowd).
    pub fn into_stream(self) -> Ws {
        self.ws
    }

    /// Opens a socket whose receive buffer is tiny, for clients meant to fall behind.
    pub async fn connect_small_buffer(addr: SocketAddr, meeting: &MeetingId) -> Result<Client> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let stream = socket.connect(addr).await?;
        let url = format!("ws://{addr}/api/meetings/{meeting}/ws");
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .map_err(Box::new)?;
        Ok(Client::over(ws))
    }

    /// Sends `Join` on an open socket and waits for the welcome.
    pub async fn join_on(&mut self, name: &str, credential: Credential) -> Result<()> {
        self.send(&ClientMsg::Join {
            version: PROTOCOL_VERSION,
            name: name.into(),
            email: None,
            passcode: None,
            credential,
        })
        .await?;
        self.next_until("welcome", |m| matches!(m, ServerMsg::Welcome { .. }))
            .await?;
        Ok(())
    }

    /// Connects and joins; returns once welcomed.
    pub async fn join(
        addr: SocketAddr,
        meeting: &MeetingId,
        name: &str,
        credential: Credential,
    ) -> Result<Client> {
        let mut client = Client::connect(addr, meeting).await?;
        client.join_on(name, credential).await?;
        Ok(client)
    }

    /// Connects and resumes an earlier session; returns once welcomed back.
    pub async fn resume(
        addr: SocketAddr,
        meeting: &MeetingId,
        token: SessionToken,
    ) -> Result<Client> {
        let mut client = Client::connect(addr, meeting).await?;
        client
            .send(&ClientMsg::Resume {
                version: PROTOCOL_VERSION,
                token,
            })
            .await?;
        client
            .next_until("welcome back", |m| matches!(m, ServerMsg::Welcome { .. }))
            .await?;
        Ok(client)
    }

    /// Asks the server for its picture and checks ours equals it (all earlier events applied).
    pub async fn sync(&mut self) -> Result<()> {
        self.send(&ClientMsg::Snapshot).await?;
        let msg = self
            .next_until("snapshot", |m| matches!(m, ServerMsg::Snapshot { .. }))
            .await?;
        match msg {
            ServerMsg::Snapshot { meeting } if meeting == self.view => Ok(()),
            ServerMsg::Snapshot { meeting } => Err(HarnessError::Other(format!(
                "client {:?} drifted from the server:\n client: {:?}\n server: {:?}",
                self.me, self.view, meeting
            ))),
            _ => Err(HarnessError::Other("not a snapshot".into())),
        }
    }

    /// Drops the TCP connection without a WebSocket close, as a lost network would.
    pub fn drop_abruptly(self) {
        drop(self.ws);
    }

    /// Sends a protocol message.
    pub async fn send(&mut self, msg: &ClientMsg) -> Result<()> {
        self.send_text(serde_json::to_string(msg)?).await
    }

    /// Sends a command.
    pub async fn command(&mut self, command: Command) -> Result<()> {
        self.send(&ClientMsg::Command { command }).await
    }

    /// Sends raw text, for malformed-input tests.
    pub async fn send_text(&mut self, text: String) -> Result<()> {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| HarnessError::Ws(Box::new(e)))
    }

    /// Sends a raw frame, for protocol-abuse tests.
    pub async fn send_raw(&mut self, message: Message) -> Result<()> {
        self.ws
            .send(message)
            .await
            .map_err(|e| HarnessError::Ws(Box::new(e)))
    }

    /// The next server message (applied to our view), or `None` once the server closed.
    pub async fn next(&mut self) -> Result<Option<ServerMsg>> {
        self.next_within(Some(DEADLINE)).await
    }

    /// Like `next`, waiting at most `limit` (or for ever).
    pub async fn next_within(
        &mut self,
        limit: Option<std::time::Duration>,
    ) -> Result<Option<ServerMsg>> {
        loop {
            let frame = match limit {
                Some(limit) => tokio::time::timeout(limit, self.ws.next())
                    .await
                    .map_err(|_| HarnessError::Timeout("a server message".into()))?,
                None => self.ws.next().await,
            };
            let text = match frame {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Err(e)) => return Err(HarnessError::Ws(Box::new(e))),
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(_)) => continue,
            };
            let msg: ServerMsg = serde_json::from_str(&text)?;
            match &msg {
                ServerMsg::Welcome {
                    you,
                    meeting,
                    token,
                    ..
                } => {
                    self.me = Some(*you);
                    self.view = meeting.clone();
                    self.token = Some(token.clone());
                }
                ServerMsg::Snapshot { .. } | ServerMsg::Media { .. } => {}
                ServerMsg::Event { event } => {
                    self.view.apply(event);
                    self.log.push(event.clone());
                }
                ServerMsg::Error { .. } => {}
            }
            return Ok(Some(msg));
        }
    }

    /// Reads messages until one matches `pred`, and returns it.
    pub async fn next_until(
        &mut self,
        what: &str,
        pred: impl Fn(&ServerMsg) -> bool,
    ) -> Result<ServerMsg> {
        loop {
            match self.next().await? {
                Some(msg) if pred(&msg) => return Ok(msg),
                Some(ServerMsg::Error { message, .. }) if what != "error" => {
                    return Err(HarnessError::Other(format!(
                        "server error while waiting for {what}: {message}"
                    )));
                }
                Some(_) => {}
                None => return Err(HarnessError::Other(format!("closed before {what}"))),
            }
        }
    }

    /// Reads until the next error and returns it.
    pub async fn next_error(&mut self) -> Result<ProtocolError> {
        match self
            .next_until("error", |m| matches!(m, ServerMsg::Error { .. }))
            .await?
        {
            ServerMsg::Error { error, .. } => Ok(error),
            _ => Err(HarnessError::Other("not an error".into())),
        }
    }

    /// Reads until our view satisfies `pred`.
    pub async fn until_view(
        &mut self,
        what: &str,
        pred: impl Fn(&MeetingView) -> bool,
    ) -> Result<()> {
        while !pred(&self.view) {
            if self.next().await?.is_none() {
                return Err(HarnessError::Other(format!("closed before {what}")));
            }
        }
        Ok(())
    }

    /// Names in our view, in order.
    pub fn names(&self) -> Vec<String> {
        self.view
            .participants
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }

    /// Reads until the server closes the connection; returns the close code (`None` if the
    /// connection ended without a close frame). Messages on the way are applied as usual.
    pub async fn closed_with(&mut self) -> Result<Option<u16>> {
        loop {
            let frame = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .map_err(|_| HarnessError::Timeout("the server to close".into()))?;
            match frame {
                None | Some(Err(_)) => return Ok(None),
                Some(Ok(Message::Close(close))) => return Ok(close.map(|c| u16::from(c.code))),
                Some(Ok(Message::Text(t))) => {
                    if let Ok(ServerMsg::Event { event }) = serde_json::from_str::<ServerMsg>(&t) {
                        self.view.apply(&event);
                        self.log.push(event);
                    }
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Leaves the meeting (the `Leave` command), then closes the socket.
    pub async fn leave(mut self) -> Result<()> {
        self.command(Command::Leave).await?;
        self.close().await
    }

    /// Closes the socket cleanly. The server treats this as a drop (a reload looks the same):
    /// the participant keeps their place for the grace period.
    pub async fn close(mut self) -> Result<()> {
        self.ws
            .close(None)
            .await
            .map_err(|e| HarnessError::Ws(Box::new(e)))
    }
}
