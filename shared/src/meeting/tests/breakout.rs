//! Unit tests of the breakout rules, one per rule, each also checking every client's view.

use super::super::Credential;
use super::super::command::{Command, CommandError, Required};
use super::super::event::Event;
use super::super::plan::{Plan, PlannedRoom};
use super::super::rooms::{
    BreakoutOptions, BroadcastTarget, Phase, Place, RoomCount, RoomStatus, Strategy,
};
use super::Harness;
use crate::ids::{HelpRequestId, ParticipantId, RoomId};
use crate::names::TextError;

fn create(h: &mut Harness, host: ParticipantId, count: u32, strategy: Strategy) {
    h.ok(
        host,
        Command::CreateRooms {
            count: RoomCount::Rooms { count },
            strategy,
        },
    );
}

fn options(h: &Harness) -> BreakoutOptions {
    h.m.view_for(ParticipantId(1)).options
}

fn set(h: &mut Harness, host: ParticipantId, f: impl FnOnce(&mut BreakoutOptions)) {
    let mut o = options(h);
    f(&mut o);
    h.ok(host, Command::SetOptions { options: o });
}

fn sizes(h: &Harness) -> Vec<usize> {
    let v = h.m.view_for(ParticipantId(1));
    v.rooms
        .iter()
        .map(|r| {
            v.participants
                .iter()
                .filter(|p| p.assigned == Some(r.id))
                .count()
        })
        .collect()
}

#[test]
fn automatic_split_is_even_skips_the_host_and_follows_the_seed() {
    let (mut h, host, _) = Harness::with_people(11);
    create(&mut h, host, 3, Strategy::Automatically);
    let mut s = sizes(&h);
    s.sort_unstable();
    assert_eq!(s, vec![3, 4, 4]);
    assert_eq!(
        h.m.view_for(host)
            .participant(host)
            .and_then(|p| p.assigned),
        None
    );
    let names: Vec<String> = h.view(host).rooms.iter().map(|r| r.name.clone()).collect();
    assert_eq!(
        names,
        ["Breakout room 1", "Breakout room 2", "Breakout room 3"]
    );
    // Same seed, same people → same split.
    let (mut h2, host2, _) = Harness::with_people(11);
    create(&mut h2, host2, 3, Strategy::Automatically);
    let a: Vec<_> = h
        .view(host)
        .participants
        .iter()
        .map(|p| p.assigned)
        .collect();
    let b: Vec<_> = h2
        .view(host2)
        .participants
        .iter()
        .map(|p| p.assigned)
        .collect();
    assert_eq!(a.len(), b.len());
    let a: Vec<_> = a.iter().map(|r| r.map(|r| r.0 - h.room(0).0)).collect();
    let b: Vec<_> = b.iter().map(|r| r.map(|r| r.0 - h2.room(0).0)).collect();
    assert_eq!(a, b);
    h.check();
}

#[test]
fn groups_of_k_make_ceil_n_over_k_rooms() {
    let (mut h, host, _) = Harness::with_people(10);
    h.ok(
        host,
        Command::CreateRooms {
            count: RoomCount::GroupsOf { size: 3 },
            strategy: Strategy::Automatically,
        },
    );
    assert_eq!(h.m.room_ids().len(), 4);
    let mut s = sizes(&h);
    s.sort_unstable();
    assert_eq!(s, vec![2, 2, 3, 3]);
    h.check();
}

#[test]
fn room_counts_out_of_range_are_refused() {
    let (mut h, host, _) = Harness::with_people(2);
    for count in [0, 101] {
        assert_eq!(
            h.apply(
                host,
                Command::CreateRooms {
                    count: RoomCount::Rooms { count },
                    strategy: Strategy::Manually
                }
            ),
            Err(CommandError::InvalidRoomCount { max: 100 })
        );
    }
    assert_eq!(
        h.apply(
            host,
            Command::CreateRooms {
                count: RoomCount::GroupsOf { size: 0 },
                strategy: Strategy::Manually
            }
        ),
        Err(CommandError::InvalidGroupSize)
    );
    create(&mut h, host, 100, Strategy::Manually);
    assert_eq!(
        h.apply(host, Command::AddRoom { name: None }),
        Err(CommandError::InvalidRoomCount { max: 100 })
    );
}

