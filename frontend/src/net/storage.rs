//! Small values remembered by the browser for this tab: the name someone typed, so the host who
//! clicks `Start a meeting` joins without typing it twice, and each meeting's resume token, so a
//! dropped connection comes back as the same person.

use plenary_shared::ids::{MeetingId, SessionToken};

const NAME_KEY: &str = "plenary.name";

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Remembers the name for this tab.
pub fn remember_name(name: &str) {
    if let Some(s) = session() {
        let _ = s.set_item(NAME_KEY, name);
    }
}

fn session_key(meeting: &MeetingId) -> String {
    format!("plenary.session.{meeting}")
}

/// Remembers the resume token for a meeting.
pub fn remember_session(meeting: &MeetingId, token: &SessionToken) {
    if let Some(s) = session() {
        let _ = s.set_item(&session_key(meeting), &token.0);
    }
}

/// The resume token for a meeting, if this tab has one.
pub fn session_token(meeting: &MeetingId) -> Option<SessionToken> {
    session()?
        .get_item(&session_key(meeting))
        .ok()?
        .map(SessionToken)
}

/// Forgets a meeting's resume token (it ended, or we left).
pub fn forget_session(meeting: &MeetingId) {
    if let Some(s) = session() {
        let _ = s.remove_item(&session_key(meeting));
    }
}

/// The remembered name, if any.
pub fn remembered_name() -> Option<String> {
    session()?.get_item(NAME_KEY).ok()?
}
