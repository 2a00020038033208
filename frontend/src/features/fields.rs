//! Labelled inputs bound to a signal: the shape most forms here repeat.

use crate::app::tr;
use crate::i18n::Texts;
use leptos::prelude::*;

/// `<label>` with `label`'s words around an `<input type=kind>` whose value lives in `value`;
/// `max_len` caps its length.
pub fn field(
    label: fn(&Texts) -> &'static str,
    kind: &'static str,
    value: RwSignal<String>,
    max_len: Option<usize>,
) -> impl IntoView {
    view! {
        <label>
            {tr(label)}
            <input
                type=kind
                maxlength=max_len.map(|n| n.to_string())
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}