#[test]
fn participants_cannot_manage_rooms_but_co_hosts_can() {
    let (mut h, host, p) = Harness::with_people(3);
    let cmd = Command::CreateRooms {
        count: RoomCount::Rooms { count: 2 },
        strategy: Strategy::Manually,
    };
    assert_eq!(
        h.apply(p[0], cmd.clone()),
        Err(CommandError::NotAllowed {
            required: Required::HostOrCoHost
        })
    );
    h.ok(host, Command::MakeCoHost { participant: p[0] });
    h.ok(p[0], cmd);
    h.ok(p[0], Command::OpenRooms);
    h.check();
}

#[test]
fn manual_assignment_moves_and_swaps() {
    let (mut h, host, p) = Harness::with_people(3);
    create(&mut h, host, 2, Strategy::Manually);
    let (r1, r2) = (h.room(0), h.room(1));
    h.ok(
        host,
        Command::Assign {
            participant: p[0],
            room: Some(r1),
        },
    );
    h.ok(
        host,
        Command::Assign {
            participant: p[1],
            room: Some(r2),
        },
    );
    h.ok(host, Command::Swap { a: p[0], b: p[1] });
    assert_eq!(
        h.view(p[2]).participant(p[0]).and_then(|x| x.assigned),
        Some(r2)
    );
    assert_eq!(
        h.view(p[2]).participant(p[1]).and_then(|x| x.assigned),
        Some(r1)
    );
    h.ok(
        host,
        Command::Assign {
            participant: p[0],
            room: None,
        },
    );
    assert_eq!(
        h.view(p[2]).participant(p[0]).and_then(|x| x.assigned),
        None
    );
    assert_eq!(
        h.apply(
            host,
            Command::Assign {
                participant: p[0],
                room: Some(RoomId(999))
            }
        ),
        Err(CommandError::UnknownRoom)
    );
    assert_eq!(
        h.apply(
            host,
            Command::Assign {
                participant: ParticipantId(999),
                room: Some(r1)
            }
        ),
        Err(CommandError::UnknownParticipant)
    );
    // While open, swapping people who sit in their rooms swaps their seats.
    h.ok(
        host,
        Command::Assign {
            participant: p[0],
            room: Some(r1),
        },
    );
    h.ok(
        host,
        Command::Assign {
            participant: p[1],
            room: Some(r2),
        },
    );
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    h.ok(host, Command::Swap { a: p[0], b: p[1] });
    assert_eq!(h.m.place_of(p[0]), Some(Place::Room { room: r2 }));
    assert_eq!(h.m.place_of(p[1]), Some(Place::Room { room: r1 }));
    h.check();
}

#[test]
fn rename_add_delete_and_topics() {
    let (mut h, host, p) = Harness::with_people(4);
    create(&mut h, host, 2, Strategy::Automatically);
    let r1 = h.room(0);
    h.ok(
        host,
        Command::RenameRoom {
            room: r1,
            name: "  Fjordane  ".into(),
        },
    );
    assert_eq!(
        h.view(p[0]).room(r1).map(|r| r.name.as_str()),
        Some("Fjordane")
    );
    assert!(matches!(
        h.apply(
            host,
            Command::RenameRoom {
                room: r1,
                name: " ".into()
            }
        ),
        Err(CommandError::InvalidName {
            problem: TextError::Empty
        })
    ));
    h.ok(
        host,
        Command::SetTopic {
            room: r1,
            topic: "Discuss chapter 3".into(),
        },
    );
    assert_eq!(
        h.view(p[1]).room(r1).map(|r| r.topic.as_str()),
        Some("Discuss chapter 3")
    );
    h.ok(host, Command::AddRoom { name: None });
    assert_eq!(
        h.view(p[0]).rooms.last().map(|r| r.name.as_str()),
        Some("Breakout room 1")
    );
    h.ok(
        host,
        Command::AddRoom {
            name: Some("Extra".into()),
        },
    );
    assert_eq!(h.m.room_ids().len(), 4);
    // Deleting a room while open sends its people back to the main session, unassigned.
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    let in_r1: Vec<ParticipantId> = p
        .iter()
        .copied()
        .filter(|id| h.m.place_of(*id) == Some(Place::Room { room: r1 }))
        .collect();
    assert!(!in_r1.is_empty());
    h.ok(host, Command::DeleteRoom { room: r1 });
    for id in in_r1 {
        assert_eq!(h.m.place_of(id), Some(Place::Main));
        assert_eq!(h.view(id).participant(id).and_then(|x| x.assigned), None);
    }
    assert_eq!(
        h.apply(host, Command::DeleteRoom { room: r1 }),
        Err(CommandError::UnknownRoom)
    );
    h.check();
}

