//! The vocabulary of breakout rooms: places, rooms and their status, options, and how rooms are
//! created. Plain data with validation; the rules that change it are in `breakout.rs`.

use crate::ids::RoomId;
use crate::meeting::Role;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Most rooms one meeting may have.
pub const MAX_ROOMS: usize = 100;
/// Longest broadcast, in characters.
pub const MAX_BROADCAST_CHARS: usize = 140;
/// Longest room topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 500;
/// Longest automatic-close timer, in minutes (one day).
pub const MAX_MINUTES: u32 = 24 * 60;
/// Longest closing countdown, in seconds.
pub const MAX_COUNTDOWN_SECONDS: u32 = 600;

/// Where a participant is: the main session or one breakout room.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    #[default]
    Main,
    Room {
        room: RoomId,
    },
}

impl Place {
    /// Whether this is the main session (which a participant's view leaves out, being usual).
    pub fn is_main(&self) -> bool {
        *self == Place::Main
    }

    /// The room, if this place is one.
    pub fn room(self) -> Option<RoomId> {
        match self {
            Place::Main => None,
            Place::Room { room } => Some(room),
        }
    }
}

/// Where a room is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomStatus {
    /// Defined, not open (before opening, and again after a session ends).
    Idle,
    /// Open; closes (or the host is told) at `deadline`, if there is one.
    Open { deadline: Option<Timestamp> },
    /// Counting down; everyone in it returns to the main session at `until`.
    Closing { until: Timestamp },
    /// Closed early (its own timer ran out) while other rooms are still open.
    Closed,
}

impl RoomStatus {
    /// Whether the room is open or counting down (people may be in it).
    pub fn is_running(self) -> bool {
        matches!(self, RoomStatus::Open { .. } | RoomStatus::Closing { .. })
    }
}

/// One breakout room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub id: RoomId,
    pub name: String,
    /// A prompt or task for the room; may be empty.
    pub topic: String,
    pub status: RoomStatus,
}

/// The session as a whole, derived from the rooms' statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No rooms defined.
    NoRooms,
    /// Rooms defined, not open.
    Planned,
    /// At least one room is open.
    Open,
    /// Every room still running is counting down to close.
    Closing,
}

impl Phase {
    /// Whether rooms are open or counting down (people may be in them).
    pub fn is_running(self) -> bool {
        matches!(self, Phase::Open | Phase::Closing)
    }
}

/// The host's choices for a breakout session (the seed manual's six options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakoutOptions {
    /// Move everyone into their room on open; otherwise each gets an invitation with `Join`.
    pub move_automatically: bool,
    /// Participants may pick a room themselves.
    pub allow_choose: bool,
    /// Participants may go back to the main session at any time.
    pub allow_return: bool,
    /// Rooms close automatically this many minutes after opening.
    pub auto_close_minutes: Option<u32>,
    /// The host and co-hosts are told when a room's time is up.
    pub notify_when_time_up: bool,
    /// Closing counts down this many seconds before everyone is back; `None` closes at once.
    pub countdown_seconds: Option<u32>,
}

impl Default for BreakoutOptions {
    fn default() -> Self {
        BreakoutOptions {
            move_automatically: false,
            allow_choose: false,
            allow_return: true,
            auto_close_minutes: None,
            notify_when_time_up: true,
            countdown_seconds: Some(60),
        }
    }
}

impl BreakoutOptions {
    /// Whether someone with `role` may go back to the main session by themselves.
    pub fn may_return(&self, role: Role) -> bool {
        role >= Role::CoHost || self.allow_return
    }

    /// Whether someone with `role` may enter an open room they were not assigned to.
    pub fn may_choose(&self, role: Role) -> bool {
        role >= Role::CoHost || self.allow_choose
    }

    /// Whether the numbers are within bounds.
    pub fn is_valid(&self) -> bool {
        self.auto_close_minutes
            .is_none_or(|m| (1..=MAX_MINUTES).contains(&m))
            && self
                .countdown_seconds
                .is_none_or(|s| s <= MAX_COUNTDOWN_SECONDS)
    }
}

/// How many rooms to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomCount {
    /// Exactly this many rooms.
    Rooms { count: u32 },
    /// As many rooms as groups of this size need (rounded up).
    GroupsOf { size: u32 },
}

/// How people get into rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// An even split, sizes differing by at most one.
    Automatically,
    /// The host assigns each person.
    Manually,
    /// Participants pick their own room.
    ParticipantsChoose,
}

/// Where a broadcast goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BroadcastTarget {
    /// Every room and the main session.
    All,
    /// One room.
    Room { room: RoomId },
}

/// The default name of the `n`th room (1-based), as in the seed manual.
pub fn default_room_name(n: usize) -> String {
    format!("Breakout room {n}")
}
