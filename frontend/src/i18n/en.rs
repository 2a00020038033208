//! English strings (the UI contract's words).

use super::Texts;

pub const TEXTS: Texts = Texts {
    app_name: "Plenary",
    tagline: "Meetings that split into breakout rooms and come back together.",
    your_name: "Your name",
    start_meeting: "Start a meeting",
    starting: "Starting…",
    join: "Join",
    joining: "Joining…",
    join_heading: "Join the meeting",
    invite_link: "Invite link",
    invite_hint: "Share this link with participants.",
    participants: "Participants",
    you_suffix: "(you)",
    role_host: "Host",
    role_co_host: "Co-host",
    leave_meeting: "Leave meeting",
    left_meeting: "You left the meeting.",
    rejoin: "Join again",
    not_found: "There is nothing at this address.",
    go_home: "Go to the start page",
    reconnecting: "Connection lost. Reconnecting…",
    language: "Language",
    could_not_start: "Could not start a meeting",
    chat: "Chat",
    chat_message: "Chat message",
    send: "Send",
    broadcast_from_host: "Message from the host",
};
