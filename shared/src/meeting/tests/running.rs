//! Unit tests of what happens while rooms are open: broadcasts, help requests, audio policy.

use super::super::command::{Command, CommandError, Required};
use super::super::event::Event;
use super::super::rooms::{BroadcastTarget, Place, RoomStatus, Strategy};
use super::Harness;
use crate::ids::HelpRequestId;
use crate::names::TextError;

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
    h.create(host, 2, Strategy::Automatically);
    h.set_options(host, |o| o.move_automatically = true);
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
    h.create(host, 1, Strategy::Automatically);
    assert_eq!(
        h.apply(p[0], Command::AskForHelp),
        Err(CommandError::NotInRoom)
    );
    h.set_options(host, |o| o.move_automatically = true);
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
fn mute_holds_inside_rooms() {
    let (mut h, host, p) = Harness::with_people(2);
    h.ok(host, Command::SetSelfUnmute { allowed: false });
    h.ok(host, Command::Mute { participant: p[0] });
    h.create(host, 1, Strategy::Automatically);
    h.set_options(host, |o| o.move_automatically = true);
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
