//! The meeting state machine: who is here with which role, audio policy, and the breakout rooms.
//! Pure and sans-IO: the caller passes `now` (and a seed at creation), reads queued events with
//! `drain_events`, calls `tick(now)` at `next_deadline()`, and owns every socket and clock.
//!
//! Rules are split by topic: membership and roles here and in `roles.rs`, rooms in
//! `breakout.rs`, timers in `timers.rs`, who may do what in `permissions.rs`.

pub mod arrivals;
pub mod assign;
mod breakout;
pub mod chat;
pub mod command;
pub mod event;
pub mod groups;
pub mod hands;
pub mod info;
pub mod media;
mod membership;
pub mod permissions;
pub mod plan;
mod roles;
pub mod rooms;
mod timers;
pub mod view;

use crate::ids::{HelpRequestId, HostSecret, ParticipantId, RoomId};
use crate::time::Timestamp;
use assign::Rng;
use command::{Command, CommandError, Required};
use event::{Audience, Envelope, Event};
use rooms::{BreakoutOptions, Place, RoomStatus, RoomView};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use view::{HelpRequestView, MeetingView, ParticipantView};

pub use membership::Admission;
use membership::Guard;

/// Most participants one meeting holds.
pub const MAX_PARTICIPANTS: usize = 1000;

/// What a participant may do. Ordered by power.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Participant,
    CoHost,
    Host,
}

impl Role {
    /// Whether automatic splits and plans place this person (hosts and co-hosts move freely).
    pub fn is_assignable(self) -> bool {
        self == Role::Participant
    }

    /// Whether this is a plain participant (the usual role, left out of a participant's view).
    pub fn is_participant(&self) -> bool {
        *self == Role::Participant
    }

    /// Whether this person runs the meeting: the host or a co-host.
    pub fn is_hosting(self) -> bool {
        self >= Role::CoHost
    }

    /// Whether this person may unmute themselves: hosts and co-hosts always, participants
    /// while the host allows it.
    pub fn may_unmute_self(self, self_unmute_allowed: bool) -> bool {
        self.is_hosting() || self_unmute_allowed
    }
}

