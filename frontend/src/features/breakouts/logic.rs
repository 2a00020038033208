//! What the breakout screens compute rather than show: how the preview of a split and time left
//! read, and which command places a person. The rules themselves (split sizes, who is placed)
//! are the engine's, in `plenary_shared`. Pure, so it is unit-tested natively.

use plenary_shared::ids::{ParticipantId, RoomId};
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::Place;
use plenary_shared::meeting::view::MeetingView;

/// The preview line: `3, 3, 2`; a long list is shortened to its distinct sizes (`3 or 2`).
pub fn describe_sizes(sizes: &[usize], or: &str) -> String {
    if sizes.len() <= 8 {
        return sizes
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ");
    }
    let (max, min) = (
        sizes.iter().copied().max().unwrap_or(0),
        sizes.iter().copied().min().unwrap_or(0),
    );
    if max == min {
        max.to_string()
    } else {
        format!("{max} {or} {min}")
    }
}

/// How many people an automatic split places (as the engine counts them).
pub fn placeable(view: &MeetingView) -> usize {
    view.participants
        .iter()
        .filter(|p| p.role.is_assignable())
        .count()
}

/// Milliseconds as `m:ss` (or `h:mm:ss` from an hour), rounding up so `0:00` means done.
pub fn clock(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The command that puts `who` in `room` (`None`: no room): a move while rooms run, an
/// assignment before they open.
pub fn place_command(view: &MeetingView, who: ParticipantId, room: Option<RoomId>) -> Command {
    if view.phase().is_running() {
        Command::MoveParticipant {
            participant: who,
            to: room.map_or(Place::Main, |room| Place::Room { room }),
        }
    } else {
        Command::Assign {
            participant: who,
            room,
        }
    }
}

/// A number field's text as a count within `range`, or `None`.
pub fn parse_count(text: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenary_shared::meeting::Role;
    use plenary_shared::meeting::rooms::{RoomStatus, RoomView};
    use plenary_shared::meeting::view::ParticipantView;

    #[test]
    fn the_preview_reads_the_engine_split() {
        use plenary_shared::meeting::assign::even_sizes;
        assert_eq!(describe_sizes(&[3, 3, 2], "or"), "3, 3, 2");
        assert_eq!(describe_sizes(&even_sizes(50, 20), "or"), "3 or 2");
        assert_eq!(describe_sizes(&even_sizes(40, 20), "eller"), "2");
    }

    #[test]
    fn time_left_reads_like_a_clock() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(1), "0:01");
        assert_eq!(clock(59_001), "1:00");
        assert_eq!(clock(600_000), "10:00");
        assert_eq!(clock(3_725_000), "1:02:05");
    }

    #[test]
    fn only_participants_are_placed_and_counts_are_bounded() {
        let person = |id, role| ParticipantView {
            id: ParticipantId(id),
            name: format!("P{id}"),
            role,
            place: Place::Main,
            muted: false,
            assigned: None,
            suggested_co_host: false,
            hand: None,
        };
        let view = MeetingView {
            participants: vec![
                person(1, Role::Host),
                person(2, Role::CoHost),
                person(3, Role::Participant),
            ],
            ..MeetingView::default()
        };
        assert_eq!(placeable(&view), 1);
        let mut view = view;
        view.rooms.push(RoomView {
            id: RoomId(1),
            name: "R".into(),
            topic: String::new(),
            status: RoomStatus::Idle,
        });
        let p = ParticipantId(3);
        assert_eq!(
            place_command(&view, p, Some(RoomId(1))),
            Command::Assign {
                participant: p,
                room: Some(RoomId(1))
            }
        );
        view.rooms[0].status = RoomStatus::Open { deadline: None };
        assert_eq!(
            place_command(&view, p, None),
            Command::MoveParticipant {
                participant: p,
                to: Place::Main
            }
        );
        assert_eq!(parse_count(" 4 ", 1..=100), Some(4));
        assert_eq!(parse_count("0", 1..=100), None);
        assert_eq!(parse_count("many", 1..=100), None);
    }
}
