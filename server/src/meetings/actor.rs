//! One task per meeting. It owns the `Meeting`, receives joins, resumes, commands and disconnects
//! over a channel, applies them to the engine with the server clock's `now`, and hands each
//! resulting event to `delivery.rs`. It also keeps each participant's resume token, the moment a
//! dropped connection's grace period ends, when the state is next staged for the store (never
//! more than every 200 ms, never waited for), and when the meeting, idle, expires.

use super::JoinRequest;
use super::delivery::{Close, ConnId, Connection, encode};
use super::persist::Persister;
use crate::clock::Clock;
use crate::media::{Media, MediaMap, MeetingMedia};
use crate::metrics::Metrics;
use crate::secrets;
use crate::store::Store;
use plenary_shared::ids::{HostSecret, MeetingId, ParticipantId, SessionToken};
use plenary_shared::media::ClientSignal;
use plenary_shared::meeting::arrivals::Absent;
use plenary_shared::meeting::command::{Command, CommandError};
use plenary_shared::meeting::groups::GroupSetView;
use plenary_shared::meeting::info::{MeetingInfo, PublicInfo};
use plenary_shared::meeting::plan::Plan;
use plenary_shared::meeting::{Admission, Meeting};
use plenary_shared::protocol::{ProtocolError, ServerMsg};
use plenary_shared::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Commands waiting for a meeting's actor, at most.
const INBOX_CAPACITY: usize = 1024;

/// What every actor shares: the clock, the metrics, the resume grace period, the store.
pub struct ActorContext {
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    pub grace_ms: u64,
    /// Where meetings are persisted; `None` keeps them in memory only.
    pub store: Option<Store>,
    /// The server's media engine (`None`: no media).
    pub media: Option<Media>,
    /// A meeting nobody has used for this long is deleted.
    pub idle_ms: u64,
}

type Reply = oneshot::Sender<Result<ParticipantId, ProtocolError>>;

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    /// Closed or lost (a reload, a closed tab, a network drop): the place is kept for the grace
    /// period. Only the `Leave` command leaves.
    Dropped,
    /// The client sent what the server cannot read (not UTF-8, too large) and was closed with
    /// the matching code: it leaves at once rather than lingering in the list.
    Broken,
}

