//! Property tests: random command sequences from random actors (and random joins, leaves and
//! clock jumps). After every step: the invariants hold, every client's view equals the engine's,
//! a refused command changed nothing, the permission table is obeyed, automatic splits are even,
//! and ticking twice at the same instant fires nothing the second time. And host authority: no
//! sequence of joins, leaves, drops and commands gives someone who came by the participant link
//! host or co-host powers unless a host appointed them.

use super::super::command::{Command, CommandError};
use super::super::event::Event;
use super::super::info::MeetingInfo;
use super::super::permissions;
use super::super::plan::{Plan, PlannedRoom};
use super::super::rooms::{BreakoutOptions, BroadcastTarget, Place, RoomCount, Strategy as Split};
use super::super::{Credential, Role};
use super::{Harness, host_cred};
use crate::ids::{HelpRequestId, ParticipantId, RoomId};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// A command with participants and rooms named by index into whatever exists at that moment.
#[derive(Debug, Clone)]
enum Abstract {
    Leave,
    MakeCoHost(u8),
    RemoveCoHost(u8),
    MakeHost(u8),
    Remove(u8),
    Mute(u8),
    MuteAll,
    SetSelfUnmute(bool),
    SetMyMicrophone(bool),
    Create {
        n: u8,
        groups: bool,
        strategy: u8,
    },
    AddRoom,
    DeleteRoom(u8),
    Rename(u8),
    Topic(u8),
    Assign(u8, Option<u8>),
    Swap(u8, u8),
    Options {
        auto: bool,
        choose: bool,
        ret: bool,
        minutes: Option<u8>,
        notify: bool,
        countdown: Option<u8>,
    },
    Plan(u8),
    RemoveAll,
    Open,
    Close,
    Move(u8, Option<u8>),
    JoinRoom(u8),
    Return,
    Broadcast(u8, Option<u8>),
    Ask,
    Resolve(u8),
    RaiseHand,
    LowerHand(u8),
    Extend(u8, i16),
    Rotation {
        rounds: u8,
        size: u8,
        minutes: u8,
    },
    Chat(u16),
    Info(u8),
    SaveGroups(u8),
    LoadGroups(u8),
    DeleteGroups(u8),
}

#[derive(Debug, Clone)]
enum Op {
    Join { name: u8, host: bool },
    Disconnect(u8),
    Cmd { actor: u8, cmd: Abstract },
    Advance(u16),
    End { actor: u8 },
}

fn abstract_cmd() -> impl Strategy<Value = Abstract> {
    use Abstract as A;
    let idx = any::<u8>;
    prop_oneof![
        Just(A::Leave),
        idx().prop_map(A::MakeCoHost),
        idx().prop_map(A::RemoveCoHost),
        idx().prop_map(A::MakeHost),
        idx().prop_map(A::Remove),
        idx().prop_map(A::Mute),
        Just(A::MuteAll),
        any::<bool>().prop_map(A::SetSelfUnmute),
        any::<bool>().prop_map(A::SetMyMicrophone),
        (0u8..8, any::<bool>(), 0u8..3).prop_map(|(n, groups, strategy)| A::Create {
            n,
            groups,
            strategy
        }),
        Just(A::AddRoom),
        idx().prop_map(A::DeleteRoom),
        idx().prop_map(A::Rename),
        idx().prop_map(A::Topic),
        (idx(), proptest::option::of(idx())).prop_map(|(p, r)| A::Assign(p, r)),
        (idx(), idx()).prop_map(|(a, b)| A::Swap(a, b)),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0u8..4),
            any::<bool>(),
            proptest::option::of(0u8..90)
        )
            .prop_map(
                |(auto, choose, ret, minutes, notify, countdown)| A::Options {
                    auto,
                    choose,
                    ret,
                    minutes,
                    notify,
                    countdown
                }
            ),
        idx().prop_map(A::Plan),
        Just(A::RemoveAll),
        Just(A::Open),
        Just(A::Open),
        Just(A::Close),
        (idx(), proptest::option::of(idx())).prop_map(|(p, r)| A::Move(p, r)),
        idx().prop_map(A::JoinRoom),
        Just(A::Return),
        (0u8..=150, proptest::option::of(idx())).prop_map(|(len, r)| A::Broadcast(len, r)),
        Just(A::Ask),
        Just(A::RaiseHand),
        idx().prop_map(A::LowerHand),
        idx().prop_map(A::Resolve),
        (idx(), any::<i16>()).prop_map(|(r, s)| A::Extend(r, s)),
        (0u8..5, 0u8..5, 0u8..3).prop_map(|(rounds, size, minutes)| A::Rotation {
            rounds,
            size,
            minutes
        }),
        (0u16..1100).prop_map(A::Chat),
        (0u16..8).prop_map(A::Chat),
        idx().prop_map(A::Info),
        (0u8..3).prop_map(A::SaveGroups),
        (0u8..4).prop_map(A::LoadGroups),
        (0u8..4).prop_map(A::DeleteGroups),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        20 => (0u8..12, proptest::bool::weighted(0.15)).prop_map(|(name, host)| Op::Join { name, host }),
        10 => any::<u8>().prop_map(Op::Disconnect),
        80 => (any::<u8>(), abstract_cmd()).prop_map(|(actor, cmd)| Op::Cmd { actor, cmd }),
        20 => (0u16..200).prop_map(Op::Advance),
        1 => any::<u8>().prop_map(|actor| Op::End { actor }),
    ]
}

