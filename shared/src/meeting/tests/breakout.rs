//! Unit tests of the breakout rules, one per rule, each also checking every client's view.

use super::super::command::{Command, CommandError, Required};
use super::super::rooms::{Phase, Place, RoomCount, Strategy};
use super::Harness;
use crate::ids::{ParticipantId, RoomId};
use crate::names::TextError;

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
    h.create(host, 3, Strategy::Automatically);
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
    h2.create(host2, 3, Strategy::Automatically);
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
    h.create(host, 100, Strategy::Manually);
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
    h.create(host, 2, Strategy::Manually);
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
    h.set_options(host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    h.ok(host, Command::Swap { a: p[0], b: p[1] });
    assert_eq!(h.m.place_of(p[0]), Some(Place::Room { room: r2 }));
    assert_eq!(h.m.place_of(p[1]), Some(Place::Room { room: r1 }));
    h.check();
}

#[test]
fn rename_add_delete_and_topics() {
    let (mut h, host, p) = Harness::with_people(4);
    h.create(host, 2, Strategy::Automatically);
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
    h.set_options(host, |o| o.move_automatically = true);
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
    h.create(host, 2, Strategy::Automatically);
    let first = h.m.room_ids();
    h.create(host, 3, Strategy::Automatically);
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
    h.create(host, 2, Strategy::Automatically);
    h.set_options(host, |o| o.move_automatically = true);
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
    h.create(host, 2, Strategy::Automatically);
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
    h.create(host, 2, Strategy::ParticipantsChoose);
    assert!(h.options().allow_choose);
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
    h.create(host, 1, Strategy::Automatically);
    h.set_options(host, |o| {
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
    h.set_options(host, |o| o.allow_return = true);
    h.ok(p[0], Command::ReturnToMain);
    assert_eq!(h.m.place_of(p[0]), Some(Place::Main));
    // Back in main with an open assigned room, they are invited again.
    assert_eq!(h.view(p[0]).invitation(p[0]), Some(r));
    h.check();
}

#[test]
fn hosts_move_people_only_into_open_rooms() {
    let (mut h, host, p) = Harness::with_people(2);
    h.create(host, 2, Strategy::Manually);
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
fn options_are_validated_and_remove_all_clears() {
    let (mut h, host, _) = Harness::with_people(1);
    let mut o = h.options();
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
    h.create(host, 3, Strategy::Automatically);
    h.ok(host, Command::RemoveAllRooms);
    assert_eq!(h.m.phase(), Phase::NoRooms);
    h.check();
}
