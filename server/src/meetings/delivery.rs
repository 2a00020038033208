//! How a meeting's actor reaches its people: each participant's connection (a bounded outbox of
//! ready frames and a way to close it with a WebSocket close code), delivering every event to
//! its audience serialised once, dropping clients that cannot keep up, and closing the
//! connections of people the meeting no longer holds (they left, were removed, or the meeting
//! ended), after their last frames.

use super::actor::Actor;
use crate::metrics::Metrics;
use axum::extract::ws::Utf8Bytes;
use plenary_shared::ids::ParticipantId;
use plenary_shared::ids::SessionToken;
use plenary_shared::meeting::event::{Audience, Event};
use plenary_shared::protocol::{PROTOCOL_VERSION, ServerMsg};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Identifies one WebSocket connection, so a stale socket's disconnect cannot evict a newer one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

/// How the server closes a connection: a WebSocket close code and a short reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: &'static str,
}

impl Close {
    pub const LEFT: Close = Close {
        code: 1000,
        reason: "left the meeting",
    };
    pub const ENDED: Close = Close {
        code: 1000,
        reason: "the meeting ended",
    };
    /// The same session was resumed on another connection (another tab): the old one must not
    /// try to resume again, or two tabs would take it from each other for ever.
    pub const TAKEN_OVER: Close = Close {
        code: 4001,
        reason: "resumed elsewhere",
    };
    pub const TOO_SLOW: Close = Close {
        code: 1013,
        reason: "not keeping up",
    };
    pub const JOIN_TIMEOUT: Close = Close {
        code: 1008,
        reason: "did not join in time",
    };
    pub const NOT_UTF8: Close = Close {
        code: 1007,
        reason: "not UTF-8 text",
    };
    pub const TOO_BIG: Close = Close {
        code: 1009,
        reason: "message too big",
    };
    pub const FULL: Close = Close {
        code: 1013,
        reason: "too many connections",
    };
}

/// The sending side of one client connection, as the actor sees it.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: ConnId,
    /// Frames for the client, already serialised. Bounded: a client that cannot keep up is
    /// dropped rather than slowing the meeting.
    pub outbox: mpsc::Sender<Utf8Bytes>,
    /// Set when the connection is to close; the socket sends what is queued, then the close.
    pub closer: Arc<watch::Sender<Option<Close>>>,
}

impl Connection {
    /// Asks the socket to send what is queued and close with `close`.
    pub fn close(&self, close: Close) {
        self.closer.send_if_modified(|c| {
            if c.is_none() {
                *c = Some(close);
                true
            } else {
                false
            }
        });
    }
}

/// What a client gets should one of our messages ever fail to serialise.
pub(super) const ENCODING_FAILED: &str =
    r#"{"error":{"error":"server_error","message":"server encoding failed"}}"#;

/// Serialises a server message. Our own types always serialise; should one ever not, the client
/// gets an error frame instead of nothing.
pub fn encode(msg: &ServerMsg) -> Utf8Bytes {
    match serde_json::to_string(msg) {
        Ok(json) => Utf8Bytes::from(json),
        Err(e) => {
            tracing::error!(error = %e, "could not serialise a server message");
            Utf8Bytes::from_static(ENCODING_FAILED)
        }
    }
}

impl Actor {
    /// Binds a connection to a participant and sends the welcome snapshot.
    pub(super) fn attach(
        &mut self,
        id: ParticipantId,
        connection: Connection,
        token: SessionToken,
    ) {
        self.connections.insert(id, connection);
        let welcome = ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            you: id,
            token,
            meeting: self.meeting.view_for(id),
        };
        self.send_to(id, encode(&welcome));
    }

    /// Delivers every queued event to its audience, stages what must be stored (the state
    /// changed unless only chat was said; each chat line as a row), then closes the connections
    /// of people no longer in the meeting.
    pub(super) fn fan_out(&mut self) {
        loop {
            let envelopes = self.meeting.drain_events();
            if envelopes.is_empty() {
                break;
            }
            let mut slow = Vec::new();
            for envelope in envelopes {
                match &envelope.event {
                    Event::ChatMessage { place, message } => self.store_chat(*place, message),
                    Event::ChatHistory { .. } => {}
                    _ => self.dirty = true,
                }
                let frame = encode(&ServerMsg::Event {
                    event: envelope.event,
                });
                let mut deliver = |id: ParticipantId, conn: &Connection| {
                    if conn.outbox.try_send(frame.clone()).is_ok() {
                        Metrics::bump(&self.ctx.metrics.messages_out);
                    } else {
                        slow.push(id);
                    }
                };
                // One person's event goes straight to them: opening rooms for a thousand
                // people queues a thousand of these, and scanning every connection for each
                // was most of the cost.
                if let Audience::Participant { participant } = envelope.audience {
                    if let Some(conn) = self.connections.get(&participant) {
                        deliver(participant, conn);
                    }
                    continue;
                }
                for (id, conn) in &self.connections {
                    if self.meeting.is_in_audience(*id, &envelope.audience) {
                        deliver(*id, conn);
                    }
                }
            }
            for id in slow {
                self.drop_slow(id);
            }
        }
        self.reap();
    }

    /// Closes the connections, and forgets the sessions, of people the meeting no longer holds.
    fn reap(&mut self) {
        if self.meeting.is_ended() {
            for (_, conn) in self.connections.drain() {
                conn.close(Close::ENDED);
            }
            self.away.clear();
            self.tokens.clear();
            if !self.token_of.is_empty() {
                self.token_of.clear();
                self.dirty = true;
            }
            return;
        }
        let gone: Vec<ParticipantId> = self
            .token_of
            .keys()
            .chain(self.connections.keys())
            .filter(|p| self.meeting.role_of(**p).is_none())
            .copied()
            .collect();
        for id in gone {
            self.forget(id);
        }
    }

    pub(super) fn send_to(&mut self, id: ParticipantId, frame: Utf8Bytes) {
        let Some(conn) = self.connections.get(&id) else {
            return;
        };
        if conn.outbox.try_send(frame).is_ok() {
            Metrics::bump(&self.ctx.metrics.messages_out);
        } else {
            self.drop_slow(id);
        }
    }

    /// A client that cannot keep up loses its connection but keeps its place for the grace
    /// period, like any dropped connection.
    fn drop_slow(&mut self, id: ParticipantId) {
        if let Some(conn) = self.connections.remove(&id) {
            tracing::warn!(meeting = %self.id, participant = %id, "client too slow; disconnected");
            Metrics::bump(&self.ctx.metrics.slow_clients_dropped);
            conn.close(Close::TOO_SLOW);
            let until = self.ctx.clock.now().plus_ms(self.ctx.grace_ms);
            self.away.insert(id, until);
        }
    }

    /// Forgets a participant's session and closes their connection.
    pub(super) fn forget(&mut self, id: ParticipantId) {
        self.away.remove(&id);
        if let Some(token) = self.token_of.remove(&id) {
            self.tokens.remove(&token.0);
            self.dirty = true;
        }
        if let Some(conn) = self.connections.remove(&id) {
            conn.close(Close::LEFT);
        }
    }
}
