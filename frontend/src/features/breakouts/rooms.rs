//! The rooms as the host arranges and watches them: each with its name (`Rename`), topic and
//! people. People move by dragging them onto a room or, from the keyboard, by choosing a room in
//! `Room for {name}`. While rooms run, each shows who is inside, its time left, and `Join` for
//! the host to hop in.

use super::logic;
use crate::app::{tr, use_texts};
use crate::features::fields::field;
use crate::features::meeting::room_select;
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::ids::{ParticipantId, RoomId};
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{RoomStatus, RoomView};
use plenary_shared::meeting::view::MeetingView;
use plenary_shared::time::Timestamp;

/// Everyone a room lists: while running, the people inside; before, the people assigned.
fn members(m: &MeetingView, room: Option<RoomId>) -> Vec<(ParticipantId, String)> {
    let running = m.phase().is_running();
    m.participants
        .iter()
        .filter(|p| {
            if running {
                p.place.room() == room
            } else {
                p.assigned == room && p.role.is_assignable()
            }
        })
        .map(|p| (p.id, p.name.clone()))
        .collect()
}

/// The rooms, and (before opening) the people not yet in any.
pub fn rooms(store: Store, outbox: Outbox, now: ReadSignal<Timestamp>) -> impl IntoView {
    let t = use_texts();
    let running = move || store.meeting.with(|m| m.phase().is_running());
    let conflicts = move || {
        store.plan_conflicts.with(|c| {
            store.meeting.with(|m| {
                c.iter()
                    .map(|(key, people)| {
                        let names: Vec<String> = people
                            .iter()
                            .filter_map(|p| m.participant(*p).map(|p| p.name.clone()))
                            .collect();
                        format!("«{key}»: {}", names.join(", "))
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    view! {
        <Show when=move || !conflicts().is_empty()>
            <div class="conflicts" role="status">
                <p>{tr(|t| t.plan_conflict)}</p>
                <ul>{move || conflicts().into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            </div>
        </Show>
        <p class="muted">{tr(|t| t.drag_hint)}</p>
        <ul class="rooms">
            <For
                each=move || store.meeting.with(|m| m.rooms.clone())
                key=|r| (r.id, r.name.clone(), r.topic.clone())
                let:room
            >
                {room_card(store, outbox, room, now)}
            </For>
        </ul>
        <Show when=move || !running()>
            <button class="secondary" on:click=move |_| outbox.send(Command::AddRoom { name: None })>
                {tr(|t| t.add_room)}
            </button>
        </Show>
        {people_list(
            store,
            outbox,
            None,
            move || if running() { t().main_session } else { t().unassigned }.to_owned(),
        )}
    }
}

fn room_card(
    store: Store,
    outbox: Outbox,
    room: RoomView,
    now: ReadSignal<Timestamp>,
) -> impl IntoView {
    let t = use_texts();
    let id = room.id;
    let name = room.name.clone();
    let renaming = RwSignal::new(false);
    let draft = RwSignal::new(room.name.clone());
    let topic = RwSignal::new(room.topic.clone());
    let status = move || store.meeting.with(|m| m.room(id).map(|r| r.status));
    let running = move || !matches!(status(), Some(RoomStatus::Idle) | None);
    let time_left = move || {
        let ms = store.meeting.with(|m| m.time_left(id, now.get()))?;
        let label = match status() {
            Some(RoomStatus::Closing { .. }) => t().closing_in,
            _ => t().time_left,
        };
        Some(format!("{label} {}", logic::clock(ms)))
    };
    let save_name = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        outbox.send(Command::RenameRoom {
            room: id,
            name: draft.get_untracked(),
        });
        renaming.set(false);
    };
    let rename_label = format!("{} {name}", t().rename);
    let join_label = format!("{} {name}", t().join);
    let topic_label = format!("{} {name}", t().topic);
    let delete_label = format!("{} {name}", t().delete_room);
    let list_name = name.clone();
    view! {
        <li
            class="room"
            on:dragover=|ev| ev.prevent_default()
            on:drop=move |ev| {
                ev.prevent_default();
                let who = ev
                    .data_transfer()
                    .and_then(|d| d.get_data("text/plain").ok())
                    .and_then(|s| s.parse::<u32>().ok());
                if let Some(who) = who {
                    outbox.send(store.meeting.with_untracked(|m| {
                        logic::place_command(m, ParticipantId(who), Some(id))
                    }));
                }
            }
        >
            <div class="room-head">
                <h3>{name.clone()}</h3>
                <span class="muted">{time_left}</span>
                <Show when=move || !renaming.get()>
                    <button class="small" aria-label=rename_label.clone() on:click=move |_| renaming.set(true)>
                        {tr(|t| t.rename)}
                    </button>
                </Show>
                <Show when=running>
                    <button
                        class="small"
                        aria-label=join_label.clone()
                        on:click=move |_| outbox.send(Command::JoinRoom { room: id })
                    >
                        {tr(|t| t.join)}
                    </button>
                </Show>
                <Show when=move || !running()>
                    <button
                        class="small secondary"
                        aria-label=delete_label.clone()
                        on:click=move |_| outbox.send(Command::DeleteRoom { room: id })
                    >
                        {tr(|t| t.delete_room)}
                    </button>
                </Show>
            </div>
            <Show when=move || renaming.get()>
                <form class="row" on:submit=save_name>
                    {field(|t| t.new_name, "text", draft, Some(64))}
                    <button type="submit">{tr(|t| t.save)}</button>
                    <button type="button" class="secondary" on:click=move |_| renaming.set(false)>
                        {tr(|t| t.cancel)}
                    </button>
                </form>
            </Show>
            <label class="topic">
                {tr(|t| t.topic)}
                <input
                    type="text"
                    maxlength="500"
                    aria-label=topic_label
                    prop:value=move || topic.get()
                    on:input=move |ev| topic.set(event_target_value(&ev))
                    on:change=move |_| outbox.send(Command::SetTopic { room: id, topic: topic.get_untracked() })
                />
            </label>
            {people_list(store, outbox, Some(id), move || list_name.clone())}
        </li>
    }
}

/// The people of one room (or, with `room` `None`, those in no room): draggable, each with the
/// keyboard alternative `Room for {name}`.
fn people_list(
    store: Store,
    outbox: Outbox,
    room: Option<RoomId>,
    label: impl Fn() -> String + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let visible = move || room.is_some() || store.meeting.with(|m| !members(m, None).is_empty());
    view! {
        <Show when=visible>
            {
                let label = label.clone();
                let heading = label.clone();
                view! {
                    {room.is_none().then(|| view! { <h3>{heading.clone()}</h3> })}
                    <ul class="members" aria-label=label.clone()>
                        <For
                            each=move || store.meeting.with(|m| members(m, room))
                            key=|(id, name)| (*id, name.clone())
                            let:member
                        >
                            <li
                                draggable="true"
                                on:dragstart=move |ev| {
                                    if let Some(d) = ev.data_transfer() {
                                        let _ = d.set_data("text/plain", &member.0.0.to_string());
                                    }
                                }
                            >
                                <span class="name">{member.1.clone()}</span>
                                {room_select(store, outbox, member.0, member.1.clone())}
                            </li>
                        </For>
                    </ul>
                }
            }
        </Show>
    }
}
