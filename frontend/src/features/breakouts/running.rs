//! Running a session: `Breakout rooms - In Progress` with time left, the help queue (who asked,
//! from where, and `Join` to go there), broadcasts to everyone or one room, `Close all rooms`,
//! and saving the groups for another day.

use super::logic;
use crate::app::{tr, use_texts};
use crate::features::fields::field;
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::ids::RoomId;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BroadcastTarget, MAX_BROADCAST_CHARS, Phase};
use plenary_shared::time::Timestamp;

/// The status line: in progress (or closing) with the soonest time left.
pub fn status(store: Store, now: ReadSignal<Timestamp>) -> impl IntoView {
    let t = use_texts();
    let text = move || {
        store.meeting.with(|m| {
            let now = now.get();
            let soonest = m.rooms.iter().filter_map(|r| m.time_left(r.id, now)).min();
            let left = soonest.map(|ms| format!(" — {} {}", t().time_left, logic::clock(ms)));
            let round = m
                .rotation
                .map(|(r, of)| format!(" — {} {r} {} {of}", t().round, t().of));
            match m.phase() {
                Phase::Open => Some(format!(
                    "{}{}{}",
                    t().in_progress,
                    left.unwrap_or_default(),
                    round.unwrap_or_default()
                )),
                Phase::Closing => Some(format!(
                    "{} — {}{}",
                    t().in_progress,
                    t().closing,
                    left.map(|l| l.replacen(" — ", " ", 1)).unwrap_or_default()
                )),
                _ => None,
            }
        })
    };
    view! { <p class="status" role="status">{text}</p> }
}

/// Open requests for help, newest last, each with `Join` to go to that room.
pub fn help_queue(store: Store, outbox: Outbox) -> impl IntoView {
    let t = use_texts();
    let open_requests = move || {
        store.meeting.with(|m| {
            m.help
                .iter()
                .filter(|h| h.resolved_by.is_none())
                .map(|h| {
                    let who = m
                        .participant(h.from)
                        .map(|p| p.name.clone())
                        .unwrap_or_default();
                    let room = m.room(h.room).map(|r| r.name.clone()).unwrap_or_default();
                    (h.id, h.room, who, room)
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="help">
            <h3>{tr(|t| t.help_requests)}</h3>
            <ul aria-label=tr(|t| t.help_requests) aria-live="assertive">
                <For each=open_requests key=|r| r.0 let:request>
                    <li>
                        {format!("{} {} {}", request.2, t().asks_for_help_in, request.3)}
                        " "
                        <button
                            class="small"
                            on:click=move |_| {
                                outbox.send(Command::JoinRoom { room: request.1 });
                                outbox.send(Command::ResolveHelp { request: request.0 });
                            }
                        >
                            {tr(|t| t.join)}
                        </button>
                    </li>
                </For>
            </ul>
            <Show when=move || open_requests().is_empty()>
                <p class="muted">{tr(|t| t.no_help_requests)}</p>
            </Show>
        </section>
    }
}

/// `Broadcast a message to all` opens a 140-character message with a counter and a target.
pub fn broadcast(store: Store, outbox: Outbox) -> impl IntoView {
    let open = RwSignal::new(false);
    let text = RwSignal::new(String::new());
    let target = RwSignal::new(None::<RoomId>);
    let left = move || MAX_BROADCAST_CHARS.saturating_sub(text.get().chars().count());
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let message = text.get_untracked();
        if message.trim().is_empty() {
            return;
        }
        outbox.send(Command::Broadcast {
            text: message,
            target: target
                .get_untracked()
                .map_or(BroadcastTarget::All, |room| BroadcastTarget::Room { room }),
        });
        text.set(String::new());
        open.set(false);
    };
    view! {
        <button on:click=move |_| open.update(|o| *o = !*o) aria-expanded=move || open.get().to_string()>
            {tr(|t| t.broadcast_all)}
        </button>
        <Show when=move || open.get()>
            <form class="broadcast-form" on:submit=send>
                {field(|t| t.message, "text", text, Some(MAX_BROADCAST_CHARS))}
                <span class="muted" aria-live="polite">{left} " " {tr(|t| t.chars_left)}</span>
                <label>
                    {tr(|t| t.send_to)}
                    <select on:change=move |ev| target.set(event_target_value(&ev).parse::<u32>().ok().map(RoomId))>
                        <option value="">{tr(|t| t.all_rooms)}</option>
                        {move || {
                            store
                                .meeting
                                .with(|m| m.rooms.clone())
                                .into_iter()
                                .map(|r| view! { <option value=r.id.0.to_string()>{r.name}</option> })
                                .collect_view()
                        }}
                    </select>
                </label>
                <button type="submit">{tr(|t| t.broadcast)}</button>
            </form>
        </Show>
    }
}

/// `Close all rooms` (with the countdown, if set).
pub fn close(store: Store, outbox: Outbox) -> impl IntoView {
    let open = move || store.meeting.with(|m| m.phase() == Phase::Open);
    view! {
        <Show when=open>
            <button class="danger" on:click=move |_| outbox.send(Command::CloseRooms)>
                {tr(|t| t.close_all)}
            </button>
        </Show>
    }
}

/// Save the current groups under a name; use or see earlier ones.
pub fn saved_groups(store: Store, outbox: Outbox) -> impl IntoView {
    let t = use_texts();
    let name = RwSignal::new(String::new());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked();
        if !n.trim().is_empty() {
            outbox.send(Command::SaveGroups { name: n });
            name.set(String::new());
        }
    };
    view! {
        <section class="saved-groups">
            <h3>{tr(|t| t.saved_groups)}</h3>
            <form class="row" on:submit=save>
                {field(|t| t.group_set_name, "text", name, Some(64))}
                <button type="submit">{tr(|t| t.save_groups)}</button>
            </form>
            <ul aria-label=tr(|t| t.saved_groups)>
                <For
                    each=move || store.meeting.with(|m| m.group_sets.clone())
                    key=|s| (s.name.clone(), s.saved_at)
                    let:set
                >
                    <li>
                        {format!("{} ({} {})", set.name, set.people, t().people_count)}
                        " "
                        <button
                            class="small"
                            aria-label=format!("{} {}", t().use_groups, set.name)
                            on:click={
                                let name = set.name.clone();
                                move |_| outbox.send(Command::LoadGroups { name: name.clone() })
                            }
                        >
                            {tr(|t| t.use_groups)}
                        </button>
                    </li>
                </For>
            </ul>
        </section>
    }
}
