//! Everything that talks to the network, browser storage or the DOM beyond Leptos. Components
//! call these functions and never touch `web_sys` themselves.

pub mod dom;
pub mod files;
pub mod http;
pub mod socket;
pub mod storage;
pub mod time;

/// Turns a JavaScript exception into a sentence.
pub fn js_error(value: wasm_bindgen::JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(&value, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown browser error".to_owned())
}
