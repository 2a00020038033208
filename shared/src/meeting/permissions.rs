//! Who may send which command: the one place this is decided. Commands open to everyone may
//! still be refused by the breakout rules (e.g. `ReturnToMain` when returning is not allowed).
//!
//! | Command | Participant | Co-host | Host |
//! |---|---|---|---|
//! | `Leave`, `SetMyMicrophone`, `SendChat` | yes | yes | yes |
//! | `JoinRoom` (own room; any room if choosing is allowed) | yes | yes (any open room) | yes (any open room) |
//! | `ReturnToMain` (if returning is allowed) | yes | yes (always) | yes (always) |
//! | `AskForHelp` (from a room), `RaiseHand` | yes | yes | yes |
//! | `LowerHand` (one's own; anyone's for hosts) | yes (own) | yes | yes |
//! | `MakeCoHost`, `RemoveCoHost`, `MakeHost`, `SetInfo`, `EndMeeting` | no | no | yes |
//! | `RemoveParticipant` (someone of a lower role) | no | yes (participants) | yes |
//! | `SaveGroups`, `LoadGroups`, `DeleteGroups` | no | yes | yes |
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
        Leave
        | SetMyMicrophone { .. }
        | SendChat { .. }
        | JoinRoom { .. }
        | ReturnToMain
        | AskForHelp
        | RaiseHand
        | LowerHand { .. } => None,
        MakeCoHost { .. } | RemoveCoHost { .. } | MakeHost { .. } | SetInfo { .. } | EndMeeting => {
            Some(Required::Host)
        }
        RemoveParticipant { .. }
        | Mute { .. }
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
        | StartRotation { .. }
        | SaveGroups { .. }
        | LoadGroups { .. }
        | DeleteGroups { .. } => Some(Required::HostOrCoHost),
    }
}

/// Whether `role` may send `command` at all.
pub fn check(command: &Command, role: Role) -> Result<(), CommandError> {
    let allowed = match requirement(command) {
        None => true,
        Some(Required::Host) => role == Role::Host,
        Some(Required::HostOrCoHost) => role.is_hosting(),
    };
    match (allowed, requirement(command)) {
        (false, Some(required)) => Err(CommandError::NotAllowed { required }),
        _ => Ok(()),
    }
}