#[test]
fn recreating_replaces_rooms_but_not_while_open() {
    let (mut h, host, _) = Harness::with_people(4);
    create(&mut h, host, 2, Strategy::Automatically);
    let first = h.m.room_ids();
    create(&mut h, host, 3, Strategy::Automatically);
    let second = h.m.room_ids();
    assert_eq!(second.len(), 3);
    assert!(first.iter().all(|r| !second.contains(r)));
    h.ok(host, Command::OpenRooms);
    assert_eq!(
        h.apply(
            host,
            Command::CreateRooms {
                count: RoomCount::Rooms { count: 2 },
                strategy: Strategy::Manually
            }
        ),
        Err(CommandError::AlreadyOpen)
    );
    assert_eq!(
        h.apply(host, Command::OpenRooms),
        Err(CommandError::AlreadyOpen)
    );
    h.check();
}

#[test]
fn opening_needs_rooms_and_moves_everyone_when_asked() {
    let (mut h, host, p) = Harness::with_people(6);
    assert_eq!(
        h.apply(host, Command::OpenRooms),
        Err(CommandError::NoRooms)
    );
    assert_eq!(
        h.apply(host, Command::CloseRooms),
        Err(CommandError::NotOpen)
    );
    create(&mut h, host, 2, Strategy::Automatically);
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    assert_eq!(h.m.phase(), Phase::Open);
    assert!(
        p.iter()
            .all(|id| h.m.place_of(*id).and_then(Place::room).is_some())
    );
    assert_eq!(h.m.place_of(host), Some(Place::Main));
    h.check();
}

#[test]
fn without_auto_move_people_are_invited_and_join_themselves() {
    let (mut h, host, p) = Harness::with_people(4);
    create(&mut h, host, 2, Strategy::Automatically);
    h.ok(host, Command::OpenRooms);
    let mine = h.view(p[0]).invitation(p[0]).expect("an invitation");
    assert_eq!(h.m.place_of(p[0]), Some(Place::Main));
    let other =
        h.m.room_ids()
            .into_iter()
            .find(|r| *r != mine)
            .expect("two rooms");
    assert_eq!(
        h.apply(p[0], Command::JoinRoom { room: other }),
        Err(CommandError::ChoosingNotAllowed)
    );
    h.ok(p[0], Command::JoinRoom { room: mine });
    assert_eq!(h.m.place_of(p[0]), Some(Place::Room { room: mine }));
    assert_eq!(h.view(p[0]).invitation(p[0]), None);
    assert_eq!(
        h.apply(p[0], Command::JoinRoom { room: mine }),
        Err(CommandError::AlreadyThere)
    );
    h.check();
}

#[test]
fn participants_choose_when_allowed() {
    let (mut h, host, p) = Harness::with_people(3);
    create(&mut h, host, 2, Strategy::ParticipantsChoose);
    assert!(options(&h).allow_choose);
    let r2 = h.room(1);
    assert_eq!(
        h.apply(p[0], Command::JoinRoom { room: r2 }),
        Err(CommandError::RoomNotOpen)
    );
    h.ok(host, Command::OpenRooms);
    h.ok(p[0], Command::JoinRoom { room: r2 });
    assert_eq!(
        h.view(p[1]).participant(p[0]).and_then(|x| x.assigned),
        Some(r2)
    );
    assert_eq!(
        h.apply(p[0], Command::JoinRoom { room: RoomId(999) }),
        Err(CommandError::UnknownRoom)
    );
    h.check();
}

#[test]
fn returning_to_main_follows_the_option_but_hosts_always_may() {
    let (mut h, host, p) = Harness::with_people(2);
    create(&mut h, host, 1, Strategy::Automatically);
    set(&mut h, host, |o| {
        o.move_automatically = true;
        o.allow_return = false;
    });
    h.ok(host, Command::OpenRooms);
    assert_eq!(
        h.apply(p[0], Command::ReturnToMain),
        Err(CommandError::ReturnNotAllowed)
    );
    assert_eq!(
        h.apply(host, Command::ReturnToMain),
        Err(CommandError::NotInRoom)
    );
    let r = h.room(0);
    h.ok(host, Command::JoinRoom { room: r });
    h.ok(host, Command::ReturnToMain);
    set(&mut h, host, |o| o.allow_return = true);
    h.ok(p[0], Command::ReturnToMain);
    assert_eq!(h.m.place_of(p[0]), Some(Place::Main));
    // Back in main with an open assigned room, they are invited again.
    assert_eq!(h.view(p[0]).invitation(p[0]), Some(r));
    h.check();
}

