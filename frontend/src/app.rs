//! The root component: picks the language, reads the URL once, and shows that screen.

use crate::features::{launch, lobby, meeting, planning};
use crate::i18n::{Lang, Texts};
use crate::net::storage;
use crate::route::{self, Route};
use leptos::prelude::*;

/// The language signal, provided as context to every component.
#[derive(Debug, Clone, Copy)]
pub struct LangSignal(pub RwSignal<Lang>);

/// The current language's strings, reactively. Components call this for every word they show.
pub fn use_texts() -> impl Fn() -> &'static Texts + Copy + 'static {
    let lang = use_context::<LangSignal>()
        .map(|l| l.0)
        .unwrap_or_else(|| RwSignal::new(Lang::En));
    move || lang.get().texts()
}

/// The current language, reactively (for formatting dates in it).
pub fn use_lang() -> impl Fn() -> Lang + Copy + 'static {
    let lang = use_context::<LangSignal>()
        .map(|l| l.0)
        .unwrap_or_else(|| RwSignal::new(Lang::En));
    move || lang.get()
}

/// One word of the current language as a signal. Every translated label goes through this one
/// type, so the browser bundle carries its rendering code once, not once per label.
pub fn tr(pick: fn(&Texts) -> &'static str) -> Signal<&'static str> {
    let t = use_texts();
    Signal::derive(move || pick(t()))
}

fn browser_lang() -> Lang {
    window()
        .navigator()
        .language()
        .map(|tag| Lang::from_tag(&tag))
        .unwrap_or(Lang::En)
}

#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(browser_lang());
    provide_context(LangSignal(lang));
    Effect::new(move || {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.get().tag());
        }
    });
    let location = window().location();
    let route = route::parse(
        &location.pathname().unwrap_or_default(),
        &location.hash().unwrap_or_default(),
    );
    let screen = match route {
        Route::Home => lobby::Home().into_any(),
        Route::Plan => planning::PlanPage().into_any(),
        Route::Meeting {
            id,
            host_secret,
            passcode,
        } => {
            // What the link carried is kept for this tab and taken out of the address bar.
            if let Some(secret) = &host_secret {
                storage::remember_link_part(&id, "host", &secret.0);
            }
            if let Some(passcode) = &passcode {
                storage::remember_link_part(&id, "pwd", passcode);
            }
            if host_secret.is_some() || passcode.is_some() {
                storage::clear_fragment();
            }
            let host_secret = host_secret
                .or_else(|| storage::link_part(&id, "host").map(plenary_shared::ids::HostSecret));
            let passcode = passcode.or_else(|| storage::link_part(&id, "pwd"));
            meeting::MeetingPage(meeting::MeetingPageProps {
                id,
                host_secret,
                passcode,
                launch: None,
            })
            .into_any()
        }
        Route::Launch { ticket } => {
            launch::LaunchPage(launch::LaunchPageProps { ticket }).into_any()
        }
        Route::NotFound => view! {
            <main>
                <p>{tr(|t| t.not_found)}</p>
                <a href="/">{tr(|t| t.go_home)}</a>
            </main>
        }
        .into_any(),
    };
    view! {
        <header class="topbar">
            <label class="lang">
                {tr(|t| t.language)}
                <select on:change=move |ev| {
                    lang.set(if event_target_value(&ev) == "nb" { Lang::Nb } else { Lang::En })
                }>
                    <option value="en" selected=move || lang.get() == Lang::En>"English"</option>
                    <option value="nb" selected=move || lang.get() == Lang::Nb>"Norsk bokmål"</option>
                </select>
            </label>
        </header>
        {screen}
    }
}
