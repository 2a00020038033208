//! Getting into a meeting: the start page that creates one, and the join form. Both are a name
//! field and one button.

use crate::app::use_texts;
use crate::i18n::Texts;
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
    let start = move |typed: String| {
        busy.set(true);
        error.set(None);
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
            {name_form(
                name,
                NameForm {
                    required: false,
                    busy: busy.into(),
                    error: error.into(),
                    idle: |t| t.start_meeting,
                    working: |t| t.starting,
                },
                start,
            )}
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
    view! {
        <main>
            <h1>{move || t().join_heading}</h1>
            {name_form(
                name,
                NameForm {
                    required: true,
                    busy: joining,
                    error,
                    idle: |t| t.join,
                    working: |t| t.joining,
                },
                on_join,
            )}
        </main>
    }
}

/// How a name form behaves and what its button says.
struct NameForm {
    required: bool,
    busy: Signal<bool>,
    error: Signal<Option<String>>,
    idle: fn(&Texts) -> &'static str,
    working: fn(&Texts) -> &'static str,
}

/// `Your name`, one button, and the last error.
fn name_form(
    name: RwSignal<String>,
    form: NameForm,
    on_submit: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let t = use_texts();
    let NameForm {
        required,
        busy,
        error,
        idle,
        working,
    } = form;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_submit(name.get_untracked());
    };
    view! {
        <form class="card" on:submit=submit>
            <label>
                {move || t().your_name}
                <input
                    type="text"
                    autocomplete="name"
                    maxlength="64"
                    required=required
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            <button type="submit" disabled=move || busy.get()>
                {move || if busy.get() { working(t()) } else { idle(t()) }}
            </button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
    }
}
