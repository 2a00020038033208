//! The WebSocket layer: turns text frames into messages for a meeting's actor and the actor's
//! frames back into WebSocket messages. It holds no meeting state. Everything it refuses it
//! refuses with a typed `ServerMsg::Error` and keeps the connection open; it limits each
//! connection's rate and its passcode tries, pings idle clients, closes a connection that has not
//! joined in time, closes with 1007 or 1009 what it cannot read (and that person leaves at once,
//! leaving no ghost in the list), and tells the actor when a connection is gone. A close from the
//! browser (a reload, a closed tab) is a drop, never a leave: only the `Leave` command leaves.

use crate::clock::Clock;
use crate::limits::Permit;
use crate::lti::keys::TicketKey;
use crate::meetings::{
    ActorMsg, Close, ConnId, Connection, Departure, JoinRequest, MeetingHandle, encode,
};
use crate::metrics::Metrics;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use plenary_shared::ids::{MeetingId, ParticipantId};
use plenary_shared::lms::Launched;
use plenary_shared::media::{ClientSignal, MAX_VIEW_TILES};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::CommandError;
use plenary_shared::protocol::{
    ClientMsg, MAX_FRAME_BYTES, PROTOCOL_VERSION, ProtocolError, ServerMsg,
};
use plenary_shared::throttle::{SOCKET, Tries};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// Frames queued for one client before it counts as too slow.
pub const OUTBOX_CAPACITY: usize = 256;

/// Starting read and write buffer of each WebSocket (a larger frame still fits: they grow).
pub const SOCKET_BUFFER_BYTES: usize = 8 * 1024;

/// Largest message the WebSocket library buffers at all. Between this and `MAX_FRAME_BYTES` the
/// client gets a typed `FrameTooLarge`; above it the connection is closed with code 1009.
pub const HARD_MESSAGE_LIMIT: usize = 1024 * 1024;

/// How often the server pings; a client silent for `IDLE_TIMEOUT` counts as dropped.
pub const PING_EVERY: Duration = Duration::from_secs(20);
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Sustained frames per second a client may send, and the burst above that.
pub const RATE_PER_SEC: f64 = 50.0;
pub const RATE_BURST: f64 = 100.0;

/// What every connection needs besides its meeting.
#[derive(Clone)]
pub struct WsContext {
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    /// A connection that has not joined by then is closed.
    pub join_timeout: Duration,
    /// Opens the tickets of course launches (`Credential::Launch`), if LTI is on.
    pub tickets: Option<TicketKey>,
    /// The meeting this connection is for, which a ticket must name.
    pub meeting: MeetingId,
}

/// Reads one text frame as a client message.
pub fn decode(text: &str) -> Result<ClientMsg, ProtocolError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(ProtocolError::FrameTooLarge {
            size: text.len(),
            limit: MAX_FRAME_BYTES,
        });
    }
    serde_json::from_str(text).map_err(|e| ProtocolError::Malformed {
        detail: e.to_string(),
    })
}

/// A token bucket: `burst` frames at once, refilled at `rate` per second. Every frame over the
/// limit is answered with `RateLimited`; a client that floods without reading fills its bounded
/// outbox and is disconnected like any slow client.
#[derive(Debug, Clone)]
pub struct RateLimit {
    tokens: f64,
    last: Instant,
    rate: f64,
    burst: f64,
}

