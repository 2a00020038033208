//! Unit tests of time: automatic close, countdowns, per-room time, rotations, exactly-once firing.

use super::super::assign::PairCounts;
use super::super::command::{Command, CommandError};
use super::super::event::Event;
use super::super::rooms::{BreakoutOptions, Phase, Place, RoomStatus};
use super::Harness;
use crate::ids::ParticipantId;

fn timed(minutes: u32, countdown: Option<u32>) -> BreakoutOptions {
    BreakoutOptions {
        move_automatically: true,
        auto_close_minutes: Some(minutes),
        countdown_seconds: countdown,
        ..BreakoutOptions::default()
    }
}

fn count(h: &Harness, who: ParticipantId, pred: impl Fn(&Event) -> bool) -> usize {
    h.received(who).into_iter().filter(|e| pred(e)).count()
}

#[test]
fn rooms_close_automatically_with_notice_and_countdown_exactly_once() {
    let (mut h, host, p) = Harness::with_people(4);
    h.open_rooms(host, 2, timed(10, Some(30)));
    let opened = h.now;
    assert_eq!(h.m.next_deadline(), Some(opened.plus_secs(600)));
    assert_eq!(h.view(p[0]).time_left(h.room(0), opened), Some(600_000));
    h.log.clear();
    h.advance_secs(599);
    assert!(h.log.is_empty(), "nothing fires early");
    assert_eq!(h.view(p[0]).time_left(h.room(0), h.now), Some(1_000));
    h.advance_secs(1);
    assert_eq!(count(&h, host, |e| matches!(e, Event::TimeUp { .. })), 2);
    assert_eq!(
        count(&h, p[0], |e| matches!(e, Event::TimeUp { .. })),
        0,
        "only hosts"
    );
    assert_eq!(h.m.phase(), Phase::Closing);
    assert_eq!(h.view(p[0]).time_left(h.room(0), h.now), Some(30_000));
    assert!(
        p.iter()
            .all(|id| h.m.place_of(*id).and_then(Place::room).is_some())
    );
    h.advance_secs(30);
    assert!(p.iter().all(|id| h.m.place_of(*id) == Some(Place::Main)));
    assert_eq!(
        h.m.phase(),
        Phase::Planned,
        "rooms are kept for another round"
    );
    assert_eq!(count(&h, p[0], |e| matches!(e, Event::RoomsClosed)), 1);
    h.log.clear();
    h.m.tick(h.now);
    h.advance_secs(0);
    h.advance_secs(3600);
    assert!(h.log.is_empty(), "no timer fires twice");
    assert_eq!(h.m.next_deadline(), None);
    h.check();
}

#[test]
fn closing_by_hand_counts_down_then_returns_everyone() {
    let (mut h, host, p) = Harness::with_people(3);
    h.open_rooms(
        host,
        1,
        BreakoutOptions {
            move_automatically: true,
            ..BreakoutOptions::default()
        },
    );
    assert_eq!(h.m.next_deadline(), None, "no timer without auto-close");
    h.ok(host, Command::CloseRooms);
    let until = h.now.plus_secs(60);
    assert_eq!(h.m.next_deadline(), Some(until));
    assert!(
        h.received(p[0])
            .iter()
            .any(|e| **e == Event::RoomsClosing { until })
    );
    assert_eq!(
        h.apply(host, Command::CloseRooms),
        Err(CommandError::NotOpen)
    );
    // Broadcasts still reach people during the countdown.
    h.ok(
        host,
        Command::Broadcast {
            text: "Wrap up".into(),
            target: super::super::rooms::BroadcastTarget::All,
        },
    );
    h.advance_secs(59);
    assert!(h.m.place_of(p[0]).and_then(Place::room).is_some());
    h.advance_secs(1);
    assert_eq!(h.m.place_of(p[0]), Some(Place::Main));
    h.check();
}

#[test]
fn without_a_countdown_closing_is_immediate() {
    let (mut h, host, p) = Harness::with_people(2);
    h.open_rooms(
        host,
        1,
        BreakoutOptions {
            move_automatically: true,
            countdown_seconds: None,
            ..BreakoutOptions::default()
        },
    );
    h.ok(host, Command::CloseRooms);
    assert_eq!(h.m.place_of(p[0]), Some(Place::Main));
    assert_eq!(h.m.phase(), Phase::Planned);
    h.check();
}

#[test]
fn one_room_can_get_more_or_less_time() {
    let (mut h, host, _) = Harness::with_people(4);
    h.open_rooms(host, 2, timed(5, None));
    let (r1, r2) = (h.room(0), h.room(1));
    h.ok(
        host,
        Command::ExtendRoomTime {
            room: r1,
            seconds: 120,
        },
    );
    h.advance_secs(300);
    assert_eq!(
        h.m.view_for(host).room(r2).map(|r| r.status),
        Some(RoomStatus::Closed)
    );
    assert!(matches!(
        h.m.view_for(host).room(r1).map(|r| r.status),
        Some(RoomStatus::Open { .. })
    ));
    assert_eq!(h.m.phase(), Phase::Open);
    // Shortening below now closes it at the next tick.
    h.ok(
        host,
        Command::ExtendRoomTime {
            room: r1,
            seconds: -3600,
        },
    );
    assert_eq!(h.m.next_deadline(), Some(h.now));
    h.advance_secs(0);
    assert_eq!(h.m.phase(), Phase::Planned);
    assert_eq!(
        h.apply(
            host,
            Command::ExtendRoomTime {
                room: r1,
                seconds: 60
            }
        ),
        Err(CommandError::RoomNotOpen)
    );
    h.check();
}

