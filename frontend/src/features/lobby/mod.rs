//! Getting into a meeting: the start page that creates one, and the join form.

use crate::app::use_texts;
use crate::net::{http, storage};
use crate::route;
use leptos::prelude::*;

/// `/`: type your name and start a meeting as its host.
#[component]
pub fn Home() -> impl IntoView {
    let t = use_texts();
    let name = RwSignal::new(storage::remembered_name().unwrap_or_default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let typed = name.get_untracked();
        leptos::task::spawn_local(async move {
            match http::create_meeting().await {
                Ok(created) => {
                    storage::remember_name(typed.trim());
                    let location = window().location();
                    let origin = location.origin().unwrap_or_default();
                    let link = route::host_link(&origin, &created.meeting, &created.host_secret);
                    if location.set_href(&link).is_err() {
                        busy.set(false);
                    }
                }
                Err(e) => {
                    error.set(Some(format!("{}: {e}", t().could_not_start)));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <main>
            <h1>{move || t().app_name}</h1>
            <p class="muted">{move || t().tagline}</p>
            <form class="card" on:submit=start>
                <label>
                    {move || t().your_name}
                    <input
                        type="text"
                        autocomplete="name"
                        maxlength="64"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { t().starting } else { t().start_meeting }}
                </button>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </form>
        </main>
    }
}

/// The join form: a name and `Join`.
pub fn join_form(
    joining: Signal<bool>,
    error: Signal<Option<String>>,
    on_join: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let t = use_texts();
    let name = RwSignal::new(storage::remembered_name().unwrap_or_default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_join(name.get_untracked());
    };
    view! {
        <main>
            <h1>{move || t().join_heading}</h1>
            <form class="card" on:submit=submit>
                <label>
                    {move || t().your_name}
                    <input
                        type="text"
                        autocomplete="name"
                        maxlength="64"
                        required
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit" disabled=move || joining.get()>
                    {move || if joining.get() { t().joining } else { t().join }}
                </button>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </form>
        </main>
    }
}