impl RateLimit {
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        RateLimit {
            tokens: burst,
            last: now,
            rate,
            burst,
        }
    }

    /// Whether a frame arriving at `now` is within the limit (and spends a token if so).
    pub fn allows(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Tells a client why it cannot go on (no such meeting, the server is full), then closes with
/// `close`.
pub async fn refuse(mut socket: WebSocket, error: ProtocolError, close: Close) {
    let frame = encode(&ServerMsg::error(error));
    let _ = socket.send(Message::Text(frame)).await;
    let _ = socket.send(Message::Close(Some(close_frame(close)))).await;
}

fn close_frame(close: Close) -> CloseFrame {
    CloseFrame {
        code: close.code,
        reason: Utf8Bytes::from_static(close.reason),
    }
}

/// The close code for a read error the library reports: not UTF-8 (1007), too large (1009).
fn broken(error: &axum::Error) -> Option<Close> {
    let inner = std::error::Error::source(error)?;
    match inner.downcast_ref::<tungstenite::Error>()? {
        tungstenite::Error::Utf8(_) => Some(Close::NOT_UTF8),
        tungstenite::Error::Capacity(_) => Some(Close::TOO_BIG),
        _ => None,
    }
}

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// Resolves once this connection is to close (or the flag's owner is gone), with how.
async fn until_closed(closer: &mut watch::Receiver<Option<Close>>) -> Option<Close> {
    match closer.wait_for(Option::is_some).await {
        Ok(close) => *close,
        Err(_) => None,
    }
}

/// Runs one client connection to `meeting` from `addr` until either side closes it. `permit`
/// holds the connection's place in the caps for as long as it is open.
pub async fn serve(
    socket: WebSocket,
    meeting: MeetingHandle,
    ctx: WsContext,
    addr: IpAddr,
    permit: Permit,
) {
    Metrics::shift(&ctx.metrics.connections, 1);
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut frames) = mpsc::channel::<Utf8Bytes>(OUTBOX_CAPACITY);
    let closer = Arc::new(watch::Sender::new(None::<Close>));
    let mut writer_closer = closer.subscribe();
    let writer = tokio::spawn(async move {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let close = loop {
            tokio::select! {
                biased;
                close = until_closed(&mut writer_closer) => break close,
                frame = frames.recv() => match frame {
                    Some(frame) => {
                        if sink.send(Message::Text(frame)).await.is_err() {
                            break None;
                        }
                    }
                    None => break None,
                },
                _ = ping.tick() => {
                    if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                        break None;
                    }
                }
            }
        };
        // Closing on purpose: what was queued (the notice of why) goes first.
        if let Some(close) = close {
            while let Ok(frame) = frames.try_recv() {
                if sink.send(Message::Text(frame)).await.is_err() {
                    break;
                }
            }
            let _ = sink.send(Message::Close(Some(close_frame(close)))).await;
        }
        let _ = sink.close().await;
    });

    let mut reader_closer = closer.subscribe();
    let id = ConnId(NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed));
    let mut session = Session {
        meeting: Some(meeting),
        connection: Connection { id, outbox, closer },
        joined: None,
        metrics: ctx.metrics.clone(),
        clock: ctx.clock.clone(),
        addr,
        limit: RateLimit::new(RATE_PER_SEC, RATE_BURST, Instant::now()),
        passcode_tries: Tries::default(),
        tickets: ctx.tickets.clone(),
        meeting_id: ctx.meeting.clone(),
    };
    let join_deadline = tokio::time::sleep(ctx.join_timeout);
    tokio::pin!(join_deadline);
    let mut how = Departure::Dropped;
    loop {
        let message = tokio::select! {
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => match next {
                Ok(Some(Ok(message))) => message,
                Ok(Some(Err(e))) => {
                    if let Some(close) = broken(&e) {
                        Metrics::bump(&session.metrics.protocol_errors);
                        how = Departure::Broken;
                        session.connection.close(close);
                    }
                    break;
                }
                Ok(None) | Err(_) => break,
            },
            _ = until_closed(&mut reader_closer) => break,
            () = &mut join_deadline, if session.joined.is_none() => {
                Metrics::bump(&session.metrics.join_timeouts);
                let secs = ctx.join_timeout.as_secs_f64().ceil();
                let seconds = u32::try_from(secs as u64).unwrap_or(u32::MAX);
                session.reply_error(ProtocolError::JoinTimeout { seconds });
                session.connection.close(Close::JOIN_TIMEOUT);
                break;
            }
        };
        match message {
            Message::Text(text) => session.receive(&text).await,
            Message::Binary(_) => session.refuse(ProtocolError::BinaryFrame),
            // A close is a drop like any other: the page may be reloading.
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
        if session.meeting.is_none() {
            break;
        }
    }
    if let (Some(meeting), Some(who)) = (&session.meeting, session.joined) {
        let gone = ActorMsg::Disconnected {
            who,
            connection: id,
            how,
        };
        let _ = meeting.send(gone).await;
    }
    Metrics::shift(&session.metrics.connections, -1);
    drop(session);
    let _ = writer.await;
    drop(permit);
}

