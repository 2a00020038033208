//! Who may send which command: the one place this is decided. Commands open to everyone may
//! still be refused by the breakout rules (e.g. `ReturnToMain` when returning is not allowed).
//!
//! | Command | Participant | Co-host | Host |
//! |---|---|---|---|
//! | `Leave`, `SetMyMicrophone` | yes | yes | yes |
//! | `JoinRoom` (own room; any room if choosing is allowed) | yes | yes (any open room) | yes (any open room) |
//! | `ReturnToMain` (if returning is allowed) | yes | yes (always) | yes (always) |
//! | `AskForHelp` (from a room) | yes | yes | yes |
//! | `MakeCoHost`, `RemoveCoHost`, `MakeHost` | no | no | yes |
//! | `Mute`, `MuteAll`, `SetSelfUnmute` | no | yes | yes |
//! | `CreateRooms`, `AddRoom`, `DeleteRoom`, `RenameRoom`, `SetTopic`, `RemoveAllRooms` | no | yes | yes |
//! | `Assign`, `Swap`, `SetOptions`, `LoadPlan` | no | yes | yes |
//! | `OpenRooms`, `CloseRooms`, `MoveParticipant`, `ExtendRoomTime`, `StartRotation` | no | yes | yes |
//! | `Broadcast`, `ResolveHelp` | no | yes | yes |

use super::Role;
use super::command::{Command, CommandError, Required};

/// The role a command needs, or `None` if anyone present may send it.
pub fn requirement(command: &Command) -> Option<Required> {
    use Command::*;
    match command {
        Leave | SetMyMicrophone { .. } | JoinRoom { .. } | ReturnToMain | AskForHelp => None,
        MakeCoHost { .. } | RemoveCoHost { .. } | MakeHost { .. } => Some(Required::Host),
        Mute { .. }
        | MuteAll
        | SetSelfUnmute { .. }
        | CreateRooms { .. }
        | AddRoom { .. }
        | DeleteRoom { .. }
        | RenameRoom { .. }
        | SetTopic { .. }
        | Assign { .. }
        | Swap { .. }
        | SetOptions { .. }
        | LoadPlan { .. }
        | RemoveAllRooms
        | OpenRooms
        | CloseRooms
        | MoveParticipant { .. }
        | Broadcast { .. }
        | ResolveHelp { .. }
        | ExtendRoomTime { .. }
        | StartRotation { .. } => Some(Required::HostOrCoHost),
    }
}

/// Whether `role` may send `command` at all.
pub fn check(command: &Command, role: Role) -> Result<(), CommandError> {
    let allowed = match requirement(command) {
        None => true,
        Some(Required::Host) => role == Role::Host,
        Some(Required::HostOrCoHost) => role >= Role::CoHost,
    };
    match (allowed, requirement(command)) {
        (false, Some(required)) => Err(CommandError::NotAllowed { required }),
        _ => Ok(()),
    }
}
