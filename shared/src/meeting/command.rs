//! What a participant can ask the meeting to do, and the typed reasons it can say no.
//!
//! Commands are imperative (`OpenRooms`); the events they cause are in `event.rs`, past tense.
//! Who may send which command is decided in one place, `permissions.rs`.

use crate::ids::{HelpRequestId, ParticipantId, RoomId};
use crate::meeting::info::MeetingInfo;
use crate::meeting::plan::Plan;
use crate::meeting::rooms::{BreakoutOptions, BroadcastTarget, Place, RoomCount, Strategy};
use crate::names::TextError;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A request from one participant (the actor) to change the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    // --- membership and roles ---
    /// Leave the meeting for good.
    Leave,
    /// Appoint a co-host.
    MakeCoHost {
        participant: ParticipantId,
    },
    /// Take co-host rights away again.
    RemoveCoHost {
        participant: ParticipantId,
    },
    /// Hand the host role to someone else (the old host becomes a co-host).
    MakeHost {
        participant: ParticipantId,
    },
    /// Take someone out of the meeting: they are told, and their session cannot resume.
    RemoveParticipant {
        participant: ParticipantId,
    },
    /// End the meeting for everyone: all are told, media stops, nobody can join any more.
    EndMeeting,

    // --- audio policy ---
    /// Mute one participant.
    Mute {
        participant: ParticipantId,
    },
    /// Mute everyone but the host and co-hosts.
    MuteAll,
    /// Allow or forbid participants to unmute themselves.
    SetSelfUnmute {
        allowed: bool,
    },
    /// Mute or unmute oneself.
    SetMyMicrophone {
        muted: bool,
    },
    /// Raise one's hand.
    RaiseHand,
    /// Lower a hand: one's own, or (a host or co-host, having answered) anyone's.
    LowerHand {
        participant: ParticipantId,
    },

    // --- chat ---
    /// Say something to everyone in one's current place (main session or room).
    SendChat {
        text: String,
    },

    // --- the meeting itself ---
    /// Replace the title, start time, passcode and designated co-hosts.
    SetInfo {
        info: MeetingInfo,
    },
    /// Keep the current rooms and their people under a name, for a later session.
    SaveGroups {
        name: String,
    },
    /// Replace the rooms with a saved set (its people are matched as they join).
    LoadGroups {
        name: String,
    },
    DeleteGroups {
        name: String,
    },

    // --- setting rooms up ---
    /// Create (or recreate) the rooms and, automatically, the assignment.
    CreateRooms {
        count: RoomCount,
        strategy: Strategy,
    },
    /// Add one room (named `Breakout room N` unless a name is given).
    AddRoom {
        name: Option<String>,
    },
    /// Delete a room; its people become unassigned (and return to the main session if open).
    DeleteRoom {
        room: RoomId,
    },
    RenameRoom {
        room: RoomId,
        name: String,
    },
    /// Set a room's topic or prompt (empty clears it).
    SetTopic {
        room: RoomId,
        topic: String,
    },
    /// Put a participant in a room's list (or take them off it with `None`).
    Assign {
        participant: ParticipantId,
        room: Option<RoomId>,
    },
    /// Exchange two participants' rooms.
    Swap {
        a: ParticipantId,
        b: ParticipantId,
    },
    /// Set all options at once.
    SetOptions {
        options: BreakoutOptions,
    },
    /// Load a plan of rooms and pre-assigned people (by name or email).
    LoadPlan {
        plan: Plan,
    },
    /// Remove every room.
    RemoveAllRooms,

    // --- running rooms ---
    OpenRooms,
    /// Start closing every open room (with the countdown, if set).
    CloseRooms,
    /// Move a participant to another place now.
    MoveParticipant {
        participant: ParticipantId,
        to: Place,
    },
    /// Go into a room: one's invitation, one's choice, or (hosts) a visit.
    JoinRoom {
        room: RoomId,
    },
    /// `Leave breakout room`: back to the main session.
    ReturnToMain,
    /// Send a message of 1–140 characters to every room or one.
    Broadcast {
        text: String,
        target: BroadcastTarget,
    },
    /// `Ask for help`: call the host and co-hosts to one's room.
    AskForHelp,
    /// Mark a help request handled.
    ResolveHelp {
        request: HelpRequestId,
    },
    /// Lengthen (positive) or shorten (negative) one open room's time.
    ExtendRoomTime {
        room: RoomId,
        seconds: i32,
    },
    /// Speed networking: `rounds` rounds of groups of `group_size`, `round_minutes` each,
    /// minimising repeated pairings; rooms are created, filled and opened at once.
    StartRotation {
        rounds: u32,
        group_size: u32,
        round_minutes: u32,
    },
}