#[test]
fn hosts_move_people_only_into_open_rooms() {
    let (mut h, host, p) = Harness::with_people(2);
    create(&mut h, host, 2, Strategy::Manually);
    let (r1, r2) = (h.room(0), h.room(1));
    assert_eq!(
        h.apply(
            host,
            Command::MoveParticipant {
                participant: p[0],
                to: Place::Room { room: r1 }
            }
        ),
        Err(CommandError::RoomNotOpen)
    );
    h.ok(host, Command::OpenRooms);
    h.ok(
        host,
        Command::MoveParticipant {
            participant: p[0],
            to: Place::Room { room: r1 },
        },
    );
    h.ok(
        host,
        Command::MoveParticipant {
            participant: p[0],
            to: Place::Room { room: r2 },
        },
    );
    assert_eq!(h.m.place_of(p[0]), Some(Place::Room { room: r2 }));
    assert_eq!(
        h.view(p[1]).participant(p[0]).and_then(|x| x.assigned),
        Some(r2)
    );
    h.ok(
        host,
        Command::MoveParticipant {
            participant: p[0],
            to: Place::Main,
        },
    );
    assert_eq!(
        h.apply(
            host,
            Command::MoveParticipant {
                participant: p[0],
                to: Place::Main
            }
        ),
        Err(CommandError::AlreadyThere)
    );
    h.check();
}

#[test]
fn broadcasts_are_1_to_140_characters_and_reach_their_audience() {
    let (mut h, host, p) = Harness::with_people(4);
    let all = BroadcastTarget::All;
    assert_eq!(
        h.apply(
            host,
            Command::Broadcast {
                text: "hi".into(),
                target: all
            }
        ),
        Err(CommandError::NotOpen)
    );
    create(&mut h, host, 2, Strategy::Automatically);
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    h.ok(
        host,
        Command::Broadcast {
            text: "é".repeat(140),
            target: all,
        },
    );
    assert_eq!(
        h.apply(
            host,
            Command::Broadcast {
                text: "x".repeat(141),
                target: all
            }
        ),
        Err(CommandError::InvalidText {
            problem: TextError::TooLong { max: 140 }
        })
    );
    assert_eq!(
        h.apply(
            host,
            Command::Broadcast {
                text: "  ".into(),
                target: all
            }
        ),
        Err(CommandError::InvalidText {
            problem: TextError::Empty
        })
    );
    assert!(matches!(
        h.apply(
            p[0],
            Command::Broadcast {
                text: "me".into(),
                target: all
            }
        ),
        Err(CommandError::NotAllowed { .. })
    ));
    h.log.clear();
    let r1 = h.room(0);
    h.ok(
        host,
        Command::Broadcast {
            text: "Two minutes".into(),
            target: BroadcastTarget::Room { room: r1 },
        },
    );
    for id in &p {
        let got = h
            .received(*id)
            .iter()
            .any(|e| matches!(e, Event::Broadcast { text, .. } if text == "Two minutes"));
        assert_eq!(
            got,
            h.m.place_of(*id) == Some(Place::Room { room: r1 }),
            "{id}"
        );
    }
    h.check();
}

#[test]
fn help_requests_go_to_hosts_and_resolve_once() {
    let (mut h, host, p) = Harness::with_people(3);
    h.ok(host, Command::MakeCoHost { participant: p[2] });
    create(&mut h, host, 1, Strategy::Automatically);
    assert_eq!(
        h.apply(p[0], Command::AskForHelp),
        Err(CommandError::NotInRoom)
    );
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    h.log.clear();
    h.ok(p[0], Command::AskForHelp);
    assert_eq!(
        h.apply(p[0], Command::AskForHelp),
        Err(CommandError::AlreadyAsked)
    );
    let asked = |h: &Harness, who| {
        h.received(who)
            .iter()
            .any(|e| matches!(e, Event::HelpRequested { .. }))
    };
    assert!(asked(&h, host) && asked(&h, p[2]) && asked(&h, p[0]));
    assert!(
        !asked(&h, p[1]),
        "other participants do not see help requests"
    );
    let request = h.view(host).help[0].id;
    assert_eq!(h.view(host).help[0].room, h.room(0));
    assert_eq!(
        h.apply(p[1], Command::ResolveHelp { request }),
        Err(CommandError::NotAllowed {
            required: Required::HostOrCoHost
        })
    );
    h.ok(p[2], Command::ResolveHelp { request });
    assert_eq!(
        h.apply(host, Command::ResolveHelp { request }),
        Err(CommandError::AlreadyResolved)
    );
    assert_eq!(
        h.apply(
            host,
            Command::ResolveHelp {
                request: HelpRequestId(99)
            }
        ),
        Err(CommandError::UnknownHelpRequest)
    );
    // Once resolved, they may ask again.
    h.ok(p[0], Command::AskForHelp);
    h.check();
}

