//! The WebSocket layer: turns text frames into `ClientMsg`s for a meeting's actor and the actor's
//! frames back into WebSocket messages. It holds no meeting state; everything it refuses, it
//! refuses with a typed `ServerMsg::Error` and keeps the connection open.

use crate::meetings::{ActorMsg, Connection, MeetingHandle, encode};
use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use plenary_shared::ids::ParticipantId;
use plenary_shared::protocol::{
    ClientMsg, MAX_FRAME_BYTES, PROTOCOL_VERSION, ProtocolError, ServerMsg,
};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// Frames queued for one client before it counts as too slow.
pub const OUTBOX_CAPACITY: usize = 256;

/// Largest message the WebSocket library buffers at all. Between this and `MAX_FRAME_BYTES` the
/// client gets a typed `FrameTooLarge`; above it the library closes the socket (code 1009).
pub const HARD_MESSAGE_LIMIT: usize = 1024 * 1024;

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

/// Tells a client there is no such meeting, then closes.
pub async fn refuse_unknown_meeting(mut socket: WebSocket) {
    let frame = encode(&ServerMsg::error(ProtocolError::UnknownMeeting));
    let _ = socket.send(Message::Text(frame)).await;
    let _ = socket.close().await;
}

/// Runs one client connection to `meeting` until either side closes it.
pub async fn serve(socket: WebSocket, meeting: MeetingHandle) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut frames) = mpsc::channel::<Utf8Bytes>(OUTBOX_CAPACITY);
    let kicked = Arc::new(watch::Sender::new(false));
    let mut writer_kicked = kicked.subscribe();
    let writer = tokio::spawn(async move {
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
                () = until_kicked(&mut writer_kicked) => break,
            }
        }
        let _ = sink.close().await;
    });

    let mut reader_kicked = kicked.subscribe();
    let mut session = Session {
        meeting: Some(meeting),
        connection: Connection { outbox, kicked },
        joined: None,
    };
    loop {
        let message = tokio::select! {
            next = stream.next() => match next {
                Some(Ok(message)) => message,
                Some(Err(_)) | None => break,
            },
            () = until_kicked(&mut reader_kicked) => break,
        };
        match message {
            Message::Text(text) => match decode(&text) {
                Ok(msg) => session.handle(msg).await,
                Err(error) => session.reply_error(error),
            },
            Message::Binary(_) => session.reply_error(ProtocolError::BinaryFrame),
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
        if session.meeting.is_none() {
            break;
        }
    }
    if let (Some(meeting), Some(who)) = (&session.meeting, session.joined) {
        let _ = meeting.send(ActorMsg::Disconnected { who }).await;
    }
    drop(session);
    let _ = writer.await;
}

/// Resolves once the actor has dropped this connection (or the flag's owner is gone).
async fn until_kicked(kicked: &mut watch::Receiver<bool>) {
    // The borrow guard is dropped here, so the future stays `Send`.
    let _ = kicked.wait_for(|k| *k).await;
}

struct Session {
    /// `None` once the meeting's actor is gone.
    meeting: Option<MeetingHandle>,
    connection: Connection,
    joined: Option<ParticipantId>,
}

impl Session {
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
                },
                None,
            ) => {
                if version != PROTOCOL_VERSION {
                    self.reply_error(ProtocolError::UnsupportedVersion {
                        requested: version,
                        supported: PROTOCOL_VERSION,
                    });
                    return;
                }
                let (reply, answer) = oneshot::channel();
                let join = ActorMsg::Join {
                    name,
                    email,
                    credential,
                    connection: self.connection.clone(),
                    reply,
                };
                if meeting.send(join).await.is_err() {
                    self.fail_meeting_gone();
                    return;
                }
                match answer.await {
                    Ok(Ok(id)) => self.joined = Some(id),
                    Ok(Err(error)) => self.reply_error(ProtocolError::Rejected { error }),
                    Err(_) => self.fail_meeting_gone(),
                }
            }
            (ClientMsg::Join { .. }, Some(_)) => self.reply_error(ProtocolError::AlreadyJoined),
            (ClientMsg::Command { .. }, None) => self.reply_error(ProtocolError::NotJoined),
            (ClientMsg::Command { command }, Some(from)) => {
                let sent = meeting.send(ActorMsg::Command { from, command }).await;
                if sent.is_err() {
                    self.fail_meeting_gone();
                }
            }
        }
    }

    fn fail_meeting_gone(&mut self) {
        self.reply_error(ProtocolError::UnknownMeeting);
        self.meeting = None;
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
        let big = format!(
            r#"{{"type":"join","name":"{}"}}"#,
            "x".repeat(MAX_FRAME_BYTES)
        );
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
            decode(r#"{"type":"command","command":{"type":"self_destruct"}}"#),
            Err(ProtocolError::Malformed { .. })
        ));
    }

    #[test]
    fn valid_frames_decode() {
        assert!(matches!(
            decode(r#"{"type":"command","command":{"type":"leave"}}"#),
            Ok(ClientMsg::Command { .. })
        ));
    }
}
