//! What happened in a meeting, in the past tense, and who should hear about it.
//!
//! Events are the only way state reaches clients after the first snapshot: the frontend's store
//! applies them to its `MeetingView` with the same code (`view.rs`) the tests use to check that
//! every client's picture equals the server's.

use crate::ids::{HelpRequestId, ParticipantId, RoomId};
use crate::meeting::Role;
use crate::meeting::chat::ChatMessage;
use crate::meeting::groups::GroupSetView;
use crate::meeting::info::PublicInfo;
use crate::meeting::rooms::{BreakoutOptions, Place, RoomStatus, RoomView};
use crate::meeting::view::{HelpRequestView, ParticipantView};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One change to the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    ParticipantJoined {
        participant: ParticipantView,
    },
    ParticipantLeft {
        participant: ParticipantId,
    },
    /// `by` took `participant` out of the meeting (sent to everyone, and to the one removed).
    ParticipantRemoved {
        participant: ParticipantId,
        by: ParticipantId,
    },
    /// The host ended the meeting for everyone.
    MeetingEnded {
        by: ParticipantId,
    },
    RoleChanged {
        participant: ParticipantId,
        role: Role,
    },
    MuteChanged {
        participant: ParticipantId,
        muted: bool,
    },
    SelfUnmuteChanged {
        allowed: bool,
    },
    /// A hand went up, with its turn (lower goes first).
    HandRaised {
        participant: ParticipantId,
        order: u64,
    },
    /// A hand came down (lowered by its owner or a host, or its owner moved).
    HandLowered {
        participant: ParticipantId,
    },
    /// The whole set of rooms was replaced (created, recreated, planned, removed).
    RoomsReplaced {
        rooms: Vec<RoomView>,
        assignments: Vec<(ParticipantId, RoomId)>,
    },
    RoomAdded {
        room: RoomView,
    },
    RoomDeleted {
        room: RoomId,
    },
    RoomRenamed {
        room: RoomId,
        name: String,
    },
    TopicSet {
        room: RoomId,
        topic: String,
    },
    Assigned {
        participant: ParticipantId,
        room: Option<RoomId>,
    },
    OptionsChanged {
        options: BreakoutOptions,
    },
    /// Rooms opened; `moved` lists who went straight into which room.
    RoomsOpened {
        deadline: Option<Timestamp>,
        moved: Vec<(ParticipantId, RoomId)>,
    },
    /// Every open room started closing; everyone is back in the main session at `until`.
    RoomsClosing {
        until: Timestamp,
    },
    /// A room's status changed (timer moved, closing started, closed early).
    RoomStatusChanged {
        room: RoomId,
        status: RoomStatus,
    },
    /// Everyone is back in the main session; rooms are kept for another round.
    RoomsClosed,
    ParticipantMoved {
        participant: ParticipantId,
        to: Place,
    },
    /// A room's time is up (to the host and co-hosts, if they asked to be told).
    TimeUp {
        room: RoomId,
    },
    Broadcast {
        from: ParticipantId,
        text: String,
        room: Option<RoomId>,
    },
    HelpRequested {
        request: HelpRequestView,
    },
    HelpResolved {
        request: HelpRequestId,
        by: ParticipantId,
    },
    /// The help queue as a newly appointed (or demoted) host sees it.
    HelpQueue {
        requests: Vec<HelpRequestView>,
    },
    /// A speed-networking rotation moved on to `round` (1-based) of `of`.
    RotationRound {
        round: u32,
        of: u32,
    },
    /// Someone said something in `place` (sent only to the people there).
    ChatMessage {
        place: Place,
        message: ChatMessage,
    },
    /// The recent conversation of the place one has just entered.
    ChatHistory {
        place: Place,
        messages: Vec<ChatMessage>,
    },
    /// The meeting's public settings changed; `suggested_co_hosts` are the people present whom
    /// the organiser named as co-hosts.
    InfoChanged {
        info: PublicInfo,
        suggested_co_hosts: Vec<ParticipantId>,
    },
    /// The saved group sets (to hosts, and to someone who just gained or lost host rights).
    GroupSetsChanged {
        sets: Vec<GroupSetView>,
    },
    /// A plan entry matched two people present, so neither was placed by it.
    PlanConflict {
        key: String,
        participants: Vec<ParticipantId>,
    },
}

/// Who receives an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone in the meeting, wherever they are.
    Everyone,
    /// The host and every co-host.
    Hosts,
    /// One person.
    Participant { participant: ParticipantId },
    /// The people in the main session.
    Main,
    /// The people in one breakout room (members and visiting hosts).
    Room { room: RoomId },
}

/// An event with its audience, as queued by the meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub audience: Audience,
    pub event: Event,
}