#[test]
fn late_joiners_go_to_the_smallest_room_when_auto_moving() {
    let (mut h, host, _) = Harness::with_people(5);
    create(&mut h, host, 2, Strategy::Automatically);
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    let late = h.join("Late", Credential::Participant).expect("join");
    let room = h.m.place_of(late).and_then(Place::room).expect("placed");
    let v = h.view(late);
    let count = |r| v.people_in(Place::Room { room: r }).count();
    assert!(
        h.m.room_ids()
            .iter()
            .all(|r| count(room) <= count(*r) || *r == room)
    );
    assert_eq!(count(room), 3);
    h.check();
}

#[test]
fn late_joiners_wait_in_main_without_auto_move() {
    let (mut h, host, _) = Harness::with_people(2);
    create(&mut h, host, 2, Strategy::Automatically);
    h.ok(host, Command::OpenRooms);
    let late = h.join("Late", Credential::Participant).expect("join");
    assert_eq!(h.m.place_of(late), Some(Place::Main));
    assert_eq!(
        h.view(late).participant(late).and_then(|p| p.assigned),
        None
    );
    h.check();
}

#[test]
fn rejoining_restores_the_room_by_identity() {
    let (mut h, host, p) = Harness::with_people(4);
    create(&mut h, host, 2, Strategy::Automatically);
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    let room = h.m.place_of(p[1]).and_then(Place::room).expect("in a room");
    h.disconnect(p[1]);
    let back = h.join("  p2 ", Credential::Participant).expect("rejoin");
    assert_eq!(h.m.place_of(back), Some(Place::Room { room }));
    h.check();
}

fn plan(rooms: &[(&str, &[&str])]) -> Plan {
    Plan {
        rooms: rooms
            .iter()
            .map(|(name, members)| PlannedRoom {
                name: (*name).into(),
                topic: String::new(),
                members: members.iter().map(|m| (*m).to_string()).collect(),
            })
            .collect(),
    }
}

#[test]
fn plans_pre_assign_people_now_and_when_they_join() {
    let (mut h, host, p) = Harness::with_people(2);
    h.ok(
        host,
        Command::LoadPlan {
            plan: plan(&[("Red", &["p1", "Kari Nordmann"]), ("Blue", &["P2"])]),
        },
    );
    let (red, blue) = (h.room(0), h.room(1));
    assert_eq!(
        h.view(host).participant(p[0]).and_then(|x| x.assigned),
        Some(red)
    );
    assert_eq!(
        h.view(host).participant(p[1]).and_then(|x| x.assigned),
        Some(blue)
    );
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    let kari = h
        .join("KARI  nordmann", Credential::Participant)
        .expect("join");
    assert_eq!(h.m.place_of(kari), Some(Place::Room { room: red }));
    h.check();
}

#[test]
fn a_plan_row_matching_two_people_is_flagged_not_guessed() {
    let (mut h, host, _) = Harness::with_people(0);
    let a = h.join("Ola", Credential::Participant).expect("join");
    let b = h.join("ola", Credential::Participant).expect("join");
    h.log.clear();
    h.ok(
        host,
        Command::LoadPlan {
            plan: plan(&[("Red", &["Ola"])]),
        },
    );
    assert_eq!(h.view(host).participant(a).and_then(|x| x.assigned), None);
    assert_eq!(h.view(host).participant(b).and_then(|x| x.assigned), None);
    assert!(
        h.received(host).iter().any(
            |e| matches!(e, Event::PlanConflict { participants, .. } if participants.len() == 2)
        )
    );
    assert!(
        h.received(a)
            .iter()
            .all(|e| !matches!(e, Event::PlanConflict { .. }))
    );
    h.check();
}

