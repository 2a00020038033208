//! One task per meeting. It owns the `Meeting`, receives joins, resumes, commands and disconnects
//! over a channel, applies them to the engine with the server clock's `now`, and sends each
//! resulting event — serialised once — to the connections in that event's audience. It also keeps
//! each participant's resume token and, for connections that dropped without closing, the moment
//! their grace period ends.

use super::persist::Persister;
use crate::clock::Clock;
use crate::media::{MediaConfig, MediaMap, MediaRouter, Sfu};
use crate::metrics::Metrics;
use crate::secrets;
use crate::store::{MeetingRecord, Store};
use axum::extract::ws::Utf8Bytes;
use plenary_shared::ids::{HostSecret, MeetingId, ParticipantId, SessionToken};
use plenary_shared::media::ClientSignal;
use plenary_shared::meeting::command::{Command, CommandError};
use plenary_shared::meeting::event::Audience;
use plenary_shared::meeting::groups::GroupSetView;
use plenary_shared::meeting::info::{MeetingInfo, PublicInfo};
use plenary_shared::meeting::plan::Plan;
use plenary_shared::meeting::{Admission, Credential, Meeting};
use plenary_shared::protocol::{PROTOCOL_VERSION, ProtocolError, ServerMsg};
use plenary_shared::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// Commands waiting for a meeting's actor, at most.
const INBOX_CAPACITY: usize = 1024;

/// What every actor shares: the clock, the metrics, the resume grace period, the store.
pub struct ActorContext {
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    pub grace_ms: u64,
    /// Where meetings are persisted; `None` keeps them in memory only.
    pub store: Option<Store>,
    /// How media connections reach the network.
    pub media: MediaConfig,
}

/// Identifies one WebSocket connection, so a stale socket's disconnect cannot evict a newer one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

/// The sending side of one client connection, as the actor sees it.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: ConnId,
    /// Frames for the client, already serialised. Bounded: a client that cannot keep up is
    /// dropped rather than slowing the meeting.
    pub outbox: mpsc::Sender<Utf8Bytes>,
    /// Set to `true` when the actor drops this connection; both socket halves watch it.
    pub kicked: Arc<watch::Sender<bool>>,
}

type Reply = oneshot::Sender<Result<ParticipantId, ProtocolError>>;

/// Messages to a meeting's actor.
#[derive(Debug)]
pub enum ActorMsg {
    Join {
        name: String,
        email: Option<String>,
        credential: Credential,
        passcode: Option<String>,
        connection: Connection,
        reply: Reply,
    },
    Resume {
        token: SessionToken,
        connection: Connection,
        reply: Reply,
    },
    Command {
        from: ParticipantId,
        command: Command,
    },
    Snapshot {
        from: ParticipantId,
    },
    /// WebRTC signalling, for the media layer.
    Media {
        from: ParticipantId,
        signal: ClientSignal,
    },
    /// The connection closed: cleanly (the person left) or not (they may come back).
    Disconnected {
        who: ParticipantId,
        connection: ConnId,
        clean: bool,
    },
    /// Write the newest state to the store, then answer.
    Flush {
        done: oneshot::Sender<()>,
    },
    /// A planning command from the REST API, authorised by the host secret.
    HostCommand {
        secret: HostSecret,
        command: Command,
        reply: oneshot::Sender<Result<(), CommandError>>,
    },
    /// Settings, plan and saved group sets, for the holder of the host secret.
    HostRead {
        secret: HostSecret,
        reply: oneshot::Sender<Result<HostReadout, CommandError>>,
    },
    /// What anyone with the link may know before joining.
    PublicInfo {
        reply: oneshot::Sender<PublicInfo>,
    },
}

