//! The browser's clock and calendar: now, local date-time fields, and dates in the reader's
//! language. Only this module touches `Date`.

use plenary_shared::time::Timestamp;
use wasm_bindgen::JsValue;

/// The browser's idea of now.
pub fn now() -> Timestamp {
    let ms = js_sys::Date::now();
    // Milliseconds since 1970 fit in u64 for the next few hundred million years.
    Timestamp(if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    })
}

/// A `datetime-local` field's value (local time) as an instant; `None` if empty or invalid.
pub fn parse_local(value: &str) -> Option<Timestamp> {
    if value.trim().is_empty() {
        return None;
    }
    let ms = js_sys::Date::new(&JsValue::from_str(value)).get_time();
    (ms.is_finite() && ms >= 0.0).then_some(Timestamp(ms as u64))
}

/// An instant as a date and time in `lang` (a BCP 47 tag), in the browser's time zone.
pub fn format(at: Timestamp, lang: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"full".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    String::from(date.to_locale_string(lang, &options))
}

/// Now, as a signal that moves on every `period` while the calling component lives (for
/// countdowns).
pub fn ticking(period: std::time::Duration) -> leptos::prelude::ReadSignal<Timestamp> {
    use leptos::prelude::*;
    let (now_signal, set_now) = signal(now());
    if let Ok(handle) = set_interval_with_handle(move || set_now.set(now()), period) {
        on_cleanup(move || handle.clear());
    }
    now_signal
}

/// The pause before retry number `attempt` (from 0): `first`, doubling each time, at most `max`.
pub fn backoff(
    attempt: u32,
    first: std::time::Duration,
    max: std::time::Duration,
) -> std::time::Duration {
    first.saturating_mul(1u32 << attempt.min(16)).min(max)
}
