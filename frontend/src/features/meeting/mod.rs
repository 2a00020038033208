//! The meeting screen: joining, then the meeting as a window: a bar naming where you are, the
//! stage of videos, a side panel (`panels`), alerts over the stage (`toasts`) and the toolbar
//! (`toolbar`). Connects the page to the meeting's socket and owns it for the page's lifetime.

use crate::app::{tr, use_texts};
use crate::features::breakouts;
use crate::features::lobby::join_form;
use crate::features::media;
use crate::media::MediaState;

mod panels;
mod people;
mod toasts;
mod toolbar;
use crate::net::socket::Outbox;
use crate::net::{http, storage, time};
use crate::route;
use crate::store::{Phase, Store};
use leptos::prelude::*;
use panels::Panel;
pub use people::room_select;
use plenary_shared::ids::{HostSecret, MeetingId};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::info::PublicInfo;
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION};
use std::time::Duration;

/// `/m/{id}`: join, then take part.
#[component]
pub fn MeetingPage(
    id: MeetingId,
    host_secret: Option<HostSecret>,
    passcode: Option<String>,
    /// A course launch's ticket and the name the platform gave: joins at once, as that person.
    #[prop(optional)]
    launch: Option<(String, String)>,
) -> impl IntoView {
    let store = Store::new();
    let passcode = RwSignal::new(passcode.unwrap_or_default());
    let info = RwSignal::new(None::<PublicInfo>);
    {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            if let Ok(found) = http::public_info(&id).await {
                info.set(Some(found));
            }
        });
    }
    let outbox = Outbox::new(store);
    // Media lives as long as the page: the join form opens the camera and microphone for its
    // preview, the meeting connects them, and leaving releases them.
    let media = MediaState::new(outbox);
    // Hosts share the link with the passcode in it, so people get in with one click.
    let invite_passcode = RwSignal::new(None::<String>);
    if let Some(secret) = host_secret.clone() {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            if let Ok(settings) = http::settings(&id, &secret).await {
                invite_passcode.set(settings.passcode);
            }
        });
    }
    let id = StoredValue::new(id);
    let launch_name = launch.as_ref().map(|(_, name)| name.clone());
    let credential = StoredValue::new(match (launch, host_secret) {
        (Some((ticket, _)), _) => Credential::Launch { ticket },
        (None, Some(secret)) => Credential::Host { secret },
        (None, None) => Credential::Participant,
    });
    let join = move |name: String| {
        storage::remember_name(name.trim());
        let hello = ClientMsg::Join {
            version: PROTOCOL_VERSION,
            name,
            email: None,
            passcode: Some(passcode.get_untracked()).filter(|p| !p.trim().is_empty()),
            credential: credential.get_value(),
        };
        outbox.connect(&id.get_value(), &hello);
    };
    let leave = move || {
        outbox.send(Command::Leave);
        storage::forget_session(&id.get_value());
        store.left();
        outbox.close();
    };
    // A dropped connection comes back by itself: resume with this tab's token, retrying with
    // growing pauses while the server is unreachable.
    let attempts = StoredValue::new(0u32);
    let resume = move || {
        let Some(token) = storage::session_token(&id.get_value()) else {
            store.phase.set(Phase::NotJoined);
            return;
        };
        let hello = ClientMsg::Resume {
            version: PROTOCOL_VERSION,
            token,
        };
        outbox.connect(&id.get_value(), &hello);
    };
    // The meeting is over for this tab: its session is of no more use.
    Effect::new(move || {
        if matches!(store.phase.get(), Phase::Ended | Phase::Removed) {
            storage::forget_session(&id.get_value());
            outbox.close();
        }
    });
    Effect::new(move || match store.phase.get() {
        Phase::Lost => {
            let n = attempts.get_value();
            attempts.set_value(n.saturating_add(1));
            // The first try goes at once (a reload, a moment's glitch), later ones wait longer.
            if n == 0 {
                resume();
                return;
            }
            let delay = time::backoff(n - 1, Duration::from_millis(250), Duration::from_secs(5));
            set_timeout(
                move || {
                    if store.phase.get_untracked() == Phase::Lost {
                        resume();
                    }
                },
                delay,
            );
        }
        Phase::InMeeting => attempts.set_value(0),
        _ => {}
    });
    // A reload or a restored tab comes back as the same person, in the same place; the host who
    // just clicked `Start a meeting` typed a name already and goes straight in (also when a
    // reload finds the old session gone).
    // Someone launched from a course goes straight in too, with the name the platform gave.
    let is_host_link = matches!(credential.get_value(), Credential::Host { .. });
    let is_launch = launch_name.is_some();
    let auto_name = StoredValue::new(launch_name);
    let auto_joined = StoredValue::new(false);
    let join_as_host = move || {
        if auto_joined.get_value() {
            return;
        }
        let name = auto_name
            .get_value()
            .or_else(|| is_host_link.then(storage::remembered_name).flatten());
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            auto_joined.set_value(true);
            join(name);
        }
    };
    if storage::session_token(&id.get_value()).is_some() {
        store.resuming();
    } else {
        join_as_host();
    }
    Effect::new(move || {
        if store.phase.get() == Phase::NotJoined && store.me.get_untracked().is_none() {
            join_as_host();
        }
    });
    // The host link needs no passcode, so its join form asks for none.
    let form_info = Memo::new(move |_| {
        info.get().map(|mut i| {
            i.passcode_required &= !is_host_link && !is_launch;
            i
        })
    });
    let joining = Signal::derive(move || store.phase.get() == Phase::Joining);
    let lang = crate::app::use_lang();
    let error = Signal::derive(move || store.error.get().map(|p| p.describe(lang())));
    // Which screen, changing only when the screen does (not on every reconnect attempt).
    let ended = move || info.with(|i| i.as_ref().is_some_and(|i| i.ended));
    let screen = Memo::new(move |_| match store.phase.get() {
        Phase::NotJoined | Phase::Joining if ended() => Screen::Ended,
        Phase::NotJoined | Phase::Joining => Screen::Join,
        Phase::Lost if store.me.get().is_none() => Screen::Rejoining,
        Phase::InMeeting | Phase::Lost => Screen::Meeting,
        Phase::Left => Screen::Left,
        Phase::Ended => Screen::Ended,
        Phase::Removed => Screen::Removed,
        Phase::TakenOver => Screen::TakenOver,
    });
    move || {
        match screen.get() {
        Screen::Join => {
            join_form(media, form_info.into(), passcode, joining, error, join).into_any()
        }
        Screen::Meeting => {
            in_meeting(store, media, id.get_value(), invite_passcode, leave, outbox).into_any()
        }
        Screen::Left => view! {
            <main>
                <p role="status">{tr(|t| t.left_meeting)}</p>
                <button on:click=move |_| store.phase.set(Phase::NotJoined)>{tr(|t| t.rejoin)}</button>
            </main>
        }
        .into_any(),
        Screen::Rejoining => view! {
            <main><p role="status">{tr(|t| t.rejoining)}</p></main>
        }
        .into_any(),
        Screen::Ended => view! {
            <main><p role="status">{tr(|t| t.meeting_ended)}</p></main>
        }
        .into_any(),
        Screen::Removed => {
            let t = use_texts();
            let why = move || match store.removed_by.get() {
                Some(name) => format!("{} {name}.", t().removed_by),
                None => t().removed.to_owned(),
            };
            view! { <main><p role="status">{why}</p></main> }.into_any()
        }
        Screen::TakenOver => view! {
            <main>
                <p role="status">{tr(|t| t.taken_over)}</p>
                <button on:click=move |_| {
                    store.resuming();
                    resume();
                }>{tr(|t| t.use_here)}</button>
            </main>
        }
        .into_any(),
    }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Join,
    Rejoining,
    Meeting,
    Left,
    Ended,
    Removed,
    TakenOver,
}