/// What the REST API may read with the host secret.
#[derive(Debug, Clone)]
pub struct HostReadout {
    pub info: MeetingInfo,
    pub plan: Option<Plan>,
    pub group_sets: Vec<GroupSetView>,
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

/// Starts the actor task for a new `meeting`.
pub fn spawn(id: MeetingId, meeting: Meeting, ctx: Arc<ActorContext>) -> MeetingHandle {
    spawn_restored(id, meeting, Vec::new(), ctx)
}

/// Starts the actor task for a meeting loaded from the store. Everyone in it counts as having
/// dropped just now: they have the grace period to come back with their tokens.
pub fn spawn_restored(
    id: MeetingId,
    meeting: Meeting,
    sessions: Vec<(SessionToken, ParticipantId)>,
    ctx: Arc<ActorContext>,
) -> MeetingHandle {
    let (tx, rx) = mpsc::channel(INBOX_CAPACITY);
    let until = ctx.clock.now().plus_ms(ctx.grace_ms);
    let away = meeting
        .participant_ids()
        .into_iter()
        .map(|p| (p, until))
        .collect();
    let media = Sfu::start(ctx.media.clone(), ctx.metrics.clone());
    let mut actor = Actor {
        id,
        meeting,
        persister: ctx.store.clone().map(Persister::start),
        ctx,
        media: Box::new(media),
        media_map: MediaMap::default(),
        connections: HashMap::new(),
        tokens: HashMap::new(),
        token_of: HashMap::new(),
        away,
        counted: (0, 0),
    };
    for (token, pid) in sessions {
        actor.tokens.insert(token.0.clone(), pid);
        actor.token_of.insert(pid, token);
    }
    actor.persist();
    tokio::spawn(actor.run(rx));
    MeetingHandle { tx }
}

/// What a client gets should one of our messages ever fail to serialise.
const ENCODING_FAILED: &str =
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

struct Actor {
    id: MeetingId,
    meeting: Meeting,
    ctx: Arc<ActorContext>,
    persister: Option<Persister>,
    /// Where forwarding rules go; the last rules sent.
    media: Box<dyn MediaRouter>,
    media_map: MediaMap,
    connections: HashMap<ParticipantId, Connection>,
    tokens: HashMap<String, ParticipantId>,
    token_of: HashMap<ParticipantId, SessionToken>,
    /// Participants whose connection dropped, and when their grace period ends.
    away: HashMap<ParticipantId, Timestamp>,
    /// (participants, rooms) last added to the gauges.
    counted: (i64, i64),
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::Receiver<ActorMsg>) {
        tracing::info!(meeting = %self.id, "meeting started");
        let mut manual = self.ctx.clock.subscribe();
        loop {
            let deadline = self.next_wake();
            let wait = deadline.map(|at| self.ctx.clock.now().ms_until(at));
            let timer = async {
                match wait {
                    Some(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            let clock_moved = async {
                match manual.as_mut() {
                    Some(rx) => {
                        if rx.changed().await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let changed = tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg).await,
                    None => break,
                },
                () = timer => {
                    self.on_time();
                    true
                }
                () = clock_moved => {
                    self.on_time();
                    true
                }
            };
            if changed {
                self.update_media();
                // Write-through: the next message (say, a client's snapshot request) is handled
                // only once this change is on disk, so whatever a client saw confirmed survives
                // a crash.
                self.persist();
                if let Some(p) = &self.persister {
                    p.flush().await;
                }
            }
            self.update_gauges();
        }
        self.counted_to(0, 0);
        tracing::info!(meeting = %self.id, "meeting stopped");
    }

    fn next_wake(&self) -> Option<Timestamp> {
        let away = self.away.values().min().copied();
        match (self.meeting.next_deadline(), away) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Timers due: the engine's, and grace periods that ran out.
    fn on_time(&mut self) {
        let now = self.ctx.clock.now();
        self.meeting.tick(now);
        let expired: Vec<ParticipantId> = self
            .away
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            tracing::info!(meeting = %self.id, participant = %id, "did not come back in time");
            self.remove_participant(id);
        }
        self.fan_out();
    }

    /// Handles one message; returns whether the meeting may have changed (and must be saved).
    async fn handle(&mut self, msg: ActorMsg) -> bool {
        let now = self.ctx.clock.now();
        match msg {
            ActorMsg::Join {
                name,
                email,
                credential,
                passcode,
                connection,
                reply,
            } => {
                let token = match secrets::session_token() {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot mint a session token");
                        let _ = reply.send(Err(ProtocolError::ServerError));
                        return false;
                    }
                };
                let joined = self.meeting.admit(
                    Admission {
                        name: &name,
                        email: email.as_deref(),
                        credential: &credential,
                        passcode: passcode.as_deref(),
                    },
                    now,
                );
                let id = match joined {
                    Ok(id) => id,
                    Err(error) => {
                        let _ = reply.send(Err(ProtocolError::Rejected { error }));
                        return false;
                    }
                };
                // Everyone already here hears of the join; the newcomer gets a snapshot that
                // already includes it.
                self.fan_out();
                self.tokens.insert(token.0.clone(), id);
                self.token_of.insert(id, token.clone());
                self.attach(id, connection, token);
                tracing::info!(meeting = %self.id, participant = %id, "joined");
                let _ = reply.send(Ok(id));
                true
            }
            ActorMsg::Resume {
                token,
                connection,
                reply,
            } => {
                let Some(id) = self.tokens.get(&token.0).copied() else {
                    let _ = reply.send(Err(ProtocolError::UnknownSession));
                    return false;
                };
                self.away.remove(&id);
                if let Some(old) = self.connections.remove(&id) {
                    old.kicked.send_replace(true);
                }
                self.attach(id, connection, token);
                tracing::info!(meeting = %self.id, participant = %id, "resumed");
                let _ = reply.send(Ok(id));
                false // a new connection for the same participant: nothing stored changes
            }
            ActorMsg::Command { from, command } => {
                let leaving = command == Command::Leave;
                match self.meeting.apply(command, from, now) {
                    Ok(()) => self.fan_out(),
                    Err(error) => {
                        Metrics::bump(&self.ctx.metrics.rejected_commands);
                        tracing::debug!(meeting = %self.id, participant = %from, %error, "command refused");
                        let msg = ServerMsg::error(ProtocolError::Rejected { error });
                        self.send_to(from, encode(&msg));
                    }
                }
                if leaving {
                    self.forget(from);
                }
                true
            }
            ActorMsg::Snapshot { from } => {
                self.snapshot(from);
                false
            }
            ActorMsg::Media { from, signal } => {
                self.media.signal(from, signal);
                false
            }
            ActorMsg::Flush { done } => {
                if let Some(p) = &self.persister {
                    p.flush().await;
                }
                let _ = done.send(());
                false
            }
            ActorMsg::HostRead { secret, reply } => {
                let readout = self.meeting.plan_for_host(&secret).map(|plan| HostReadout {
                    info: self.meeting.info().clone(),
                    plan: plan.cloned(),
                    group_sets: self.meeting.group_set_views(),
                });
                let _ = reply.send(readout);
                false
            }
            ActorMsg::PublicInfo { reply } => {
                let _ = reply.send(self.meeting.public_info());
                false
            }
            ActorMsg::HostCommand {
                secret,
                command,
                reply,
            } => {
                let result = self.meeting.apply_as_host(command, &secret, now);
                if result.is_err() {
                    Metrics::bump(&self.ctx.metrics.rejected_commands);
                }
                self.fan_out();
                let _ = reply.send(result);
                true
            }
            ActorMsg::Disconnected {
                who,
                connection,
                clean,
            } => {
                if self.connections.get(&who).map(|c| c.id) != Some(connection) {
                    return false; // a newer connection took over; this one is history
                }
                self.connections.remove(&who);
                if clean {
                    self.remove_participant(who);
                    self.fan_out();
                } else {
                    // Only the connection changed; the meeting (and what is stored) did not.
                    self.away.insert(who, now.plus_ms(self.ctx.grace_ms));
                }
                clean
            }
        }
    }

    fn snapshot(&mut self, from: ParticipantId) {
        let meeting = self.meeting.view_for(from);
        self.send_to(from, encode(&ServerMsg::Snapshot { meeting }));
    }

    /// Tells the media layer who may receive whom, if that changed.
    fn update_media(&mut self) {
        let map = self.meeting.media_map();
        if map != self.media_map {
            self.media.update(&map);
            self.media_map = map;
        }
    }

    /// Hands the current state to the writer task, if the server persists.
    fn persist(&mut self) {
        let Some(persister) = &mut self.persister else {
            return;
        };
        let state = match self.meeting.to_json() {
            Ok(json) => json,
            Err(e) => {
                tracing::error!(meeting = %self.id, error = %e, "cannot serialise meeting");
                return;
            }
        };
        let sessions: Vec<(&SessionToken, &ParticipantId)> =
            self.token_of.iter().map(|(p, t)| (t, p)).collect();
        let sessions = serde_json::to_string(&sessions).unwrap_or_else(|_| "[]".into());
        let updated_at = i64::try_from(self.ctx.clock.now().0).unwrap_or(i64::MAX);
        persister.save(MeetingRecord {
            id: self.id.clone(),
            state,
            sessions,
            updated_at,
        });
    }

    /// Binds a connection to a participant and sends the welcome snapshot.
    fn attach(&mut self, id: ParticipantId, connection: Connection, token: SessionToken) {
        self.media.connected(id, connection.outbox.clone());
        self.connections.insert(id, connection);
        let welcome = ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            you: id,
            token,
            meeting: self.meeting.view_for(id),
        };
        self.send_to(id, encode(&welcome));
    }

    /// Removes a participant from the meeting and forgets their session.
    fn remove_participant(&mut self, id: ParticipantId) {
        self.meeting.disconnect(id);
        self.forget(id);
    }

    fn forget(&mut self, id: ParticipantId) {
        self.away.remove(&id);
        if let Some(token) = self.token_of.remove(&id) {
            self.tokens.remove(&token.0);
        }
        if let Some(conn) = self.connections.remove(&id) {
            conn.kicked.send_replace(true);
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
            let mut deliver = |id: ParticipantId, conn: &Connection, frame: &Utf8Bytes| {
                if conn.outbox.try_send(frame.clone()).is_ok() {
                    Metrics::bump(&self.ctx.metrics.messages_out);
                } else {
                    slow.push(id);
                }
            };
            for envelope in envelopes {
                let frame = encode(&ServerMsg::Event {
                    event: envelope.event,
                });
                // One person's event goes straight to them: opening rooms for a thousand
                // people queues a thousand of these, and scanning every connection for each
                // was most of the cost.
                if let Audience::Participant { participant } = envelope.audience {
                    if let Some(conn) = self.connections.get(&participant)
                        && self.meeting.is_in_audience(participant, &envelope.audience)
                    {
                        deliver(participant, conn, &frame);
                    }
                    continue;
                }
                for (id, conn) in &self.connections {
                    if self.meeting.is_in_audience(*id, &envelope.audience) {
                        deliver(*id, conn, &frame);
                    }
                }
            }
            for id in slow {
                self.drop_slow(id);
            }
        }
    }

    fn send_to(&mut self, id: ParticipantId, frame: Utf8Bytes) {
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
            conn.kicked.send_replace(true);
            let until = self.ctx.clock.now().plus_ms(self.ctx.grace_ms);
            self.away.insert(id, until);
        }
    }

    fn update_gauges(&mut self) {
        let people = i64::try_from(self.meeting.participant_count()).unwrap_or(i64::MAX);
        let rooms = i64::try_from(self.meeting.room_count()).unwrap_or(i64::MAX);
        self.counted_to(people, rooms);
    }

    fn counted_to(&mut self, people: i64, rooms: i64) {
        Metrics::shift(&self.ctx.metrics.participants, people - self.counted.0);
        Metrics::shift(&self.ctx.metrics.rooms, rooms - self.counted.1);
        self.counted = (people, rooms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenary_shared::protocol::ProtocolError;

    #[test]
    fn the_encoding_fallback_is_a_valid_error_frame() {
        let msg: ServerMsg = serde_json::from_str(ENCODING_FAILED).expect("parses");
        assert!(matches!(
            msg,
            ServerMsg::Error {
                error: ProtocolError::ServerError,
                ..
            }
        ));
    }
}
