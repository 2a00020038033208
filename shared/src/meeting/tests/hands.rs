//! Raised hands: the order they went up in, who may lower whose, and a move lowering one.

use crate::meeting::command::{Command, CommandError, Required};
use crate::meeting::rooms::{BreakoutOptions, Place};

#[test]
fn hands_keep_the_order_they_went_up_in_and_hosts_lower_them() {
    let (mut h, host, p) = super::Harness::with_people(3);
    h.ok(p[2], Command::RaiseHand);
    h.ok(p[0], Command::RaiseHand);
    // Raising again keeps one's turn.
    h.ok(p[2], Command::RaiseHand);
    let hand = |h: &super::Harness, who| h.view(host).participant(who).and_then(|v| v.hand);
    let (first, second) = (hand(&h, p[2]), hand(&h, p[0]));
    assert!(
        first.is_some() && second.is_some() && first < second,
        "{first:?} {second:?}"
    );
    assert_eq!(hand(&h, p[1]), None);
    // A participant may lower only their own.
    assert_eq!(
        h.apply(p[1], Command::LowerHand { participant: p[2] }),
        Err(CommandError::NotAllowed {
            required: Required::HostOrCoHost
        })
    );
    h.ok(host, Command::LowerHand { participant: p[2] });
    assert_eq!(hand(&h, p[2]), None);
    h.ok(p[0], Command::LowerHand { participant: p[0] });
    assert_eq!(hand(&h, p[0]), None);
    // Raised again later, a hand goes to the back of the queue.
    h.ok(p[1], Command::RaiseHand);
    h.ok(p[2], Command::RaiseHand);
    assert!(hand(&h, p[1]) < hand(&h, p[2]));
    assert!(hand(&h, p[1]) > second);
    h.check();
}

#[test]
fn a_hand_comes_down_when_its_owner_moves_and_stays_up_otherwise() {
    let (mut h, host, p) = super::Harness::with_people(4);
    h.ok(p[0], Command::RaiseHand);
    h.ok(p[1], Command::RaiseHand);
    let options = BreakoutOptions {
        move_automatically: false,
        ..BreakoutOptions::default()
    };
    h.open_rooms(host, 2, options);
    // Nobody moved yet: both hands are still up.
    assert!(
        h.view(host)
            .participant(p[0])
            .is_some_and(|v| v.hand.is_some())
    );
    h.ok(
        host,
        Command::MoveParticipant {
            participant: p[0],
            to: Place::Room { room: h.room(0) },
        },
    );
    let view = h.view(p[3]);
    assert_eq!(
        view.participant(p[0]).and_then(|v| v.hand),
        None,
        "moved: lowered"
    );
    assert!(
        view.participant(p[1]).is_some_and(|v| v.hand.is_some()),
        "stayed: up"
    );
    // Back in the main session when the rooms close: a hand raised in the room comes down.
    h.ok(p[0], Command::RaiseHand);
    h.ok(host, Command::CloseRooms);
    h.advance_secs(120);
    assert_eq!(
        h.view(host).participant(p[0]).map(|v| v.place),
        Some(Place::Main)
    );
    assert_eq!(h.view(host).participant(p[0]).and_then(|v| v.hand), None);
    h.check();
}

#[test]
fn lowering_an_unknown_participant_is_a_typed_error() {
    let (mut h, host, _) = super::Harness::with_people(1);
    assert_eq!(
        h.apply(
            host,
            Command::LowerHand {
                participant: crate::ids::ParticipantId(999)
            }
        ),
        Err(CommandError::UnknownParticipant)
    );
}
