//! Getting into a meeting: the start page that creates one, and the join form. Both are a name
//! field and one button.

use crate::app::{tr, use_texts};
use crate::features::media::{device_pickers, preview};
use crate::i18n::Texts;
use crate::media::MediaState;
use crate::net::{http, storage, time};
use crate::route;
use leptos::prelude::*;
use plenary_shared::api::NewMeeting;
use plenary_shared::meeting::info::PublicInfo;

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
            match http::create_meeting(&NewMeeting::default()).await {
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
            <h1>{tr(|t| t.app_name)}</h1>
            <p class="muted">{tr(|t| t.tagline)}</p>
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
            <p>
                <a href="/plan">{tr(|t| t.plan_meeting)}</a>
            </p>
        </main>
    }
}

/// The join form: the meeting's title and start time if it has them, a preview of your camera
/// (as Meet and Zoom show one), a name, the passcode if the meeting needs one, and `Join`.
pub fn join_form(
    media: MediaState,
    info: Signal<Option<PublicInfo>>,
    passcode: RwSignal<String>,
    joining: Signal<bool>,
    error: Signal<Option<String>>,
    on_join: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let t = use_texts();
    let lang = crate::app::use_lang();
    let name = RwSignal::new(storage::remembered_name().unwrap_or_default());
    let title = move || {
        info.get()
            .map(|i| i.title)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| t().join_heading.to_owned())
    };
    let starts = move || {
        let at = info.get()?.starts_at?;
        Some(view! {
            <p class="muted">{t().starts} ": " {time::format(at, lang().tag())}</p>
        })
    };
    let needs_passcode = move || info.get().is_some_and(|i| i.passcode_required);
    view! {
        <main>
            <h1>{title}</h1>
            {starts}
            {preview(media)}
            {device_pickers(media)}
            <Show when=needs_passcode>
                <label class="card">
                    {tr(|t| t.passcode)}
                    <input
                        type="text"
                        autocomplete="off"
                        maxlength="32"
                        prop:value=move || passcode.get()
                        on:input=move |ev| passcode.set(event_target_value(&ev))
                    />
                </label>
            </Show>
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
                {tr(|t| t.your_name)}
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
