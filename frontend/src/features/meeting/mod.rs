//! The meeting screen: who is here, the invite link for hosts, and leaving. Connects the page to
//! the meeting's socket and owns that socket for the page's lifetime.

use crate::app::use_texts;
use crate::features::chat::chat_panel;
use crate::features::lobby::join_form;
use crate::net::socket::Socket;
use crate::net::storage;
use crate::route;
use crate::store::{Phase, Store};
use leptos::prelude::*;
use plenary_shared::ids::{HostSecret, MeetingId};
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::{Credential, Role};
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION};
use std::time::Duration;

/// `/m/{id}`: join, then take part.
#[component]
pub fn MeetingPage(id: MeetingId, host_secret: Option<HostSecret>) -> impl IntoView {
    let store = Store::new();
    let socket = StoredValue::new_local(None::<Socket>);
    let id = StoredValue::new(id);
    let credential = StoredValue::new(match host_secret {
        Some(secret) => Credential::Host { secret },
        None => Credential::Participant,
    });
    let join = move |name: String| {
        storage::remember_name(name.trim());
        let hello = ClientMsg::Join {
            version: PROTOCOL_VERSION,
            name,
            email: None,
            passcode: None,
            credential: credential.get_value(),
        };
        // Drop any earlier socket first so its close cannot reach the new session.
        socket.set_value(None);
        match Socket::connect(&id.get_value(), &hello, store) {
            Ok(s) => socket.set_value(Some(s)),
            Err(e) => store.local_error(e),
        }
    };
    let send = move |command: Command| {
        socket.with_value(|s| {
            if let Some(s) = s {
                s.send(&ClientMsg::Command { command }, store);
            }
        });
    };
    let leave = move || {
        socket.with_value(|s| {
            if let Some(s) = s {
                s.send(
                    &ClientMsg::Command {
                        command: Command::Leave,
                    },
                    store,
                );
            }
        });
        storage::forget_session(&id.get_value());
        store.left();
        socket.set_value(None);
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
        socket.set_value(None);
        match Socket::connect(&id.get_value(), &hello, store) {
            Ok(s) => socket.set_value(Some(s)),
            Err(e) => store.local_error(e),
        }
    };
    Effect::new(move || match store.phase.get() {
        Phase::Lost => {
            let n = attempts.get_value();
            attempts.set_value(n.saturating_add(1));
            let delay = Duration::from_millis((250u64 << n.min(5)).min(5_000));
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
    // The host who just clicked `Start a meeting` typed a name already: go straight in.
    let is_host_link = matches!(credential.get_value(), Credential::Host { .. });
    if let (true, Some(name)) = (is_host_link, storage::remembered_name())
        && !name.is_empty()
    {
        join(name);
    }
    let t = use_texts();
    let joining = Signal::derive(move || store.phase.get() == Phase::Joining);
    let error = Signal::derive(move || store.error.get());
    // Which screen, changing only when the screen does (not on every reconnect attempt).
    let screen = Memo::new(move |_| match store.phase.get() {
        Phase::NotJoined | Phase::Joining => Screen::Join,
        Phase::InMeeting | Phase::Lost => Screen::Meeting,
        Phase::Left => Screen::Left,
    });
    move || {
        match screen.get() {
        Screen::Join => join_form(joining, error, join).into_any(),
        Screen::Meeting => in_meeting(store, id.get_value(), leave, send).into_any(),
        Screen::Left => view! {
            <main>
                <p role="status">{move || t().left_meeting}</p>
                <button on:click=move |_| store.phase.set(Phase::NotJoined)>{move || t().rejoin}</button>
            </main>
        }
        .into_any(),
    }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Join,
    Meeting,
    Left,
}

fn in_meeting(
    store: Store,
    id: MeetingId,
    leave: impl Fn() + Copy + 'static,
    send: impl Fn(Command) + Copy + 'static,
) -> impl IntoView {
    let t = use_texts();
    let is_hosting = move || matches!(store.my_role(), Some(Role::Host | Role::CoHost));
    let origin = window().location().origin().unwrap_or_default();
    let invite = route::invite_link(&origin, &id);
    view! {
        <main>
            <h1>{move || t().app_name}</h1>
            {move || {
                (store.phase.get() == Phase::Lost)
                    .then(|| view! { <div class="reconnecting" role="status">{t().reconnecting}</div> })
            }}
            {move || store.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || {
                store
                    .broadcast
                    .get()
                    .map(|text| {
                        view! {
                            <div class="broadcast" role="alert">
                                <strong>{t().broadcast_from_host} ": "</strong>
                                <span>{text}</span>
                            </div>
                        }
                    })
            }}
            <div class="layout">
                <div>
                    <Show when=is_hosting>
                        <section class="card invite">
                            <label>
                                {move || t().invite_link}
                                <input type="text" readonly value=invite.clone() />
                            </label>
                            <p class="muted">{move || t().invite_hint}</p>
                        </section>
                    </Show>
                    <div class="controls card">
                        <button class="danger" on:click=move |_| leave()>
                            {move || t().leave_meeting}
                        </button>
                    </div>
                    {chat_panel(store, send)}
                </div>
                {participants(store)}
            </div>
        </main>
    }
}

fn participants(store: Store) -> impl IntoView {
    let t = use_texts();
    let count = move || store.meeting.with(|m| m.participants.len());
    view! {
        <section class="card">
            <h2>{move || t().participants} " (" {count} ")"</h2>
            <ul class="participants" aria-label=move || t().participants>
                <For
                    each=move || store.meeting.get().participants
                    key=|p| (p.id, p.role, p.name.clone())
                    let:p
                >
                    <li>
                        <span class="name">{p.name.clone()}</span>
                        {move || t().role_badge(p.role).map(|b| view! { <span class="badge">{b}</span> })}
                        {move || (store.me.get() == Some(p.id)).then(|| view! { <span class="muted">{t().you_suffix}</span> })}
                    </li>
                </For>
            </ul>
        </section>
    }
}
