//! Small values remembered by the browser between page loads: the name someone typed, so the host
//! who clicks `Start a meeting` joins without typing it twice.

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

/// The remembered name, if any.
pub fn remembered_name() -> Option<String> {
    session()?.get_item(NAME_KEY).ok()?
}
