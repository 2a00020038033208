//! A participant's side of breakout rooms: where I am (`You are in …`, with the room's topic and
//! time left), the invitation to `Join`, `Leave breakout room`, `Choose a room` and
//! `Ask for help` when the options allow them, and the alerts: broadcasts, the closing
//! countdown, and (for hosts) time up.

use super::logic;
use crate::app::{tr, use_texts};
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{Phase, Place, RoomStatus};
use plenary_shared::time::Timestamp;

/// My place and what I may do about it.
pub fn my_place(store: Store, outbox: Outbox, now: ReadSignal<Timestamp>) -> impl IntoView {
    let t = use_texts();
    let me = move || store.me.get();
    let place = move || {
        let me = me()?;
        store.meeting.with(|m| m.participant(me).map(|p| p.place))
    };
    let hosting = move || store.am_hosting();
    let room = move || {
        let room = place()?.room()?;
        store.meeting.with(|m| m.room(room).cloned())
    };
    let where_text = move || match room() {
        Some(r) => format!("{} {}", t().you_are_in, r.name),
        None => t().you_are_in_main.to_owned(),
    };
    let time_left = move || {
        let r = room()?;
        let ms = store.meeting.with(|m| m.time_left(r.id, now.get()))?;
        Some(format!("{} {}", t().time_left, logic::clock(ms)))
    };
    let invitation = move || {
        let me = me()?;
        store.meeting.with(|m| {
            let room = m.invitation(me)?;
            Some((room, m.room(room)?.name.clone()))
        })
    };
    let may_leave = move || {
        let role = store.my_role();
        room().is_some()
            && role.is_some_and(|role| store.meeting.with(|m| m.options.may_return(role)))
    };
    let may_choose = move || {
        !hosting()
            && store
                .meeting
                .with(|m| m.phase() == Phase::Open && m.options.allow_choose)
    };
    let asked = move || {
        let me = me();
        store.meeting.with(|m| {
            m.help
                .iter()
                .any(|h| Some(h.from) == me && h.resolved_by.is_none())
        })
    };
    let choosing = RwSignal::new(false);
    let open_rooms = move || {
        store.meeting.with(|m| {
            m.rooms
                .iter()
                .filter(|r| matches!(r.status, RoomStatus::Open { .. }))
                .map(|r| {
                    (
                        r.id,
                        r.name.clone(),
                        m.people_in(Place::Room { room: r.id }).count(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="card my-place">
            <p class="where" role="status">{where_text}</p>
            {move || room().filter(|r| !r.topic.is_empty()).map(|r| view! { <p class="topic-text">{r.topic}</p> })}
            <p class="muted">{time_left}</p>
            {move || {
                invitation()
                    .map(|(room, name)| {
                        view! {
                            <div class="invitation" role="alert">
                                <span>{format!("{} {name}", t().invited_to)}</span>
                                " "
                                <button on:click=move |_| outbox.send(Command::JoinRoom { room })>
                                    {t().join}
                                </button>
                            </div>
                        }
                    })
            }}
            <div class="row">
                <Show when=may_leave>
                    <button on:click=move |_| outbox.send(Command::ReturnToMain)>
                        {tr(|t| t.leave_breakout)}
                    </button>
                </Show>
                <Show when=move || room().is_some() && !hosting()>
                    <Show
                        when=asked
                        fallback=move || {
                            view! {
                                <button on:click=move |_| outbox.send(Command::AskForHelp)>
                                    {tr(|t| t.ask_for_help)}
                                </button>
                            }
                        }
                    >
                        <p role="status">{tr(|t| t.help_asked)}</p>
                    </Show>
                </Show>
                <Show when=may_choose>
                    <button
                        aria-expanded=move || choosing.get().to_string()
                        on:click=move |_| choosing.update(|c| *c = !*c)
                    >
                        {tr(|t| t.choose_room)}
                    </button>
                </Show>
            </div>
            <Show when=move || may_choose() && choosing.get()>
                <ul class="choices" aria-label=tr(|t| t.choose_room)>
                    <For each=open_rooms key=|r| r.clone() let:choice>
                        <li>
                            <button on:click=move |_| {
                                outbox.send(Command::JoinRoom { room: choice.0 });
                                choosing.set(false);
                            }>
                                {choice.1.clone()}
                            </button>
                            " "
                            <span class="muted">{format!("({} {})", choice.2, t().people_count)}</span>
                        </li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// Alerts for everyone: the latest broadcast, the closing countdown of my room, time up (hosts).
pub fn alerts(store: Store, now: ReadSignal<Timestamp>) -> impl IntoView {
    let t = use_texts();
    let countdown = move || {
        let me = store.me.get()?;
        store.meeting.with(|m| {
            let room = m.participant(me)?.place.room()?;
            match m.room(room)?.status {
                RoomStatus::Closing { until } => Some(now.get().ms_until(until).div_ceil(1000)),
                _ => None,
            }
        })
    };
    let time_up = move || {
        let room = store.time_up.get()?;
        let open = store.meeting.with(|m| {
            m.room(room)
                .filter(|r| matches!(r.status, RoomStatus::Open { .. }))
                .map(|r| r.name.clone())
        })?;
        Some(open)
    };
    // Dismissing hides this broadcast here; the next one shows again.
    let dismissed = RwSignal::new(None::<String>);
    view! {
        {move || {
            store
                .broadcast
                .get()
                .filter(|text| dismissed.with(|d| d.as_ref() != Some(text)))
                .map(|text| {
                    let seen = text.clone();
                    view! {
                        <div class="broadcast" role="alert">
                            <span class="grow">
                                <strong>{t().broadcast_from_host} ": "</strong>
                                <span>{text}</span>
                            </span>
                            <button class="secondary small" on:click=move |_| dismissed.set(Some(seen.clone()))>
                                {t().dismiss}
                            </button>
                        </div>
                    }
                })
        }}
        {move || {
            countdown()
                .map(|secs| {
                    view! {
                        <div class="countdown" role="alert">
                            {format!("{} {secs} {}", t().rooms_close_in, t().seconds)}
                        </div>
                    }
                })
        }}
        {move || {
            time_up()
                .map(|room| {
                    view! {
                        <div class="time-up" role="alert">
                            {format!("{} {room}", t().time_up_in)}
                        </div>
                    }
                })
        }}
    }
}
