//! Unit tests of chat: per-place delivery, history on entering a place, limits.

use super::super::chat::{CHAT_HISTORY, MAX_CHAT_CHARS};
use super::super::command::{Command, CommandError};
use super::super::event::Event;
use super::super::rooms::{BreakoutOptions, Place};
use super::Harness;
use crate::ids::ParticipantId;
use crate::names::TextError;

fn said(h: &Harness, who: ParticipantId, text: &str) -> bool {
    h.received(who)
        .iter()
        .any(|e| matches!(e, Event::ChatMessage { message, .. } if message.text == text))
}

fn open_two_rooms(h: &mut Harness, host: ParticipantId) {
    let options = BreakoutOptions {
        move_automatically: true,
        countdown_seconds: None,
        ..BreakoutOptions::default()
    };
    h.open_rooms(host, 2, options);
}

#[test]
fn messages_reach_only_the_senders_place() {
    let (mut h, host, p) = Harness::with_people(4);
    h.ok(
        p[0],
        Command::SendChat {
            text: "hello all".into(),
        },
    );
    assert!(p.iter().chain([&host]).all(|id| said(&h, *id, "hello all")));
    open_two_rooms(&mut h, host);
    h.log.clear();
    let room = h.m.place_of(p[0]).expect("present");
    h.ok(
        p[0],
        Command::SendChat {
            text: "just us".into(),
        },
    );
    for id in p.iter().chain([&host]) {
        assert_eq!(
            said(&h, *id, "just us"),
            h.m.place_of(*id) == Some(room),
            "{id}"
        );
    }
    h.check();
}

#[test]
fn entering_a_place_brings_its_history() {
    let (mut h, host, p) = Harness::with_people(4);
    h.ok(
        host,
        Command::SendChat {
            text: "welcome".into(),
        },
    );
    open_two_rooms(&mut h, host);
    let room = h.m.place_of(p[0]).and_then(Place::room).expect("in a room");
    h.ok(
        p[0],
        Command::SendChat {
            text: "room talk".into(),
        },
    );
    // A host hopping in sees the room's conversation so far.
    h.ok(host, Command::JoinRoom { room });
    let texts: Vec<String> = h.view(host).chat.iter().map(|m| m.text.clone()).collect();
    assert_eq!(texts, ["room talk"]);
    // Back in the main session, everyone sees the main conversation again.
    h.ok(host, Command::CloseRooms);
    for id in p.iter().chain([&host]) {
        let texts: Vec<String> = h.view(*id).chat.iter().map(|m| m.text.clone()).collect();
        assert_eq!(texts, ["welcome"], "{id}");
    }
    h.check();
}

#[test]
fn chat_text_is_limited_and_history_capped() {
    let (mut h, host, _) = Harness::with_people(1);
    assert_eq!(
        h.apply(
            host,
            Command::SendChat {
                text: " \n ".into()
            }
        ),
        Err(CommandError::InvalidText {
            problem: TextError::Empty
        })
    );
    assert_eq!(
        h.apply(
            host,
            Command::SendChat {
                text: "x".repeat(MAX_CHAT_CHARS + 1)
            }
        ),
        Err(CommandError::InvalidText {
            problem: TextError::TooLong {
                max: MAX_CHAT_CHARS
            }
        })
    );
    h.ok(
        host,
        Command::SendChat {
            text: "two\nlines".into(),
        },
    );
    for i in 0..CHAT_HISTORY + 5 {
        h.ok(
            host,
            Command::SendChat {
                text: format!("m{i}"),
            },
        );
    }
    assert_eq!(h.view(host).chat.len(), CHAT_HISTORY);
    assert_eq!(h.view(host).chat[0].text, "m5");
    h.check();
}
