//! The WebSocket layer: turns text frames into messages for a meeting's actor and the actor's
//! frames back into WebSocket messages. It holds no meeting state. Everything it refuses it
//! refuses with a typed `ServerMsg::Error` and keeps the connection open; it limits each
//! connection's rate, pings idle clients, and tells the actor whether a connection closed cleanly
//! (the person left) or dropped (they may resume).

use crate::meetings::{ActorMsg, ConnId, Connection, MeetingHandle, encode};
use crate::metrics::Metrics;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use plenary_shared::ids::ParticipantId;
use plenary_shared::protocol::{
    ClientMsg, MAX_FRAME_BYTES, PROTOCOL_VERSION, ProtocolError, ServerMsg,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// Frames queued for one client before it counts as too slow.
pub const OUTBOX_CAPACITY: usize = 256;

/// Starting read and write buffer of each WebSocket (a larger frame still fits: they grow).
pub const SOCKET_BUFFER_BYTES: usize = 8 * 1024;

/// Largest message the WebSocket library buffers at all. Between this and `MAX_FRAME_BYTES` the
/// client gets a typed `FrameTooLarge`; above it the library closes the socket (code 1009).
pub const HARD_MESSAGE_LIMIT: usize = 1024 * 1024;

/// How often the server pings; a client silent for `IDLE_TIMEOUT` counts as dropped.
pub const PING_EVERY: Duration = Duration::from_secs(20);
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Sustained frames per second a client may send, and the burst above that.
pub const RATE_PER_SEC: f64 = 50.0;
pub const RATE_BURST: f64 = 100.0;

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

/// Tells a client there is no such meeting, then closes.
pub async fn refuse_unknown_meeting(mut socket: WebSocket) {
    let frame = encode(&ServerMsg::error(ProtocolError::UnknownMeeting));
    let _ = socket.send(Message::Text(frame)).await;
    let _ = socket.close().await;
}

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// Resolves once the actor has dropped this connection (or the flag's owner is gone).
async fn until_kicked(kicked: &mut watch::Receiver<bool>) {
    // The borrow guard is dropped here, so the future stays `Send`.
    let _ = kicked.wait_for(|k| *k).await;
}

/// Runs one client connection to `meeting` until either side closes it.
pub async fn serve(socket: WebSocket, meeting: MeetingHandle, metrics: Arc<Metrics>) {
    Metrics::shift(&metrics.connections, 1);
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut frames) = mpsc::channel::<Utf8Bytes>(OUTBOX_CAPACITY);
    let kicked = Arc::new(watch::Sender::new(false));
    let mut writer_kicked = kicked.subscribe();
    let writer = tokio::spawn(async move {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                frame = frames.recv() => match frame {
                    Some(frame) => {
                        if sink.send(Message::Text(frame)).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                _ = ping.tick() => {
                    if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                        break;
                    }
                }
                () = until_kicked(&mut writer_kicked) => break,
            }
        }
        let _ = sink.close().await;
    });

    let mut reader_kicked = kicked.subscribe();
    let id = ConnId(NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed));
    let mut session = Session {
        meeting: Some(meeting),
        connection: Connection { id, outbox, kicked },
        joined: None,
        metrics,
        limit: RateLimit::new(RATE_PER_SEC, RATE_BURST, Instant::now()),
    };
    let mut clean = false;
    loop {
        let message = tokio::select! {
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => match next {
                Ok(Some(Ok(message))) => message,
                Ok(Some(Err(_)) | None) | Err(_) => break,
            },
            () = until_kicked(&mut reader_kicked) => break,
        };
        match message {
            Message::Text(text) => session.receive(&text).await,
            Message::Binary(_) => session.refuse(ProtocolError::BinaryFrame),
            Message::Close(_) => {
                clean = true;
                break;
            }
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
            clean,
        };
        let _ = meeting.send(gone).await;
    }
    Metrics::shift(&session.metrics.connections, -1);
    drop(session);
    let _ = writer.await;
}

struct Session {
    /// `None` once the meeting's actor is gone.
    meeting: Option<MeetingHandle>,
    connection: Connection,
    joined: Option<ParticipantId>,
    metrics: Arc<Metrics>,
    limit: RateLimit,
}

impl Session {
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
                if self.version_ok(version) {
                    let (reply, answer) = oneshot::channel();
                    let connection = self.connection.clone();
                    let join = ActorMsg::Join {
                        name,
                        email,
                        credential,
                        passcode,
                        connection,
                        reply,
                    };
                    self.await_entry(&meeting, join, answer).await;
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

    /// Sends a join or resume and records who we are if it worked.
    async fn await_entry(
        &mut self,
        meeting: &MeetingHandle,
        msg: ActorMsg,
        answer: oneshot::Receiver<Result<ParticipantId, ProtocolError>>,
    ) {
        if meeting.send(msg).await.is_err() {
            self.fail_meeting_gone();
            return;
        }
        match answer.await {
            Ok(Ok(id)) => self.joined = Some(id),
            Ok(Err(error)) => self.refuse(error),
            Err(_) => self.fail_meeting_gone(),
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
