//! What a client knows of a meeting: a snapshot it receives on join, kept current by applying
//! events. The same `apply` runs in the browser store and in the tests that compare every client's
//! view with `Meeting::view_for` after every step.

use crate::ids::{HelpRequestId, ParticipantId, RoomId};
use crate::meeting::Role;
use crate::meeting::chat::{CHAT_HISTORY, ChatMessage};
use crate::meeting::event::Event;
use crate::meeting::groups::GroupSetView;
use crate::meeting::info::PublicInfo;
use crate::meeting::rooms::{BreakoutOptions, Phase, Place, RoomStatus, RoomView};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One participant as others see them. Usual values (a participant, in the main session, not
/// muted, unassigned) are left out of the JSON: a snapshot of a thousand people is sent to each
/// newcomer, and each connection's write buffer keeps the size of the largest frame it sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub id: ParticipantId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Role::is_participant")]
    pub role: Role,
    #[serde(default, skip_serializing_if = "Place::is_main")]
    pub place: Place,
    /// Muted by the host or by themselves; the server forwards no audio while set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub muted: bool,
    /// The room they are meant for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<RoomId>,
    /// The organiser named them as a co-host: hosts are offered `Make co-host`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub suggested_co_host: bool,
    /// Their raised hand's turn (lower goes first), while raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand: Option<u64>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A call for help from a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpRequestView {
    pub id: HelpRequestId,
    pub from: ParticipantId,
    pub room: RoomId,
    pub at: Timestamp,
    pub resolved_by: Option<ParticipantId>,
}

/// A client's picture of the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingView {
    /// Everyone present, in join order.
    pub participants: Vec<ParticipantView>,
    /// The breakout rooms, in creation order.
    pub rooms: Vec<RoomView>,
    pub options: BreakoutOptions,
    pub self_unmute_allowed: bool,
    /// Hosts see every request; a participant sees their own.
    pub help: Vec<HelpRequestView>,
    /// `(round, of)` while a rotation runs.
    pub rotation: Option<(u32, u32)>,
    /// The conversation of the place one is in.
    pub chat: Vec<ChatMessage>,
    /// Title, start time, whether a passcode is needed.
    #[serde(default)]
    pub info: PublicInfo,
    /// Saved group sets (hosts only).
    #[serde(default)]
    pub group_sets: Vec<GroupSetView>,
}

impl Default for MeetingView {
    /// The picture of a new, empty meeting (matching `Meeting::new`).
    fn default() -> Self {
        MeetingView {
            participants: Vec::new(),
            rooms: Vec::new(),
            options: BreakoutOptions::default(),
            self_unmute_allowed: true,
            help: Vec::new(),
            rotation: None,
            chat: Vec::new(),
            info: PublicInfo::default(),
            group_sets: Vec::new(),
        }
    }
}