struct Session {
    /// `None` once the meeting's actor is gone.
    meeting: Option<MeetingHandle>,
    connection: Connection,
    joined: Option<ParticipantId>,
    metrics: Arc<Metrics>,
    clock: Clock,
    addr: IpAddr,
    limit: RateLimit,
    /// Wrong passcodes on this connection (the address and meeting levels are the engine's).
    passcode_tries: Tries,
    tickets: Option<TicketKey>,
    meeting_id: MeetingId,
}

impl Session {
    /// The ticket of a course launch, if it is ours, unexpired, and for this meeting.
    fn open_ticket(&self, ticket: &str) -> Option<crate::lti::Ticket> {
        let opened = crate::lti::open_ticket(self.tickets.as_ref()?, ticket)?;
        (opened.meeting.as_ref() == Some(&self.meeting_id)).then_some(opened)
    }

    async fn receive(&mut self, text: &str) {
        Metrics::bump(&self.metrics.messages_in);
        if !self.limit.allows(Instant::now()) {
            Metrics::bump(&self.metrics.rate_limited);
            self.reply_error(ProtocolError::RateLimited);
            return;
        }
        match decode(text) {
            Ok(msg) => self.handle(msg).await,
            Err(error) => self.refuse(error),
        }
    }

    async fn handle(&mut self, msg: ClientMsg) {
        let Some(meeting) = self.meeting.clone() else {
            return;
        };
        match (msg, self.joined) {
            (
                ClientMsg::Join {
                    version,
                    name,
                    email,
                    credential,
                    passcode,
                },
                None,
            ) => {
                if !self.version_ok(version) {
                    return;
                }
                let tries_passcode = credential == Credential::Participant
                    && passcode.as_deref().is_some_and(|p| !p.trim().is_empty());
                let now = self.clock.now();
                let wait = self.passcode_tries.wait_ms(now);
                if tries_passcode && wait > 0 {
                    Metrics::bump(&self.metrics.passcode_throttled);
                    let retry_after_secs = u32::try_from(wait.div_ceil(1000)).unwrap_or(u32::MAX);
                    let error = CommandError::TooManyPasscodeTries { retry_after_secs };
                    self.refuse(ProtocolError::Rejected { error });
                    return;
                }
                // A course launch: the ticket says who this is (the LMS name, no join form).
                let (name, email, launched) = match &credential {
                    Credential::Launch { ticket } => match self.open_ticket(ticket) {
                        Some(ticket) => (
                            ticket.name,
                            ticket.email,
                            Some(Launched {
                                subject: ticket.subject,
                                role: ticket.role,
                            }),
                        ),
                        None => {
                            self.refuse(ProtocolError::LaunchExpired);
                            return;
                        }
                    },
                    _ => (name, email, None),
                };
                let (reply, answer) = oneshot::channel();
                let join = ActorMsg::Join {
                    request: JoinRequest {
                        name,
                        email,
                        credential,
                        passcode,
                        from: self.addr,
                        launched,
                    },
                    connection: self.connection.clone(),
                    reply,
                };
                let refused = self.await_entry(&meeting, join, answer).await;
                if let Some(ProtocolError::Rejected {
                    error: CommandError::WrongPasscode,
                }) = refused
                {
                    self.passcode_tries.fail(&SOCKET, self.clock.now());
                }
            }
            (ClientMsg::Resume { version, token }, None) => {
                if self.version_ok(version) {
                    let (reply, answer) = oneshot::channel();
                    let connection = self.connection.clone();
                    let resume = ActorMsg::Resume {
                        token,
                        connection,
                        reply,
                    };
                    self.await_entry(&meeting, resume, answer).await;
                }
            }
            (ClientMsg::Join { .. } | ClientMsg::Resume { .. }, Some(_)) => {
                self.refuse(ProtocolError::AlreadyJoined);
            }
            (ClientMsg::Command { .. } | ClientMsg::Snapshot | ClientMsg::Media { .. }, None) => {
                self.refuse(ProtocolError::NotJoined);
            }
            (ClientMsg::Command { command }, Some(from)) => {
                self.forward(&meeting, ActorMsg::Command { from, command })
                    .await;
            }
            (ClientMsg::Snapshot, Some(from)) => {
                self.forward(&meeting, ActorMsg::Snapshot { from }).await;
            }
            (
                ClientMsg::Media {
                    signal: ClientSignal::View { tiles },
                },
                Some(_),
            ) if tiles.len() > MAX_VIEW_TILES => {
                self.refuse(ProtocolError::TooManyTiles {
                    count: tiles.len(),
                    limit: MAX_VIEW_TILES,
                });
            }
            (ClientMsg::Media { signal }, Some(from)) => {
                self.forward(&meeting, ActorMsg::Media { from, signal })
                    .await;
            }
        }
    }