#[test]
fn extending_a_room_without_a_timer_is_refused() {
    let (mut h, host, _) = Harness::with_people(2);
    h.open_rooms(host, 1, BreakoutOptions::default());
    assert_eq!(
        h.apply(
            host,
            Command::ExtendRoomTime {
                room: h.room(0),
                seconds: 60
            }
        ),
        Err(CommandError::NoTimer)
    );
}

#[test]
fn without_notify_hosts_get_no_time_up() {
    let (mut h, host, _) = Harness::with_people(2);
    h.open_rooms(
        host,
        1,
        BreakoutOptions {
            notify_when_time_up: false,
            ..timed(1, Some(10))
        },
    );
    h.log.clear();
    h.advance_secs(60);
    assert_eq!(count(&h, host, |e| matches!(e, Event::TimeUp { .. })), 0);
    assert_eq!(h.m.phase(), Phase::Closing);
}

#[test]
fn a_late_tick_fires_every_missed_timer_once_in_order() {
    let (mut h, host, p) = Harness::with_people(2);
    h.open_rooms(host, 1, timed(1, Some(10)));
    h.log.clear();
    h.advance_secs(3600); // the server was away for an hour
    let kinds: Vec<&str> = h
        .received(p[0])
        .iter()
        .filter(|e| !matches!(e, Event::ChatHistory { .. }))
        .map(|e| match e {
            Event::RoomStatusChanged {
                status: RoomStatus::Closing { .. },
                ..
            } => "closing",
            Event::RoomStatusChanged {
                status: RoomStatus::Closed,
                ..
            } => "closed",
            Event::RoomsClosed => "all closed",
            _ => "other",
        })
        .collect();
    // The last room's countdown ending ends the session: one `RoomsClosed`, no `Closed` status.
    assert_eq!(kinds, ["closing", "all closed"]);
    h.check();
}

/// A hundred rooms counting down together end in one event each person gets, not a room status
/// per room sent to everyone.
#[test]
fn a_session_countdown_ends_in_one_event() {
    let (mut h, host, p) = Harness::with_people(20);
    let options = BreakoutOptions {
        move_automatically: true,
        countdown_seconds: Some(10),
        ..BreakoutOptions::default()
    };
    h.open_rooms(host, 10, options);
    h.ok(host, Command::CloseRooms);
    h.log.clear();
    h.advance_secs(10);
    let seen: Vec<&Event> = h
        .received(p[0])
        .into_iter()
        .filter(|e| !matches!(e, Event::ChatHistory { .. }))
        .collect();
    assert!(matches!(seen[..], [Event::RoomsClosed]), "{seen:?}");
    assert!(h.view(p[0]).participants.iter().all(|q| q.place.is_main()));
    h.check();
}

#[test]
fn rotation_rounds_advance_on_the_timer_and_avoid_repeat_pairs() {
    let (mut h, host, p) = Harness::with_people(12);
    h.ok(
        host,
        Command::StartRotation {
            rounds: 3,
            group_size: 3,
            round_minutes: 5,
        },
    );
    assert_eq!(h.m.room_ids().len(), 4);
    assert_eq!(h.view(p[0]).rotation, Some((1, 3)));
    let mut met = PairCounts::default();
    let mut record = |h: &Harness| {
        let groups: Vec<Vec<ParticipantId>> =
            h.m.room_ids()
                .into_iter()
                .map(|r| {
                    p.iter()
                        .copied()
                        .filter(|id| h.m.place_of(*id) == Some(Place::Room { room: r }))
                        .collect()
                })
                .collect();
        assert!(groups.iter().all(|g| g.len() == 3), "{groups:?}");
        met.record(&groups);
    };
    record(&h);
    assert_eq!(
        h.apply(
            host,
            Command::ExtendRoomTime {
                room: h.room(0),
                seconds: 60
            }
        ),
        Err(CommandError::RotationRunning)
    );
    h.advance_secs(300);
    assert_eq!(h.view(p[0]).rotation, Some((2, 3)));
    record(&h);
    h.advance_secs(300);
    assert_eq!(h.view(p[5]).rotation, Some((3, 3)));
    record(&h);
    assert_eq!(
        met.repeats(),
        0,
        "12 people in threes meet new people for three rounds"
    );
    h.advance_secs(300);
    assert_eq!(h.m.phase(), Phase::Closing);
    h.advance_secs(60);
    assert_eq!(h.m.phase(), Phase::Planned);
    assert_eq!(h.view(p[0]).rotation, None);
    h.check();
}

#[test]
fn rotations_are_validated() {
    let (mut h, host, _) = Harness::with_people(4);
    for (rounds, size, minutes) in [(0, 3, 5), (51, 3, 5), (2, 1, 5), (2, 3, 0)] {
        assert!(matches!(
            h.apply(
                host,
                Command::StartRotation {
                    rounds,
                    group_size: size,
                    round_minutes: minutes
                }
            ),
            Err(CommandError::InvalidRotation { .. })
        ));
    }
}