fn pick<T: Copy>(items: &[T], i: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[usize::from(i) % items.len()])
}

/// Turns an abstract command into a real one against the meeting as it is now. Indices past the
/// end sometimes name things that do not exist, so unknown ids are exercised too.
fn concrete(h: &Harness, cmd: &Abstract) -> Command {
    let people = h.m.participant_ids();
    let rooms = h.m.room_ids();
    let person = |i: u8| {
        if i == 255 {
            ParticipantId(9999)
        } else {
            pick(&people, i).unwrap_or(ParticipantId(9999))
        }
    };
    let room = |i: u8| {
        if i == 255 {
            RoomId(9999)
        } else {
            pick(&rooms, i).unwrap_or(RoomId(9999))
        }
    };
    use Abstract as A;
    match cmd.clone() {
        A::Leave => Command::Leave,
        A::MakeCoHost(i) => Command::MakeCoHost {
            participant: person(i),
        },
        A::RemoveCoHost(i) => Command::RemoveCoHost {
            participant: person(i),
        },
        A::MakeHost(i) => Command::MakeHost {
            participant: person(i),
        },
        A::Remove(i) => Command::RemoveParticipant {
            participant: person(i),
        },
        A::Mute(i) => Command::Mute {
            participant: person(i),
        },
        A::MuteAll => Command::MuteAll,
        A::SetSelfUnmute(b) => Command::SetSelfUnmute { allowed: b },
        A::SetMyMicrophone(b) => Command::SetMyMicrophone { muted: b },
        A::Create {
            n,
            groups,
            strategy,
        } => Command::CreateRooms {
            count: if groups {
                RoomCount::GroupsOf { size: u32::from(n) }
            } else {
                RoomCount::Rooms {
                    count: u32::from(n),
                }
            },
            strategy: [
                Split::Automatically,
                Split::Manually,
                Split::ParticipantsChoose,
            ][usize::from(strategy)],
        },
        A::AddRoom => Command::AddRoom { name: None },
        A::DeleteRoom(i) => Command::DeleteRoom { room: room(i) },
        A::Rename(i) => Command::RenameRoom {
            room: room(i),
            name: format!("Room {i}"),
        },
        A::Topic(i) => Command::SetTopic {
            room: room(i),
            topic: "x".repeat(usize::from(i) * 3),
        },
        A::Assign(p, r) => Command::Assign {
            participant: person(p),
            room: r.map(room),
        },
        A::Swap(a, b) => Command::Swap {
            a: person(a),
            b: person(b),
        },
        A::Options {
            auto,
            choose,
            ret,
            minutes,
            notify,
            countdown,
        } => Command::SetOptions {
            options: BreakoutOptions {
                move_automatically: auto,
                allow_choose: choose,
                allow_return: ret,
                auto_close_minutes: minutes.map(u32::from),
                notify_when_time_up: notify,
                countdown_seconds: countdown.map(|c| u32::from(c) * 8),
            },
        },
        A::Plan(i) => Command::LoadPlan {
            plan: Plan {
                rooms: (0..=(i % 3))
                    .map(|r| PlannedRoom {
                        name: format!("Planned {r}"),
                        topic: String::new(),
                        members: (0..4)
                            .filter(|m| m % 3 == r)
                            .map(|m| format!("Name{}", (u32::from(m) + u32::from(i)) % 12).into())
                            .collect(),
                    })
                    .collect(),
            },
        },
        A::RemoveAll => Command::RemoveAllRooms,
        A::Open => Command::OpenRooms,
        A::Close => Command::CloseRooms,
        A::Move(p, r) => Command::MoveParticipant {
            participant: person(p),
            to: r.map_or(Place::Main, |r| Place::Room { room: room(r) }),
        },
        A::JoinRoom(i) => Command::JoinRoom { room: room(i) },
        A::Return => Command::ReturnToMain,
        A::Broadcast(len, r) => Command::Broadcast {
            text: "b".repeat(usize::from(len)),
            target: r.map_or(BroadcastTarget::All, |r| BroadcastTarget::Room {
                room: room(r),
            }),
        },
        A::Ask => Command::AskForHelp,
        A::RaiseHand => Command::RaiseHand,
        A::LowerHand(i) => Command::LowerHand {
            participant: person(i),
        },
        A::Resolve(i) => Command::ResolveHelp {
            request: HelpRequestId(u32::from(i % 8)),
        },
        A::Extend(r, s) => Command::ExtendRoomTime {
            room: room(r),
            seconds: i32::from(s),
        },
        A::Rotation {
            rounds,
            size,
            minutes,
        } => Command::StartRotation {
            rounds: u32::from(rounds),
            group_size: u32::from(size),
            round_minutes: u32::from(minutes),
        },
        A::Chat(len) => Command::SendChat {
            text: "c".repeat(usize::from(len)),
        },
        A::Info(i) => Command::SetInfo {
            info: MeetingInfo {
                title: format!("Class {i}"),
                starts_at: None,
                // Short passcodes are invalid: refusals are exercised too.
                passcode: (i % 3 == 0).then(|| "x".repeat(usize::from(i % 7))),
                co_hosts: vec![format!("Name{}", i % 12)],
            },
        },
        A::SaveGroups(i) => Command::SaveGroups {
            name: format!("Set {i}"),
        },
        A::LoadGroups(i) => Command::LoadGroups {
            name: format!("Set {i}"),
        },
        A::DeleteGroups(i) => Command::DeleteGroups {
            name: format!("Set {i}"),
        },
    }
}