    fn version_ok(&self, version: u16) -> bool {
        if version == PROTOCOL_VERSION {
            return true;
        }
        self.refuse(ProtocolError::UnsupportedVersion {
            requested: version,
            supported: PROTOCOL_VERSION,
        });
        false
    }

    /// Sends a join or resume and records who we are if it worked; returns the refusal if not.
    async fn await_entry(
        &mut self,
        meeting: &MeetingHandle,
        msg: ActorMsg,
        answer: oneshot::Receiver<Result<ParticipantId, ProtocolError>>,
    ) -> Option<ProtocolError> {
        if meeting.send(msg).await.is_err() {
            self.fail_meeting_gone();
            return Some(ProtocolError::UnknownMeeting);
        }
        match answer.await {
            Ok(Ok(id)) => {
                self.joined = Some(id);
                None
            }
            Ok(Err(error)) => {
                self.refuse(error.clone());
                Some(error)
            }
            Err(_) => {
                self.fail_meeting_gone();
                Some(ProtocolError::UnknownMeeting)
            }
        }
    }

    async fn forward(&mut self, meeting: &MeetingHandle, msg: ActorMsg) {
        if meeting.send(msg).await.is_err() {
            self.fail_meeting_gone();
        }
    }

    fn fail_meeting_gone(&mut self) {
        self.reply_error(ProtocolError::UnknownMeeting);
        self.meeting = None;
    }

    /// Refuses a frame: counted as a protocol error and answered.
    fn refuse(&self, error: ProtocolError) {
        Metrics::bump(&self.metrics.protocol_errors);
        self.reply_error(error);
    }

    fn reply_error(&self, error: ProtocolError) {
        // If even the error cannot be queued the client is hopelessly behind; the actor's own
        // slow-client handling drops it.
        let _ = self
            .connection
            .outbox
            .try_send(encode(&ServerMsg::error(error)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_frames_are_refused_before_parsing() {
        let big = format!(r#"{{"join":{{"name":"{}"}}}}"#, "x".repeat(MAX_FRAME_BYTES));
        assert!(matches!(
            decode(&big),
            Err(ProtocolError::FrameTooLarge {
                limit: MAX_FRAME_BYTES,
                ..
            })
        ));
    }

    #[test]
    fn malformed_json_is_a_typed_error() {
        assert!(matches!(
            decode("{nope"),
            Err(ProtocolError::Malformed { .. })
        ));
        assert!(matches!(
            decode(r#"{"command":{"command":"self_destruct"}}"#),
            Err(ProtocolError::Malformed { .. })
        ));
    }

    #[test]
    fn valid_frames_decode() {
        assert!(matches!(
            decode(r#"{"command":{"command":"leave"}}"#),
            Ok(ClientMsg::Command { .. })
        ));
        assert_eq!(decode(r#""snapshot""#), Ok(ClientMsg::Snapshot));
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_the_sustained_rate() {
        let t0 = Instant::now();
        let mut limit = RateLimit::new(10.0, 5.0, t0);
        assert!((0..5).all(|_| limit.allows(t0)));
        assert!(!limit.allows(t0));
        // 100 ms later one more token has arrived.
        let t1 = t0 + Duration::from_millis(100);
        assert!(limit.allows(t1));
        assert!(!limit.allows(t1));
        // After a long pause the bucket holds the burst, not more.
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!((0..20).filter(|_| limit.allows(t2)).count(), 5);
    }
}