/// Whether `actor` may send `command`, which names a person whose role is `target`: the role
/// rule of `check`, then whom the engine lets it name (only a participant becomes a co-host,
/// only a co-host stops being one, the host is never muted and never given the host role
/// again, and only someone of a lower role is removed). Clients offer a person's actions by
/// this, so they offer what the engine accepts.
pub fn may_act_on(command: &Command, actor: Role, target: Role) -> bool {
    if check(command, actor).is_err() {
        return false;
    }
    match command {
        Command::MakeCoHost { .. } => target == Role::Participant,
        Command::RemoveCoHost { .. } => target == Role::CoHost,
        Command::MakeHost { .. } | Command::Mute { .. } => target != Role::Host,
        Command::RemoveParticipant { .. } => target < actor,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{HelpRequestId, ParticipantId, RoomId};
    use crate::meeting::plan::Plan;
    use crate::meeting::rooms::{BreakoutOptions, BroadcastTarget, Place, RoomCount, Strategy};

    /// The table in this module's docs, written out independently of `requirement`.
    #[test]
    fn the_documented_matrix_holds_for_every_command() {
        let p = ParticipantId(1);
        let r = RoomId(1);
        // (command, participant, co-host, host)
        let rows: Vec<(Command, bool, bool, bool)> = vec![
            (Command::Leave, true, true, true),
            (Command::SetMyMicrophone { muted: false }, true, true, true),
            (Command::SendChat { text: "x".into() }, true, true, true),
            (Command::JoinRoom { room: r }, true, true, true),
            (Command::ReturnToMain, true, true, true),
            (Command::AskForHelp, true, true, true),
            (Command::MakeCoHost { participant: p }, false, false, true),
            (Command::RemoveCoHost { participant: p }, false, false, true),
            (Command::MakeHost { participant: p }, false, false, true),
            (
                Command::SetInfo {
                    info: crate::meeting::info::MeetingInfo::default(),
                },
                false,
                false,
                true,
            ),
            (Command::EndMeeting, false, false, true),
            (
                Command::RemoveParticipant { participant: p },
                false,
                true,
                true,
            ),
            (Command::SaveGroups { name: "x".into() }, false, true, true),
            (Command::LoadGroups { name: "x".into() }, false, true, true),
            (
                Command::DeleteGroups { name: "x".into() },
                false,
                true,
                true,
            ),
            (Command::Mute { participant: p }, false, true, true),
            (Command::MuteAll, false, true, true),
            (Command::SetSelfUnmute { allowed: true }, false, true, true),
            (
                Command::CreateRooms {
                    count: RoomCount::Rooms { count: 2 },
                    strategy: Strategy::Automatically,
                },
                false,
                true,
                true,
            ),
            (Command::AddRoom { name: None }, false, true, true),
            (Command::DeleteRoom { room: r }, false, true, true),
            (
                Command::RenameRoom {
                    room: r,
                    name: "x".into(),
                },
                false,
                true,
                true,
            ),
            (
                Command::SetTopic {
                    room: r,
                    topic: "x".into(),
                },
                false,
                true,
                true,
            ),
            (Command::RemoveAllRooms, false, true, true),
            (
                Command::Assign {
                    participant: p,
                    room: None,
                },
                false,
                true,
                true,
            ),
            (Command::Swap { a: p, b: p }, false, true, true),
            (
                Command::SetOptions {
                    options: BreakoutOptions::default(),
                },
                false,
                true,
                true,
            ),
            (
                Command::LoadPlan {
                    plan: Plan::default(),
                },
                false,
                true,
                true,
            ),
            (Command::OpenRooms, false, true, true),
            (Command::CloseRooms, false, true, true),
            (
                Command::MoveParticipant {
                    participant: p,
                    to: Place::Main,
                },
                false,
                true,
                true,
            ),
            (
                Command::ExtendRoomTime {
                    room: r,
                    seconds: 1,
                },
                false,
                true,
                true,
            ),
            (
                Command::StartRotation {
                    rounds: 2,
                    group_size: 2,
                    round_minutes: 1,
                },
                false,
                true,
                true,
            ),
            (
                Command::Broadcast {
                    text: "x".into(),
                    target: BroadcastTarget::All,
                },
                false,
                true,
                true,
            ),
            (
                Command::ResolveHelp {
                    request: HelpRequestId(1),
                },
                false,
                true,
                true,
            ),
        ];
        for (cmd, participant, co_host, host) in rows {
            for (role, expected) in [
                (Role::Participant, participant),
                (Role::CoHost, co_host),
                (Role::Host, host),
            ] {
                assert_eq!(check(&cmd, role).is_ok(), expected, "{cmd:?} as {role:?}");
            }
        }
    }

    /// `may_act_on` agrees with what the engine does, for every person-naming command and
    /// every pair of roles.
    #[test]
    fn may_act_on_matches_the_engine() {
        let roles = [Role::Participant, Role::CoHost, Role::Host];
        for actor in roles {
            for target in roles {
                if actor == Role::Host && target == Role::Host {
                    continue; // a meeting has one host
                }
                let commands: [fn(ParticipantId) -> Command; 5] = [
                    |participant| Command::RemoveParticipant { participant },
                    |participant| Command::MakeCoHost { participant },
                    |participant| Command::RemoveCoHost { participant },
                    |participant| Command::MakeHost { participant },
                    |participant| Command::Mute { participant },
                ];
                for make in commands {
                    // The host, two co-hosts (p0, p1) and two participants (p2, p3).
                    let (mut h, host, p) = crate::meeting::tests::Harness::with_people(4);
                    h.ok(host, Command::MakeCoHost { participant: p[0] });
                    h.ok(host, Command::MakeCoHost { participant: p[1] });
                    let pick = |role: Role, first: bool| match role {
                        Role::Host => host,
                        Role::CoHost => p[if first { 0 } else { 1 }],
                        Role::Participant => p[if first { 2 } else { 3 }],
                    };
                    let command = make(pick(target, false));
                    let expected = may_act_on(&command, actor, target);
                    let shown = format!("{command:?} by a {actor:?} on a {target:?}");
                    let got = h.apply(pick(actor, true), command);
                    assert_eq!(got.is_ok(), expected, "{shown}: {got:?}");
                }
            }
        }
    }
}