fn role_allows(role: Role, cmd: &Command) -> bool {
    permissions::check(cmd, role).is_ok()
}

fn run(seed: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut h = Harness::new(seed);
    let first = h
        .join("Name0", host_cred())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    // Who may hold host powers: holders of the secret, and whoever a host appointed.
    let mut trusted: BTreeSet<ParticipantId> = BTreeSet::from([first]);
    // Each raised hand's turn and where its owner was when it went up.
    let mut hands: std::collections::BTreeMap<ParticipantId, (u64, Place)> = Default::default();
    for op in ops {
        match op {
            Op::Join { name, host } => {
                let cred = if *host {
                    host_cred()
                } else {
                    Credential::Participant
                };
                if let (Ok(id), true) = (h.join(&format!("Name{name}"), cred), *host) {
                    trusted.insert(id);
                }
            }
            Op::End { actor } => {
                let Some(who) = pick(&h.m.participant_ids(), *actor) else {
                    continue;
                };
                let role = h.m.role_of(who);
                let result = h.m.apply(Command::EndMeeting, who, h.now);
                prop_assert_eq!(result.is_ok(), role == Some(Role::Host));
                if result.is_ok() {
                    h.deliver_pub();
                    prop_assert!(h.views.values().all(|v| v.participants.is_empty()));
                    prop_assert!(h.m.media_map().places.is_empty());
                    prop_assert!(h.m.next_deadline().is_none());
                    prop_assert_eq!(h.join("Late", host_cred()), Err(CommandError::MeetingEnded));
                    return Ok(());
                }
                let _ = h.m.drain_events();
            }
            Op::Disconnect(i) => {
                if let Some(who) = pick(&h.m.participant_ids(), *i) {
                    h.disconnect(who);
                }
            }
            Op::Cmd { actor, cmd } => {
                let Some(who) = pick(&h.m.participant_ids(), *actor) else {
                    continue;
                };
                let role =
                    h.m.role_of(who)
                        .ok_or_else(|| TestCaseError::fail("no role"))?;
                let command = concrete(&h, cmd);
                let before = format!("{:?}", h.m);
                let result = h.m.apply(command.clone(), who, h.now);
                if !role_allows(role, &command) {
                    prop_assert!(
                        matches!(result, Err(CommandError::NotAllowed { .. })),
                        "{command:?} by {role:?}: {result:?}"
                    );
                }
                if result.is_err() {
                    prop_assert_eq!(
                        &before,
                        &format!("{:?}", h.m),
                        "refused {:?} changed state",
                        command
                    );
                    prop_assert!(
                        h.m.drain_events().is_empty(),
                        "refused {:?} emitted events",
                        command
                    );
                    continue;
                }
                if let Command::MakeCoHost { participant } | Command::MakeHost { participant } =
                    command
                {
                    trusted.insert(participant);
                }
                let was_auto = matches!(
                    command,
                    Command::CreateRooms {
                        strategy: Split::Automatically,
                        ..
                    }
                );
                h.deliver_pub();
                if was_auto {
                    let view = h.m.view_for(who);
                    let eligible = view
                        .participants
                        .iter()
                        .filter(|p| p.role == Role::Participant)
                        .count();
                    let sizes: Vec<usize> = view
                        .rooms
                        .iter()
                        .map(|r| {
                            view.participants
                                .iter()
                                .filter(|p| p.assigned == Some(r.id))
                                .count()
                        })
                        .collect();
                    prop_assert_eq!(sizes.iter().sum::<usize>(), eligible);
                    let (max, min) = (
                        sizes.iter().max().copied().unwrap_or(0),
                        sizes.iter().min().copied().unwrap_or(0),
                    );
                    prop_assert!(max - min <= 1, "uneven split {:?}", sizes);
                }
            }
            Op::Advance(secs) => {
                h.advance_secs(u64::from(*secs) * 5);
                h.log.clear();
                h.m.tick(h.now);
                prop_assert!(h.m.drain_events().is_empty(), "a timer fired twice");
                prop_assert!(
                    h.m.next_deadline().is_none_or(|d| d > h.now),
                    "a due timer was left"
                );
            }
        }
        for id in h.m.participant_ids() {
            if h.m.role_of(id).is_some_and(Role::is_hosting) {
                prop_assert!(
                    trusted.contains(&id),
                    "{} came by the participant link and has host powers after {:?}",
                    id,
                    op
                );
            }
        }
        if h.log.iter().any(|(_, e)| matches!(e, Event::RoomsClosed)) {
            for id in h.m.participant_ids() {
                prop_assert_eq!(
                    h.m.place_of(id),
                    Some(Place::Main),
                    "closing returns everyone"
                );
            }
        }
        h.log.clear();
        // Hands: each turn is given once, and nobody keeps a hand up after moving.
        let everyone = h.m.view_for(first).participants;
        let mut turns = BTreeSet::new();
        hands.retain(|id, _| everyone.iter().any(|p| p.id == *id && p.hand.is_some()));
        for p in everyone.iter().filter(|p| p.hand.is_some()) {
            let turn = p.hand.unwrap_or_default();
            prop_assert!(turns.insert(turn), "turn {} given twice", turn);
            let (known, place) = *hands.entry(p.id).or_insert((turn, p.place));
            if known == turn {
                prop_assert_eq!(
                    place,
                    p.place,
                    "{} moved with a hand up after {:?}",
                    p.id,
                    op
                );
            } else {
                hands.insert(p.id, (turn, p.place));
            }
        }
        h.m.check_invariants().map_err(TestCaseError::fail)?;
        // What a server persists brings back the very same meeting.
        let json = h.m.to_json().map_err(TestCaseError::fail)?;
        let mut back = super::super::Meeting::from_json(&json).map_err(TestCaseError::fail)?;
        // Chat is stored line by line, apart from the state.
        for (place, message) in h.m.chat_lines() {
            back.restore_chat(place, message);
        }
        prop_assert_eq!(
            format!("{:?}", back),
            format!("{:?}", h.m),
            "persistence round trip"
        );
        for (id, view) in &h.views {
            prop_assert_eq!(
                view,
                &h.m.view_for(*id),
                "view of {} drifted after {:?}",
                id,
                op
            );
        }
    }
    Ok(())
}

proptest! {
    // 256 random sessions by default; set PROPTEST_CASES for a deeper local run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_sessions_keep_every_rule(seed: u64, ops in proptest::collection::vec(op(), 1..120)) {
        run(seed, &ops)?;
    }
}