/// Messages to a meeting's actor.
#[derive(Debug)]
pub enum ActorMsg {
    Join {
        request: JoinRequest,
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
    Disconnected {
        who: ParticipantId,
        connection: ConnId,
        how: Departure,
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
    /// Who of the plan is not here, for a host or co-host (of `asker`'s role).
    Absent {
        asker: plenary_shared::meeting::Role,
        reply: oneshot::Sender<Result<Vec<Absent>, CommandError>>,
    },
    /// What anyone with the link may know before joining.
    PublicInfo {
        reply: oneshot::Sender<PublicInfo>,
    },
    /// `DELETE /api/meetings/{id}`: end the meeting for everyone and forget it.
    Delete {
        secret: HostSecret,
        reply: oneshot::Sender<Result<(), CommandError>>,
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

/// Called once when a meeting's actor stops for good (expired or deleted), to take it out of
/// the registry.
pub type Farewell = Box<dyn FnOnce() + Send>;

/// A meeting loaded from the store, for `spawn`.
pub struct Restored {
    pub sessions: Vec<(SessionToken, ParticipantId)>,
    pub chat_seq: i64,
    pub last_active: Timestamp,
}

/// Starts the actor task for a meeting (new, or loaded from the store with `restored`: everyone
/// in it counts as having dropped just now, with the grace period to come back).
pub fn spawn(
    id: MeetingId,
    meeting: Meeting,
    restored: Option<Restored>,
    ctx: Arc<ActorContext>,
    farewell: Farewell,
) -> MeetingHandle {
    let (tx, rx) = mpsc::channel(INBOX_CAPACITY);
    let now = ctx.clock.now();
    let until = now.plus_ms(ctx.grace_ms);
    let is_new = restored.is_none();
    let restored = restored.unwrap_or(Restored {
        sessions: Vec::new(),
        chat_seq: 0,
        last_active: now,
    });
    let away = if is_new {
        HashMap::new()
    } else {
        meeting
            .participant_ids()
            .into_iter()
            .map(|p| (p, until))
            .collect()
    };
    let mut actor = Actor {
        persister: ctx
            .store
            .clone()
            .map(|s| Persister::start(s, id.clone(), ctx.metrics.clone())),
        id,
        meeting,
        ctx,
        media: MeetingMedia::none(),
        media_map: MediaMap::default(),
        connections: HashMap::new(),
        tokens: HashMap::new(),
        token_of: HashMap::new(),
        away,
        counted: (0, 0),
        dirty: is_new,
        next_stage: Instant::now(),
        chat_seq: restored.chat_seq,
        last_active: restored.last_active,
        farewell: Some(farewell),
        stopped: false,
    };
    for (token, pid) in restored.sessions {
        actor.tokens.insert(token.0.clone(), pid);
        actor.token_of.insert(pid, token);
    }
    actor.stage();
    tokio::spawn(actor.run(rx));
    MeetingHandle { tx }
}

pub(super) struct Actor {
    pub(super) id: MeetingId,
    pub(super) meeting: Meeting,
    pub(super) ctx: Arc<ActorContext>,
    pub(super) persister: Option<Persister>,
    /// Where forwarding rules go; the last rules sent.
    pub(super) media: MeetingMedia,
    pub(super) media_map: MediaMap,
    pub(super) connections: HashMap<ParticipantId, Connection>,
    pub(super) tokens: HashMap<String, ParticipantId>,
    pub(super) token_of: HashMap<ParticipantId, SessionToken>,
    /// Participants whose connection dropped, and when their grace period ends.
    pub(super) away: HashMap<ParticipantId, Timestamp>,
    /// (participants, rooms) last added to the gauges.
    pub(super) counted: (i64, i64),
    /// The state changed since it was last staged for the store.
    pub(super) dirty: bool,
    /// The earliest moment the state may be staged again.
    pub(super) next_stage: Instant,
    /// The last chat line's number in the store.
    pub(super) chat_seq: i64,
    /// When someone last did anything here (for expiry).
    pub(super) last_active: Timestamp,
    pub(super) farewell: Option<Farewell>,
    pub(super) stopped: bool,
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::Receiver<ActorMsg>) {
        tracing::info!(meeting = %self.id, "meeting started");
        let mut manual = self.ctx.clock.subscribe();
        // This meeting's side of the media: its signals come back here, to go out on its
        // participants' connections.
        let mut signals = match self.ctx.media.clone() {
            Some(media) => {
                let (handle, signals) = media.meeting().await;
                self.media = handle;
                Some(signals)
            }
            None => None,
        };
        while !self.stopped {
            let wait = self.next_wake().map(|at| self.ctx.clock.now().ms_until(at));
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
            let stage_at = self.next_stage;
            let stage_due = self.dirty && self.persister.is_some();
            let media_signal = async {
                match signals.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            let changed = tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg).await,
                    None => break,
                },
                Some((who, signal)) = media_signal => {
                    self.send_to(who, encode(&ServerMsg::Media { signal }));
                    false
                }
                () = timer => self.on_time().await,
                () = clock_moved => self.on_time().await,
                () = tokio::time::sleep_until(stage_at), if stage_due => false,
            };
            if changed {
                self.update_media().await;
            }
            if self.dirty && Instant::now() >= self.next_stage {
                self.stage();
            }
            self.update_gauges();
        }
        if self.dirty {
            self.stage();
        }
        self.counted_to(0, 0);
        tracing::info!(meeting = %self.id, "meeting stopped");
    }

    fn next_wake(&self) -> Option<Timestamp> {
        [
            self.meeting.next_deadline(),
            self.away.values().min().copied(),
            self.expires_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Timers due: the engine's, grace periods that ran out, and expiry.
    async fn on_time(&mut self) -> bool {
        let now = self.ctx.clock.now();
        if self.expires_at().is_some_and(|at| at <= now) {
            tracing::info!(meeting = %self.id, "idle too long; deleted");
            Metrics::bump(&self.ctx.metrics.meetings_expired);
            self.forget_for_good().await;
            return false;
        }
        self.meeting.tick(now);
        let expired: Vec<ParticipantId> = self
            .away
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            tracing::info!(meeting = %self.id, participant = %id, "did not come back in time");
            self.away.remove(&id);
            self.meeting.disconnect(id);
        }
        self.after_change().await;
        true
    }

    /// Handles one message; returns whether the meeting may have changed.
    async fn handle(&mut self, msg: ActorMsg) -> bool {
        let now = self.ctx.clock.now();
        match msg {
            ActorMsg::Join {
                request,
                connection,
                reply,
            } => {
                self.last_active = now;
                self.join(request, connection, reply, now).await
            }
            ActorMsg::Resume {
                token,
                connection,
                reply,
            } => {
                self.last_active = now;
                if self.meeting.is_ended() {
                    let error = CommandError::MeetingEnded;
                    let _ = reply.send(Err(ProtocolError::Rejected { error }));
                    return false;
                }
                let Some(id) = self.tokens.get(&token.0).copied() else {
                    let _ = reply.send(Err(ProtocolError::UnknownSession));
                    return false;
                };
                self.away.remove(&id);
                if let Some(old) = self.connections.remove(&id) {
                    old.close(Close::TAKEN_OVER);
                }
                self.attach(id, connection, token);
                // An offer lost with the old connection goes again.
                self.media.reconnected(id).await;
                tracing::info!(meeting = %self.id, participant = %id, "resumed");
                let _ = reply.send(Ok(id));
                false
            }
            ActorMsg::Command { from, command } => {
                self.last_active = now;
                if let Err(error) = self.meeting.apply(command, from, now) {
                    Metrics::bump(&self.ctx.metrics.rejected_commands);
                    tracing::debug!(meeting = %self.id, participant = %from, %error, "command refused");
                    let msg = ServerMsg::error(ProtocolError::Rejected { error });
                    self.send_to(from, encode(&msg));
                    return false;
                }
                if self.meeting.is_ended() {
                    Metrics::bump(&self.ctx.metrics.meetings_ended);
                    tracing::info!(meeting = %self.id, by = %from, "ended for all");
                }
                self.after_change().await;
                true
            }
            ActorMsg::Snapshot { from } => {
                let meeting = self.meeting.view_for(from);
                self.send_to(from, encode(&ServerMsg::Snapshot { meeting }));
                false
            }
            ActorMsg::Media { from, signal } => {
                self.media.signal(from, signal).await;
                false
            }
            ActorMsg::Flush { done } => {
                self.stage();
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
            ActorMsg::Absent { asker, reply } => {
                let _ = reply.send(self.meeting.absent_planned(asker));
                false
            }
            ActorMsg::HostCommand {
                secret,
                command,
                reply,
            } => {
                self.last_active = now;
                let result = self.meeting.apply_as_host(command, &secret, now);
                if result.is_err() {
                    Metrics::bump(&self.ctx.metrics.rejected_commands);
                }
                self.after_change().await;
                let _ = reply.send(result);
                true
            }
            ActorMsg::Delete { secret, reply } => {
                let result = self
                    .meeting
                    .apply_as_host(Command::EndMeeting, &secret, now);
                let ended = match result {
                    Ok(()) => true,
                    // Already ended: deleting it is still the host's to do.
                    Err(CommandError::MeetingEnded) => self.meeting.plan_for_host(&secret).is_ok(),
                    Err(_) => false,
                };
                if !ended {
                    let _ = reply.send(result);
                    return false;
                }
                Metrics::bump(&self.ctx.metrics.meetings_ended);
                tracing::info!(meeting = %self.id, "deleted by the host");
                self.after_change().await;
                self.forget_for_good().await;
                let _ = reply.send(Ok(()));
                false
            }
            ActorMsg::Disconnected {
                who,
                connection,
                how,
            } => {
                if self.connections.get(&who).map(|c| c.id) != Some(connection) {
                    return false; // a newer connection took over; this one is history
                }
                self.last_active = now;
                self.connections.remove(&who);
                match how {
                    Departure::Dropped => {
                        self.away.insert(who, now.plus_ms(self.ctx.grace_ms));
                        false
                    }
                    Departure::Broken => {
                        self.meeting.disconnect(who);
                        self.after_change().await;
                        true
                    }
                }
            }
        }
    }

    async fn join(
        &mut self,
        request: JoinRequest,
        connection: Connection,
        reply: Reply,
        now: Timestamp,
    ) -> bool {
        let JoinRequest {
            name,
            email,
            credential,
            passcode,
            from,
            launched,
        } = request;
        let token = match secrets::session_token() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "cannot mint a session token");
                let _ = reply.send(Err(ProtocolError::ServerError));
                return false;
            }
        };
        let address = from.to_string();
        let joined = self.meeting.admit(
            Admission {
                name: &name,
                email: email.as_deref(),
                credential: &credential,
                passcode: passcode.as_deref(),
                from: Some(&address),
                launched: launched.as_ref(),
            },
            now,
        );
        let id = match joined {
            Ok(id) => id,
            Err(error) => {
                match error {
                    CommandError::WrongPasscode => {
                        Metrics::bump(&self.ctx.metrics.passcode_failures);
                        tracing::warn!(meeting = %self.id, %address, "wrong passcode");
                    }
                    CommandError::TooManyPasscodeTries { .. } => {
                        Metrics::bump(&self.ctx.metrics.passcode_throttled);
                        tracing::warn!(meeting = %self.id, %address, "passcode tries too fast; refused");
                    }
                    _ => {}
                }
                let _ = reply.send(Err(ProtocolError::Rejected { error }));
                return false;
            }
        };
        // Everyone already here hears of the join; the newcomer gets a snapshot that already
        // includes it.
        self.after_change().await;
        self.tokens.insert(token.0.clone(), id);
        self.token_of.insert(id, token.clone());
        self.attach(id, connection, token);
        tracing::info!(meeting = %self.id, participant = %id, "joined");
        let _ = reply.send(Ok(id));
        true
    }

    /// Tells the media layer who may receive whom, if that changed, and waits until it has
    /// re-pointed forwarding.
    pub(super) async fn update_media(&mut self) {
        let map = self.meeting.media_map();
        if map != self.media_map {
            self.media.update(&map).await;
            self.media_map = map;
        }
    }

    /// After a change to the meeting: media first (nobody gets a packet from a place they
    /// left), then everyone is told.
    pub(super) async fn after_change(&mut self) {
        self.update_media().await;
        self.fan_out();
    }
}

#[cfg(test)]
mod tests {
    use super::super::delivery::ENCODING_FAILED;
    use plenary_shared::protocol::{ProtocolError, ServerMsg};

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
