//! The few DOM services the meeting screen needs beyond Leptos: an element's size as it
//! changes (`ResizeObserver`, so the gallery's tiles fit the stage whatever opens beside it),
//! a click on the control that carries a keyboard shortcut, and focus moved to an element.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, HtmlElement, ResizeObserver, ResizeObserverEntry};

/// Watches `element`'s content size; `on_size(width, height)` is called at once and on every
/// change. Dropping the returned watch stops it.
pub struct SizeWatch {
    observer: ResizeObserver,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

impl Drop for SizeWatch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

pub fn watch_size(element: &Element, on_size: impl Fn(f64, f64) + 'static) -> Option<SizeWatch> {
    let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        if let Ok(entry) = entries.get(0).dyn_into::<ResizeObserverEntry>() {
            let rect = entry.content_rect();
            on_size(rect.width(), rect.height());
        }
    });
    let observer = ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
    observer.observe(element);
    Some(SizeWatch {
        observer,
        _callback: callback,
    })
}

/// Clicks the enabled control whose `aria-keyshortcuts` is `keys`; whether there was one.
pub fn click_shortcut(keys: &str) -> bool {
    let selector = format!("[aria-keyshortcuts=\"{keys}\"]:not([disabled])");
    let found = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(&selector).ok().flatten())
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    match found {
        Some(control) => {
            control.click();
            true
        }
        None => false,
    }
}

/// Moves the keyboard focus to the element with `id`, if it is there.
pub fn focus(id: &str) {
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}
