//! One task per meeting. It owns the `Meeting`, receives joins, commands and disconnects over a
//! channel, applies them to the engine with the server clock's `now`, and sends each resulting
//! event — serialised once — to the connections in that event's audience.

use axum::extract::ws::Utf8Bytes;
use plenary_shared::ids::{MeetingId, ParticipantId};
use plenary_shared::meeting::command::{Command, CommandError};
use plenary_shared::meeting::{Credential, Meeting};
use plenary_shared::protocol::{PROTOCOL_VERSION, ProtocolError, ServerMsg};
use plenary_shared::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, watch};

/// Commands waiting for a meeting's actor, at most.
const INBOX_CAPACITY: usize = 1024;

/// The sending side of one client connection, as the actor sees it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Frames for the client, already serialised. Bounded: a client that cannot keep up is
    /// dropped rather than slowing the meeting.
    pub outbox: mpsc::Sender<Utf8Bytes>,
    /// Set to `true` when the actor drops this connection; both socket halves watch it.
    pub kicked: Arc<watch::Sender<bool>>,
}

/// Messages to a meeting's actor.
#[derive(Debug)]
pub enum ActorMsg {
    Join {
        name: String,
        email: Option<String>,
        credential: Credential,
        connection: Connection,
        reply: oneshot::Sender<Result<ParticipantId, CommandError>>,
    },
    Command {
        from: ParticipantId,
        command: Command,
    },
    Disconnected {
        who: ParticipantId,
    },
}

/// Address of a running meeting actor.
#[derive(Debug, Clone)]
pub struct MeetingHandle {
    tx: mpsc::Sender<ActorMsg>,
}

impl MeetingHandle {
    /// Sends a message to the actor; fails only if the actor is gone.
    pub async fn send(&self, msg: ActorMsg) -> Result<(), ProtocolError> {
        self.tx
            .send(msg)
            .await
            .map_err(|_| ProtocolError::UnknownMeeting)
    }
}

/// Starts the actor task for `meeting`.
pub fn spawn(id: MeetingId, meeting: Meeting) -> MeetingHandle {
    let (tx, rx) = mpsc::channel(INBOX_CAPACITY);
    let actor = Actor {
        id,
        meeting,
        connections: HashMap::new(),
    };
    tokio::spawn(actor.run(rx));
    MeetingHandle { tx }
}

struct Actor {
    id: MeetingId,
    meeting: Meeting,
    connections: HashMap<ParticipantId, Connection>,
}

fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    Timestamp(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// How long from now until `at` on the server clock.
fn until(at: Timestamp) -> std::time::Duration {
    std::time::Duration::from_millis(now().ms_until(at))
}

/// Serialises a server message. Our own types always serialise; should one ever not, the client
/// gets an error frame instead of nothing.
pub fn encode(msg: &ServerMsg) -> Utf8Bytes {
    match serde_json::to_string(msg) {
        Ok(json) => Utf8Bytes::from(json),
        Err(e) => {
            tracing::error!(error = %e, "could not serialise a server message");
            Utf8Bytes::from_static(
                r#"{"type":"error","error":{"code":"malformed","detail":"server encoding failed"},"message":"server encoding failed"}"#,
            )
        }
    }
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::Receiver<ActorMsg>) {
        tracing::info!(meeting = %self.id, "meeting started");
        loop {
            // Timers are absolute deadlines in the engine; sleep until the next one, if any.
            let deadline = self.meeting.next_deadline();
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep(until(at)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg),
                    None => break,
                },
                () = timer => {
                    self.meeting.tick(now());
                    self.fan_out();
                }
            }
        }
        tracing::info!(meeting = %self.id, "meeting stopped");
    }

    fn handle(&mut self, msg: ActorMsg) {
        let now = now();
        match msg {
            ActorMsg::Join {
                name,
                email,
                credential,
                connection,
                reply,
            } => {
                let result =
                    self.meeting
                        .join_with_email(&name, email.as_deref(), &credential, now);
                if let Ok(id) = result {
                    // Everyone already here hears of the join; the newcomer gets a snapshot that
                    // already includes it.
                    self.fan_out();
                    let welcome = ServerMsg::Welcome {
                        version: PROTOCOL_VERSION,
                        you: id,
                        meeting: self.meeting.view_for(id),
                    };
                    self.connections.insert(id, connection);
                    self.send_to(id, encode(&welcome));
                    tracing::info!(meeting = %self.id, participant = %id, "joined");
                }
                // The connection may have closed meanwhile; its own task then cleans up.
                let _ = reply.send(result);
            }
            ActorMsg::Command { from, command } => {
                let leaving = command == Command::Leave;
                match self.meeting.apply(command, from, now) {
                    Ok(()) => self.fan_out(),
                    Err(error) => {
                        tracing::debug!(meeting = %self.id, participant = %from, %error, "command refused");
                        let msg = ServerMsg::error(ProtocolError::Rejected { error });
                        self.send_to(from, encode(&msg));
                    }
                }
                if leaving {
                    self.drop_connection(from);
                }
            }
            ActorMsg::Disconnected { who } => {
                self.connections.remove(&who);
                self.meeting.disconnect(who);
                self.fan_out();
            }
        }
    }

    /// Delivers every queued event to its audience.
    fn fan_out(&mut self) {
        loop {
            let envelopes = self.meeting.drain_events();
            if envelopes.is_empty() {
                return;
            }
            let mut slow = Vec::new();
            for envelope in envelopes {
                let frame = encode(&ServerMsg::Event {
                    event: envelope.event,
                });
                for (id, conn) in &self.connections {
                    if self.meeting.is_in_audience(*id, &envelope.audience)
                        && conn.outbox.try_send(frame.clone()).is_err()
                    {
                        slow.push(*id);
                    }
                }
            }
            // Dropping a slow client is itself a change (they leave), so loop until quiet.
            for id in slow {
                tracing::warn!(meeting = %self.id, participant = %id, "client too slow; dropped");
                self.drop_connection(id);
                self.meeting.disconnect(id);
            }
        }
    }

    fn send_to(&mut self, id: ParticipantId, frame: Utf8Bytes) {
        let full = self
            .connections
            .get(&id)
            .is_some_and(|c| c.outbox.try_send(frame).is_err());
        if full {
            self.drop_connection(id);
            self.meeting.disconnect(id);
            self.fan_out();
        }
    }

    fn drop_connection(&mut self, id: ParticipantId) {
        if let Some(conn) = self.connections.remove(&id) {
            conn.kicked.send_replace(true);
        }
    }
}
