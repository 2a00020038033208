//! Small values remembered by the browser (through gloo-storage, as JSON), for this tab
//! (sessionStorage: a reload or a restored tab keeps them, another tab does not): the name someone typed, so the host who clicks `Start a
//! meeting` joins without typing it twice; each meeting's resume token, so a reload or a dropped
//! connection comes back as the same person; and the host secret and passcode a link carried,
//! which the page takes out of the address bar (so they do not show in screen shares or the
//! history) and keeps here instead. And, in localStorage (every tab, every visit), the camera,
//! microphone and speaker chosen.

use gloo_storage::{SessionStorage, Storage};
use plenary_shared::ids::{MeetingId, SessionToken};

const NAME_KEY: &str = "plenary.name";

/// A remembered text, if there is one (and it is not empty).
fn get(key: &str) -> Option<String> {
    SessionStorage::get::<String>(key)
        .ok()
        .filter(|v| !v.is_empty())
}

/// Remembers the name for this tab.
pub fn remember_name(name: &str) {
    let _ = SessionStorage::set(NAME_KEY, name);
}

fn session_key(meeting: &MeetingId) -> String {
    format!("plenary.session.{meeting}")
}

/// Remembers the resume token for a meeting.
pub fn remember_session(meeting: &MeetingId, token: &SessionToken) {
    let _ = SessionStorage::set(session_key(meeting), &token.0);
}

/// The resume token for a meeting, if this tab has one.
pub fn session_token(meeting: &MeetingId) -> Option<SessionToken> {
    get(&session_key(meeting)).map(SessionToken)
}

/// Forgets a meeting's resume token (it ended, or we left).
pub fn forget_session(meeting: &MeetingId) {
    SessionStorage::delete(session_key(meeting));
}

/// The remembered name, if any.
pub fn remembered_name() -> Option<String> {
    get(NAME_KEY)
}

fn secret_key(meeting: &MeetingId, what: &str) -> String {
    format!("plenary.{what}.{meeting}")
}

/// Keeps what a link carried for this meeting (`host` or `pwd`).
pub fn remember_link_part(meeting: &MeetingId, what: &str, value: &str) {
    let _ = SessionStorage::set(secret_key(meeting, what), value);
}

/// What a link carried for this meeting, if this tab kept it.
pub fn link_part(meeting: &MeetingId, what: &str) -> Option<String> {
    get(&secret_key(meeting, what))
}

const TICKET_KEY: &str = "plenary.lti.ticket";

/// Keeps a course launch's newest ticket for this tab; false if the browser keeps nothing
/// here (storage blocked in a cross-site frame).
pub fn remember_ticket(ticket: &str) -> bool {
    SessionStorage::set(TICKET_KEY, ticket).is_ok()
}

/// The course launch ticket this tab kept, if any.
pub fn ticket() -> Option<String> {
    get(TICKET_KEY)
}

/// A device chosen before (`plenary.device.{kind}`), kept across tabs and visits.
pub fn device(kind: &str) -> Option<String> {
    gloo_storage::LocalStorage::get::<String>(format!("plenary.device.{kind}"))
        .ok()
        .filter(|v| !v.is_empty())
}

/// Remembers the device chosen for `kind`.
pub fn remember_device(kind: &str, id: &str) {
    let _ = gloo_storage::LocalStorage::set(format!("plenary.device.{kind}"), id);
}

/// Takes the fragment (`#host=…`, `#pwd=…`) out of the address bar, leaving the page where it is.
pub fn clear_fragment() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_default();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}