/// Why the meeting refused a command or a join. Nothing changed when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandError {
    #[error("only {required} may do that")]
    NotAllowed { required: Required },
    #[error("there is no such participant in this meeting")]
    UnknownParticipant,
    #[error("that name is not allowed: {problem}")]
    InvalidName { problem: TextError },
    #[error("that text is not allowed: {problem}")]
    InvalidText { problem: TextError },
    #[error("that email address does not look right")]
    InvalidEmail,
    #[error("that needs someone in the meeting to do it")]
    NeedsParticipant,
    #[error("you are not in this meeting")]
    NotInMeeting,
    #[error("that participant already has that role")]
    AlreadyInRole,
    #[error("the meeting is full ({max} participants)")]
    MeetingFull { max: usize },
    #[error("the number of rooms must be between 1 and {max}")]
    InvalidRoomCount { max: usize },
    #[error("the group size must be at least 1")]
    InvalidGroupSize,
    #[error("there is no such room")]
    UnknownRoom,
    #[error("there are no breakout rooms")]
    NoRooms,
    #[error("the breakout rooms are already open")]
    AlreadyOpen,
    #[error("the breakout rooms are not open")]
    NotOpen,
    #[error("that room is not open")]
    RoomNotOpen,
    #[error("participants may not choose their room in this session")]
    ChoosingNotAllowed,
    #[error("participants may not return to the main session in this session")]
    ReturnNotAllowed,
    #[error("you are not in a breakout room")]
    NotInRoom,
    #[error("you are already there")]
    AlreadyThere,
    #[error("you have already asked for help")]
    AlreadyAsked,
    #[error("there is no such help request")]
    UnknownHelpRequest,
    #[error("that help request was already resolved")]
    AlreadyResolved,
    #[error("that room has no timer")]
    NoTimer,
    #[error("a speed-networking rotation is running; its rounds keep their own time")]
    RotationRunning,
    #[error("an option is out of range")]
    InvalidOptions,
    #[error("the host may not unmute you right now")]
    SelfUnmuteForbidden,
    #[error("the host cannot be muted")]
    CannotMuteHost,
    #[error("this meeting needs a passcode")]
    PasscodeRequired,
    #[error("that passcode is not right")]
    WrongPasscode,
    #[error("the meeting settings are not valid: {reason}")]
    InvalidInfo { reason: String },
    #[error("there is no saved group set of that name")]
    UnknownGroupSet,
    #[error("at most {max} group sets can be saved")]
    TooManyGroupSets { max: usize },
    #[error("the plan is not valid: {reason}")]
    InvalidPlan { reason: String },
    #[error(
        "a rotation needs between 1 and 50 rounds, a group size of at least 2 and 1 to {max} minutes a round"
    )]
    InvalidRotation { max: u32 },
    #[error("this meeting has ended")]
    MeetingEnded,
    #[error("too many wrong passcodes; try again in {retry_after_secs} seconds")]
    TooManyPasscodeTries { retry_after_secs: u32 },
    #[error("that launch from the learning platform could not be checked; launch again")]
    LaunchNotChecked,
}

/// Who would have been allowed, for the human-readable error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Required {
    Host,
    HostOrCoHost,
}

impl std::fmt::Display for Required {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Required::Host => "the host",
            Required::HostOrCoHost => "the host or a co-host",
        })
    }
}