#[test]
fn invalid_plans_are_refused_whole() {
    let (mut h, host, _) = Harness::with_people(1);
    assert!(matches!(
        h.apply(
            host,
            Command::LoadPlan {
                plan: plan(&[("A", &["x"]), ("B", &["X "])])
            }
        ),
        Err(CommandError::InvalidPlan { .. })
    ));
    assert!(matches!(
        h.apply(host, Command::LoadPlan { plan: plan(&[]) }),
        Err(CommandError::InvalidPlan { .. })
    ));
    assert!(h.m.room_ids().is_empty());
}

#[test]
fn options_are_validated_and_remove_all_clears() {
    let (mut h, host, _) = Harness::with_people(1);
    let mut o = options(&h);
    o.auto_close_minutes = Some(0);
    assert_eq!(
        h.apply(host, Command::SetOptions { options: o }),
        Err(CommandError::InvalidOptions)
    );
    o.auto_close_minutes = Some(10);
    o.countdown_seconds = Some(601);
    assert_eq!(
        h.apply(host, Command::SetOptions { options: o }),
        Err(CommandError::InvalidOptions)
    );
    assert_eq!(
        h.apply(host, Command::RemoveAllRooms),
        Err(CommandError::NoRooms)
    );
    create(&mut h, host, 3, Strategy::Automatically);
    h.ok(host, Command::RemoveAllRooms);
    assert_eq!(h.m.phase(), Phase::NoRooms);
    h.check();
}

#[test]
fn mute_holds_inside_rooms() {
    let (mut h, host, p) = Harness::with_people(2);
    h.ok(host, Command::SetSelfUnmute { allowed: false });
    h.ok(host, Command::Mute { participant: p[0] });
    create(&mut h, host, 1, Strategy::Automatically);
    set(&mut h, host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    assert_eq!(h.m.is_muted(p[0]), Some(true));
    assert_eq!(
        h.apply(p[0], Command::SetMyMicrophone { muted: false }),
        Err(CommandError::SelfUnmuteForbidden)
    );
    assert!(matches!(
        h.m.view_for(p[0]).rooms[0].status,
        RoomStatus::Open { .. }
    ));
    h.check();
}

#[test]
fn plans_match_by_email_too_and_bad_emails_are_refused() {
    let (mut h, host, _) = Harness::with_people(0);
    h.ok(
        host,
        Command::LoadPlan {
            plan: plan(&[("Red", &["kari@skole.no"]), ("Blue", &["Per"])]),
        },
    );
    let red = h.room(0);
    let kari =
        h.m.join_with_email(
            "Kari",
            Some(" KARI@skole.no"),
            &Credential::Participant,
            h.now,
        )
        .expect("join");
    assert_eq!(
        h.m.view_for(host)
            .participant(kari)
            .and_then(|p| p.assigned),
        Some(red)
    );
    assert_eq!(
        h.m.join_with_email("Ola", Some("not-an-email"), &Credential::Participant, h.now),
        Err(CommandError::InvalidEmail)
    );
}

#[test]
fn the_host_secret_alone_may_plan_but_not_act_for_someone() {
    let mut m = super::super::Meeting::new(super::secret(), 1);
    let p = plan(&[("Red", &["kari@skole.no"])]);
    let wrong = crate::ids::HostSecret("nope".into());
    assert_eq!(
        m.apply_as_host(Command::LoadPlan { plan: p.clone() }, &wrong, super::T0),
        Err(CommandError::NotAllowed {
            required: Required::Host
        })
    );
    assert_eq!(
        m.plan_for_host(&wrong),
        Err(CommandError::NotAllowed {
            required: Required::Host
        })
    );
    m.apply_as_host(
        Command::LoadPlan { plan: p.clone() },
        &super::secret(),
        super::T0,
    )
    .expect("plan");
    assert_eq!(m.plan_for_host(&super::secret()), Ok(Some(&p)));
    assert_eq!(
        m.apply_as_host(Command::OpenRooms, &super::secret(), super::T0),
        Err(CommandError::NeedsParticipant)
    );
    // Recreating rooms drops the plan document with the planned rooms.
    m.apply_as_host(
        Command::CreateRooms {
            count: RoomCount::Rooms { count: 2 },
            strategy: Strategy::Manually,
        },
        &super::secret(),
        super::T0,
    )
    .expect("create");
    assert_eq!(m.plan_for_host(&super::secret()), Ok(None));
}