fn in_meeting(
    store: Store,
    media: MediaState,
    id: MeetingId,
    invite_passcode: RwSignal<Option<String>>,
    leave: impl Fn() + Copy + 'static,
    outbox: Outbox,
) -> impl IntoView {
    let t = use_texts();
    // One clock for every countdown on the screen.
    let now = time::ticking(Duration::from_millis(250));
    let origin = window().location().origin().unwrap_or_default();
    let invite = move || match invite_passcode.get() {
        Some(p) => route::invite_link_with_passcode(&origin, &id, &p),
        None => route::invite_link(&origin, &id),
    };
    let panel = RwSignal::new(None::<Panel>);
    // A co-host who is no longer one has no breakout panel to look at.
    Effect::new(move || {
        if panel.get() == Some(Panel::Breakouts) && !store.am_hosting() {
            panel.set(None);
        }
    });
    // Connected on entering this screen, released on leaving it.
    media.start();
    Effect::new(move || {
        store.media.track();
        let signals = store.media.try_update_untracked(std::mem::take);
        for signal in signals.into_iter().flatten() {
            media.receive(signal);
        }
    });
    if let Ok(handle) = set_interval_with_handle(
        move || leptos::task::spawn_local(media.measure_path()),
        Duration::from_millis(400),
    ) {
        on_cleanup(move || handle.clear());
    }
    on_cleanup(move || media.stop());
    view! {
        <main class="meeting">
            <header class="meeting-bar">
                <h1>
                    {move || {
                        let title = store.meeting.with(|m| m.info.title.clone());
                        if title.is_empty() { t().app_name.to_owned() } else { title }
                    }}
                </h1>
                {breakouts::my_place(store, outbox, now)}
                <div class="statusbar" role="group" aria-label=tr(|t| t.status_bar)>{breakouts::status_bar(store, now)}</div>
            </header>
            <div class="meeting-body">
                <div class="stage-area">
                    {toasts::toasts(store, now, panel)}
                    {media::videos(store, media)}
                </div>
                {panels::side_panel(store, media, outbox, now, panel, invite)}
            </div>
            {toolbar::toolbar(store, media, outbox, panel, leave)}
        </main>
    }
}