impl MeetingView {
    /// Folds one event into the view.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::ParticipantJoined { participant } => {
                self.participants.retain(|p| p.id != participant.id);
                self.participants.push(participant.clone());
            }
            Event::ParticipantLeft { participant }
            | Event::ParticipantRemoved { participant, .. } => {
                self.participants.retain(|p| p.id != *participant);
            }
            Event::MeetingEnded { .. } => self.participants.clear(),
            Event::RoleChanged { participant, role } => {
                self.with_participant(*participant, |p| p.role = *role);
            }
            Event::MuteChanged { participant, muted } => {
                self.with_participant(*participant, |p| p.muted = *muted);
            }
            Event::SelfUnmuteChanged { allowed } => self.self_unmute_allowed = *allowed,
            Event::HandRaised { participant, order } => {
                self.with_participant(*participant, |p| p.hand = Some(*order));
            }
            Event::HandLowered { participant } => {
                self.with_participant(*participant, |p| p.hand = None);
            }
            Event::RoomsReplaced { rooms, assignments } => {
                self.rooms = rooms.clone();
                for p in &mut self.participants {
                    p.assigned = assignments
                        .iter()
                        .find(|(id, _)| *id == p.id)
                        .map(|(_, r)| *r);
                    p.place = Place::Main;
                }
            }
            Event::RoomAdded { room } => self.rooms.push(room.clone()),
            Event::RoomDeleted { room } => {
                self.rooms.retain(|r| r.id != *room);
                for p in &mut self.participants {
                    if p.assigned == Some(*room) {
                        p.assigned = None;
                    }
                    if p.place.room() == Some(*room) {
                        p.place = Place::Main;
                    }
                }
            }
            Event::RoomRenamed { room, name } => {
                self.with_room(*room, |r| r.name.clone_from(name));
            }
            Event::TopicSet { room, topic } => {
                self.with_room(*room, |r| r.topic.clone_from(topic));
            }
            Event::Assigned { participant, room } => {
                self.with_participant(*participant, |p| p.assigned = *room);
            }
            Event::OptionsChanged { options } => self.options = *options,
            Event::RoomsOpened { deadline, moved } => {
                for r in &mut self.rooms {
                    r.status = RoomStatus::Open {
                        deadline: *deadline,
                    };
                }
                for (id, room) in moved {
                    self.with_participant(*id, |p| {
                        p.place = Place::Room { room: *room };
                        p.assigned = Some(*room);
                    });
                }
            }
            Event::RoomsClosing { until } => {
                for r in &mut self.rooms {
                    if matches!(r.status, RoomStatus::Open { .. }) {
                        r.status = RoomStatus::Closing { until: *until };
                    }
                }
            }
            Event::RoomStatusChanged { room, status } => {
                self.with_room(*room, |r| r.status = *status);
                if *status == RoomStatus::Closed {
                    for p in &mut self.participants {
                        if p.place.room() == Some(*room) {
                            p.place = Place::Main;
                        }
                    }
                }
            }
            Event::RoomsClosed => {
                for r in &mut self.rooms {
                    r.status = RoomStatus::Idle;
                }
                for p in &mut self.participants {
                    p.place = Place::Main;
                }
                self.rotation = None;
                self.help.clear();
            }
            Event::ParticipantMoved { participant, to } => {
                self.with_participant(*participant, |p| p.place = *to);
            }
            Event::HelpRequested { request } => {
                self.help.retain(|h| h.id != request.id);
                self.help.push(request.clone());
            }
            Event::HelpResolved { request, by } => {
                if let Some(h) = self.help.iter_mut().find(|h| h.id == *request) {
                    h.resolved_by = Some(*by);
                }
            }
            Event::HelpQueue { requests } => self.help.clone_from(requests),
            Event::RotationRound { round, of } => self.rotation = Some((*round, *of)),
            Event::ChatMessage { message, .. } => {
                self.chat.push(message.clone());
                let excess = self.chat.len().saturating_sub(CHAT_HISTORY);
                self.chat.drain(..excess);
            }
            Event::ChatHistory { messages, .. } => self.chat.clone_from(messages),
            Event::InfoChanged {
                info,
                suggested_co_hosts,
            } => {
                self.info = info.clone();
                for p in &mut self.participants {
                    p.suggested_co_host = suggested_co_hosts.contains(&p.id);
                }
            }
            Event::GroupSetsChanged { sets } => self.group_sets.clone_from(sets),
            Event::TimeUp { .. } | Event::Broadcast { .. } | Event::PlanConflict { .. } => {}
        }
    }

    /// Looks a participant up by id.
    pub fn participant(&self, id: ParticipantId) -> Option<&ParticipantView> {
        self.participants.iter().find(|p| p.id == id)
    }

    /// Looks a room up by id.
    pub fn room(&self, id: RoomId) -> Option<&RoomView> {
        self.rooms.iter().find(|r| r.id == id)
    }

    /// The session's phase, derived from the rooms.
    pub fn phase(&self) -> Phase {
        phase_of(self.rooms.iter().map(|r| r.status))
    }

    /// People in a place, in join order.
    pub fn people_in(&self, place: Place) -> impl Iterator<Item = &ParticipantView> {
        self.participants.iter().filter(move |p| p.place == place)
    }

    /// The room `who` is invited to: their assigned room is open and they are not in it.
    pub fn invitation(&self, who: ParticipantId) -> Option<RoomId> {
        let p = self.participant(who)?;
        let room = p.assigned?;
        let open = matches!(self.room(room)?.status, RoomStatus::Open { .. });
        (open && p.place == Place::Main).then_some(room)
    }

    /// Milliseconds left in a room at `now`: until its deadline while open, until the end of the
    /// countdown while closing.
    pub fn time_left(&self, room: RoomId, now: Timestamp) -> Option<u64> {
        match self.room(room)?.status {
            RoomStatus::Open {
                deadline: Some(deadline),
            } => Some(now.ms_until(deadline)),
            RoomStatus::Closing { until } => Some(now.ms_until(until)),
            _ => None,
        }
    }

    fn with_participant(&mut self, id: ParticipantId, f: impl FnOnce(&mut ParticipantView)) {
        if let Some(p) = self.participants.iter_mut().find(|p| p.id == id) {
            f(p);
        }
    }

    fn with_room(&mut self, id: RoomId, f: impl FnOnce(&mut RoomView)) {
        if let Some(r) = self.rooms.iter_mut().find(|r| r.id == id) {
            f(r);
        }
    }
}

/// The phase of a session whose rooms have these statuses.
pub fn phase_of(statuses: impl Iterator<Item = RoomStatus>) -> Phase {
    let (mut any, mut open, mut closing) = (false, false, false);
    for s in statuses {
        any = true;
        match s {
            RoomStatus::Open { .. } => open = true,
            RoomStatus::Closing { .. } => closing = true,
            RoomStatus::Idle | RoomStatus::Closed => {}
        }
    }
    match (any, open, closing) {
        (false, _, _) => Phase::NoRooms,
        (true, true, _) => Phase::Open,
        (true, false, true) => Phase::Closing,
        (true, false, false) => Phase::Planned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_participant_view_leaves_usual_values_out_and_reads_them_back() {
        let plain = ParticipantView {
            id: ParticipantId(4),
            name: "Ada".into(),
            role: Role::Participant,
            place: Place::Main,
            muted: false,
            assigned: None,
            suggested_co_host: false,
            hand: None,
        };
        let json = serde_json::to_string(&plain).expect("serialise");
        assert_eq!(json, r#"{"id":4,"name":"Ada"}"#);
        assert_eq!(
            serde_json::from_str::<ParticipantView>(&json).expect("parse"),
            plain
        );
        let unusual = ParticipantView {
            role: Role::CoHost,
            place: Place::Room { room: RoomId(2) },
            muted: true,
            assigned: Some(RoomId(2)),
            suggested_co_host: true,
            ..plain
        };
        let json = serde_json::to_string(&unusual).expect("serialise");
        assert_eq!(
            serde_json::from_str::<ParticipantView>(&json).expect("parse"),
            unusual
        );
    }
}