/// How someone asks to join: as anyone with the link, with the host capability, or with the
/// ticket of a launch from a learning platform (which the server checks and turns into a
/// `crate::lms::Launched` before the meeting sees it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    Participant,
    Host { secret: HostSecret },
    Launch { ticket: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Participant {
    name: String,
    /// Email (if given) and name, as compared with plans: see `plan::identity_key`.
    keys: Vec<String>,
    role: Role,
    /// Join order, used to pick the longest-present participant as the next host.
    joined_seq: u64,
    place: Place,
    muted: bool,
    /// Named among the organiser's intended co-hosts (see `info.rs`).
    #[serde(default)]
    suggested_co_host: bool,
    /// Joined with the host secret: such a person is host whenever present (see `roles.rs`).
    #[serde(default)]
    holds_secret: bool,
    /// When they took their current role (the same counter as `joined_seq`), so the
    /// longest-serving co-host can stand in for an absent host.
    #[serde(default)]
    role_since: u64,
    /// Their raised hand's turn (`Meeting::next_hand` when it went up), while raised.
    #[serde(default)]
    hand: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Room {
    name: String,
    topic: String,
    status: RoomStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HelpRequest {
    from: ParticipantId,
    room: RoomId,
    at: Timestamp,
    resolved_by: Option<ParticipantId>,
}

/// A speed-networking rotation in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Rotation {
    /// For each round, the members of each room (rooms in id order).
    schedule: Vec<Vec<Vec<ParticipantId>>>,
    /// Index of the current round.
    round: usize,
    round_ms: u64,
}

/// One meeting's whole state. Serialisable, so a server can persist it and carry on after a
/// restart (queued events are not part of it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meeting {
    host_secret: HostSecret,
    rng: Rng,
    #[serde(with = "crate::pairs")]
    participants: BTreeMap<ParticipantId, Participant>,
    next_participant: u32,
    next_seq: u64,
    self_unmute_allowed: bool,
    #[serde(with = "crate::pairs")]
    rooms: BTreeMap<RoomId, Room>,
    next_room: u32,
    /// Who is meant for which room (present participants).
    #[serde(with = "crate::pairs")]
    assignments: BTreeMap<ParticipantId, RoomId>,
    /// Rooms of people who left, by identity key, so they return to them.
    remembered: BTreeMap<String, RoomId>,
    /// Pre-assignments from a plan, by identity key.
    planned: BTreeMap<String, RoomId>,
    /// The plan as the host wrote it (for export), while its rooms stand.
    #[serde(default)]
    plan: Option<plan::Plan>,
    options: BreakoutOptions,
    #[serde(with = "crate::pairs")]
    help: BTreeMap<HelpRequestId, HelpRequest>,
    next_help: u32,
    rotation: Option<Rotation>,
    /// Not in the state a server writes on every change: chat lines are stored as they come
    /// (`restore_chat` brings them back). Older saved states that still carry it are read.
    #[serde(default, skip_serializing, with = "crate::pairs")]
    chat: chat::ChatLogs,
    #[serde(default)]
    info: info::MeetingInfo,
    #[serde(default)]
    group_sets: BTreeMap<String, groups::GroupSet>,
    /// The host ended the meeting: nobody joins or acts any more, no timer runs.
    #[serde(default)]
    ended: bool,
    /// The turn the next raised hand gets.
    #[serde(default)]
    next_hand: u64,
    /// Wrong passcodes by client address (not persisted: a restart forgets them).
    #[serde(skip)]
    guard: Guard,
    /// Not persisted: a restored meeting has delivered everything already.
    #[serde(skip)]
    events: Vec<Envelope>,
}

impl Meeting {
    /// A new, empty meeting whose host capability is `host_secret`. `seed` drives every random
    /// choice (the automatic split, rotations), so a meeting is reproducible from its inputs.
    pub fn new(host_secret: HostSecret, seed: u64) -> Self {
        Meeting {
            host_secret,
            rng: Rng::new(seed),
            participants: BTreeMap::new(),
            next_participant: 1,
            next_seq: 0,
            self_unmute_allowed: true,
            rooms: BTreeMap::new(),
            next_room: 1,
            assignments: BTreeMap::new(),
            remembered: BTreeMap::new(),
            planned: BTreeMap::new(),
            plan: None,
            options: BreakoutOptions::default(),
            help: BTreeMap::new(),
            next_help: 1,
            rotation: None,
            chat: chat::ChatLogs::new(),
            info: info::MeetingInfo::default(),
            group_sets: BTreeMap::new(),
            ended: false,
            next_hand: 0,
            guard: Guard::default(),
            events: Vec::new(),
        }
    }

    /// Applies one command from `actor`. On error nothing has changed and no event is queued.
    pub fn apply(
        &mut self,
        command: Command,
        actor: ParticipantId,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if self.ended {
            return Err(CommandError::MeetingEnded);
        }
        let role = self.role_of(actor).ok_or(CommandError::NotInMeeting)?;
        permissions::check(&command, role)?;
        let raised = self.raised_hands();
        let result = match command {
            Command::Leave => {
                self.remove(actor);
                Ok(())
            }
            Command::RemoveParticipant { participant } => self.remove_by(actor, role, participant),
            Command::EndMeeting => {
                self.end(actor);
                Ok(())
            }
            Command::MakeCoHost { participant } => self.set_role(participant, Role::CoHost),
            Command::RemoveCoHost { participant } => self.remove_co_host(participant),
            Command::MakeHost { participant } => self.transfer_host(actor, participant),
            Command::Mute { participant } => self.mute(participant),
            Command::MuteAll => {
                self.mute_all();
                Ok(())
            }
            Command::SetSelfUnmute { allowed } => {
                self.set_self_unmute(allowed);
                Ok(())
            }
            Command::SetMyMicrophone { muted } => self.set_my_microphone(actor, role, muted),
            Command::SendChat { text } => self.send_chat(actor, &text, now),
            Command::SetInfo { info } => self.set_info(&info),
            Command::SaveGroups { name } => self.save_groups(&name, now),
            Command::LoadGroups { name } => self.load_groups(&name),
            Command::DeleteGroups { name } => self.delete_groups(&name),
            Command::RaiseHand => self.raise_hand(actor),
            Command::LowerHand { participant } => self.lower_hand(actor, role, participant),
            other => self.apply_breakout(other, actor, role, now),
        };
        if result.is_ok() && !raised.is_empty() {
            self.lower_hands_of_movers(raised);
        }
        result
    }

    /// Applies a planning command on the strength of the host secret alone (the REST API, with
    /// nobody in the meeting). Commands that need someone in the meeting are refused.
    pub fn apply_as_host(
        &mut self,
        command: Command,
        secret: &HostSecret,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.check_host_secret(secret)?;
        if self.ended {
            return Err(CommandError::MeetingEnded);
        }
        use Command::*;
        let raised = self.raised_hands();
        let result = match command {
            LoadPlan { .. }
            | SetOptions { .. }
            | CreateRooms { .. }
            | AddRoom { .. }
            | DeleteRoom { .. }
            | RenameRoom { .. }
            | SetTopic { .. }
            | RemoveAllRooms => self.apply_breakout(command, ParticipantId(0), Role::Host, now),
            SetInfo { info } => self.set_info(&info),
            SaveGroups { name } => self.save_groups(&name, now),
            LoadGroups { name } => self.load_groups(&name),
            DeleteGroups { name } => self.delete_groups(&name),
            // Ended from outside (`DELETE /api/meetings/{id}`): "by" nobody present.
            EndMeeting => {
                self.end(ParticipantId(0));
                Ok(())
            }
            _ => Err(CommandError::NeedsParticipant),
        };
        if result.is_ok() && !raised.is_empty() {
            self.lower_hands_of_movers(raised);
        }
        result
    }

    /// The plan as loaded, for the holder of the host secret.
    pub fn plan_for_host(&self, secret: &HostSecret) -> Result<Option<&plan::Plan>, CommandError> {
        self.check_host_secret(secret)?;
        Ok(self.plan.as_ref())
    }

    fn check_host_secret(&self, secret: &HostSecret) -> Result<(), CommandError> {
        if secret.matches(&self.host_secret) {
            Ok(())
        } else {
            Err(CommandError::NotAllowed {
                required: Required::Host,
            })
        }
    }

    /// The meeting as JSON, for persistence.
    pub fn to_json(&self) -> Result<String, String> {
        serde_json::to_string(self).map_err(|e| e.to_string())
    }

    /// A meeting persisted with `to_json`.
    pub fn from_json(json: &str) -> Result<Meeting, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    /// Takes the queued events, oldest first.
    pub fn drain_events(&mut self) -> Vec<Envelope> {
        std::mem::take(&mut self.events)
    }

    /// The meeting as `who` sees it (hosts also see the whole help queue).
    pub fn view_for(&self, who: ParticipantId) -> MeetingView {
        let mut participants: Vec<(u64, ParticipantView)> = self
            .participants
            .iter()
            .filter_map(|(id, p)| Some((p.joined_seq, self.participant_view(*id)?)))
            .collect();
        participants.sort_by_key(|(seq, _)| *seq);
        MeetingView {
            participants: participants.into_iter().map(|(_, v)| v).collect(),
            rooms: self.room_views(),
            options: self.options,
            self_unmute_allowed: self.self_unmute_allowed,
            help: self.help_visible_to(who),
            rotation: self.rotation.as_ref().map(|r| {
                (
                    u32::try_from(r.round + 1).unwrap_or(u32::MAX),
                    u32::try_from(r.schedule.len()).unwrap_or(u32::MAX),
                )
            }),
            chat: self
                .place_of(who)
                .map(|place| self.chat_of(place))
                .unwrap_or_default(),
            info: self.info.public(),
            group_sets: self.group_sets_visible_to(who),
        }
    }

    /// The role of a present participant.
    pub fn role_of(&self, who: ParticipantId) -> Option<Role> {
        self.participants.get(&who).map(|p| p.role)
    }

    /// Where a present participant is.
    pub fn place_of(&self, who: ParticipantId) -> Option<Place> {
        self.participants.get(&who).map(|p| p.place)
    }

    /// Whether a present participant's audio is muted by policy.
    pub fn is_muted(&self, who: ParticipantId) -> Option<bool> {
        self.participants.get(&who).map(|p| p.muted)
    }

    /// How many people are present.
    pub fn participant_count(&self) -> usize {
        self.participants.len()
    }

    /// Ids of everyone present, in id order.
    pub fn participant_ids(&self) -> Vec<ParticipantId> {
        self.participants.keys().copied().collect()
    }

    /// How many rooms exist.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// Ids of every room, in creation order.
    pub fn room_ids(&self) -> Vec<RoomId> {
        self.rooms.keys().copied().collect()
    }

    /// The current host, if anyone is present.
    pub fn host(&self) -> Option<ParticipantId> {
        self.participants
            .iter()
            .find(|(_, p)| p.role == Role::Host)
            .map(|(id, _)| *id)
    }

    /// Whether `who` should receive an event addressed to `audience`. An event for one person
    /// reaches them even once they are gone (the notice that they were removed).
    pub fn is_in_audience(&self, who: ParticipantId, audience: &Audience) -> bool {
        if let Audience::Participant { participant } = audience {
            return *participant == who;
        }
        let Some(p) = self.participants.get(&who) else {
            return false;
        };
        match audience {
            Audience::Everyone => true,
            Audience::Hosts => p.role >= Role::CoHost,
            Audience::Participant { participant } => *participant == who,
            Audience::Main => p.place == Place::Main,
            Audience::Room { room } => p.place.room() == Some(*room),
        }
    }

    fn participant_view(&self, id: ParticipantId) -> Option<ParticipantView> {
        let p = self.participants.get(&id)?;
        Some(ParticipantView {
            id,
            name: p.name.clone(),
            role: p.role,
            place: p.place,
            muted: p.muted,
            assigned: self.assignments.get(&id).copied(),
            suggested_co_host: p.suggested_co_host,
            hand: p.hand,
        })
    }

    fn room_views(&self) -> Vec<RoomView> {
        self.rooms
            .iter()
            .map(|(id, r)| RoomView {
                id: *id,
                name: r.name.clone(),
                topic: r.topic.clone(),
                status: r.status,
            })
            .collect()
    }

    fn help_view(id: HelpRequestId, h: &HelpRequest) -> HelpRequestView {
        HelpRequestView {
            id,
            from: h.from,
            room: h.room,
            at: h.at,
            resolved_by: h.resolved_by,
        }
    }

    fn help_visible_to(&self, who: ParticipantId) -> Vec<HelpRequestView> {
        let is_host = self.role_of(who).is_some_and(|r| r >= Role::CoHost);
        self.help
            .iter()
            .filter(|(_, h)| is_host || h.from == who)
            .map(|(id, h)| Self::help_view(*id, h))
            .collect()
    }

    /// How many remembered keys the meeting holds (bounded by `arrivals::MAX_REMEMBERED`).
    #[doc(hidden)]
    pub fn remembered_len(&self) -> usize {
        self.remembered.len()
    }

    fn emit(&mut self, audience: Audience, event: Event) {
        self.events.push(Envelope { audience, event });
    }

    /// Checks every structural invariant; used by tests after every step.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        let hosts = self
            .participants
            .values()
            .filter(|p| p.role == Role::Host)
            .count();
        // At most one host. None only while waiting for the host to arrive (the participant
        // link never makes a host); once there is a co-host there is always a host.
        let co_hosts = self
            .participants
            .values()
            .filter(|p| p.role == Role::CoHost)
            .count();
        if hosts > 1 || (hosts == 0 && co_hosts > 0) {
            return Err(format!("{hosts} hosts and {co_hosts} co-hosts"));
        }
        let holders = self
            .participants
            .values()
            .filter(|p| p.holds_secret)
            .count();
        if holders > 0 && hosts == 0 {
            return Err(format!("{holders} holders of the secret and no host"));
        }
        for (id, p) in &self.participants {
            if let Place::Room { room } = p.place {
                match self.rooms.get(&room).map(|r| r.status) {
                    Some(RoomStatus::Open { .. } | RoomStatus::Closing { .. }) => {}
                    other => return Err(format!("{id} is in {room} whose status is {other:?}")),
                }
            }
        }
        for (id, room) in &self.assignments {
            if !self.participants.contains_key(id) || !self.rooms.contains_key(room) {
                return Err(format!("dangling assignment {id} -> {room}"));
            }
        }
        for room in self.remembered.values().chain(self.planned.values()) {
            if !self.rooms.contains_key(room) {
                return Err(format!("remembered or planned room {room} does not exist"));
            }
        }
        if self.rooms.len() > rooms::MAX_ROOMS {
            return Err("too many rooms".into());
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests;
