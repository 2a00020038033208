//! The `Participants` list: everyone present with their role, place, mute state and raised
//! hand, raised hands first in the order they went up (as hosts answer them), and the host's
//! actions on each person (lower their hand, make or remove co-host, mute, put in a room).

use crate::app::{tr, use_texts};
use crate::features::breakouts::place_command;
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::ids::{ParticipantId, RoomId};
use plenary_shared::meeting::Role;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::hands::may_lower_hand;
use plenary_shared::meeting::permissions::may_act_on;
use plenary_shared::meeting::rooms::Place;
use plenary_shared::meeting::view::ParticipantView;

/// The list, with a heading that counts people.
pub fn participants(store: Store, outbox: Outbox) -> impl IntoView {
    let count = move || store.meeting.with(|m| m.participants.len());
    let hosting = move || store.am_hosting();
    view! {
        <section class="card">
            <h2>{tr(|t| t.participants)} " (" {count} ")"</h2>
            <Show when=hosting>
                <button class="small" on:click=move |_| outbox.send(Command::MuteAll)>
                    {tr(|t| t.mute_all)}
                </button>
            </Show>
            <ul class="participants" aria-label=tr(|t| t.participants)>
                <For
                    each=move || store.meeting.with(|m| in_turn(&m.participants))
                    key=|(p, turn)| (p.id, p.name.clone(), p.role, p.muted, p.suggested_co_host, *turn)
                    let:entry
                >
                    {person(store, outbox, entry.0, entry.1)}
                </For>
            </ul>
        </section>
    }
}

/// Raised hands first, in the order they went up (with their place in the queue, from 1), then
/// everyone else in join order.
fn in_turn(people: &[ParticipantView]) -> Vec<(ParticipantView, Option<usize>)> {
    let mut raised: Vec<&ParticipantView> = people.iter().filter(|p| p.hand.is_some()).collect();
    raised.sort_by_key(|p| p.hand);
    let queued = raised
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p.clone(), Some(i + 1)));
    let rest = people
        .iter()
        .filter(|p| p.hand.is_none())
        .map(|p| (p.clone(), None));
    queued.chain(rest).collect()
}

fn person(store: Store, outbox: Outbox, p: ParticipantView, turn: Option<usize>) -> impl IntoView {
    let t = use_texts();
    let id = p.id;
    let my_role = move || store.my_role();
    let is_me = move || store.me.get() == Some(id);
    let place_name = move || {
        store
            .meeting
            .with(|m| match m.participant(id).map(|p| p.place) {
                Some(Place::Room { room }) => m.room(room).map(|r| r.name.clone()),
                _ => None,
            })
    };
    let name = p.name.clone();
    let role = p.role;
    view! {
        <li>
            <span class="name">{p.name.clone()}</span>
            {t().role_badge(role).map(|b| view! { <span class="badge">{b}</span> })}
            {move || is_me().then(|| view! { <span class="muted">{t().you_suffix}</span> })}
            {p.muted.then(|| view! { <span class="badge muted-badge">{tr(|t| t.muted)}</span> })}
            {turn.map(|n| view! {
                <span class="badge hand-badge" title=t().hand_raised>{t().hand}" "{n}</span>
            })}
            {move || {
                let lower = turn.is_some()
                    && store
                        .me
                        .get()
                        .zip(my_role())
                        .is_some_and(|(me, role)| may_lower_hand(me, role, id));
                let name = p.name.clone();
                lower.then(|| view! {
                    <button
                        class="small"
                        aria-label=format!("{} {name}", t().lower_hand)
                        on:click=move |_| outbox.send(Command::LowerHand { participant: id })
                    >
                        {t().lower_hand}
                    </button>
                })
            }}
            {move || place_name().map(|room| view! { <span class="badge room-badge">{room}</span> })}
            {(p.suggested_co_host && role == Role::Participant)
                .then(|| view! { <span class="badge planned">{tr(|t| t.planned_co_host)}</span> })}
            {move || {
                let mine = my_role()?;
                if is_me() || !mine.is_hosting() || role == Role::Host {
                    return None;
                }
                let name = name.clone();
                Some(
                    view! {
                        <span class="actions">
                            {may_act_on(&Command::MakeCoHost { participant: id }, mine, role)
                                .then(|| {
                                    view! {
                                        <button
                                            class="small"
                                            aria-label=format!("{} {name}", t().make_co_host)
                                            on:click=move |_| outbox.send(Command::MakeCoHost { participant: id })
                                        >
                                            {t().make_co_host}
                                        </button>
                                    }
                                })}
                            {may_act_on(&Command::RemoveCoHost { participant: id }, mine, role)
                                .then(|| {
                                    view! {
                                        <button
                                            class="small"
                                            aria-label=format!("{} {name}", t().remove_co_host)
                                            on:click=move |_| outbox.send(Command::RemoveCoHost { participant: id })
                                        >
                                            {t().remove_co_host}
                                        </button>
                                    }
                                })}
                            {may_act_on(&Command::RemoveParticipant { participant: id }, mine, role)
                                .then(|| {
                                    view! {
                                        <button
                                            class="small danger"
                                            aria-label=format!("{} {name}", t().remove)
                                            on:click=move |_| outbox.send(Command::RemoveParticipant { participant: id })
                                        >
                                            {t().remove}
                                        </button>
                                    }
                                })}
                            {(!p.muted && may_act_on(&Command::Mute { participant: id }, mine, role))
                                .then(|| {
                                    view! {
                                        <button
                                            class="small"
                                            aria-label=format!("{} {name}", t().mute)
                                            on:click=move |_| outbox.send(Command::Mute { participant: id })
                                        >
                                            {t().mute}
                                        </button>
                                    }
                                })}
                            {room_select(store, outbox, id, name)}
                        </span>
                    },
                )
            }}
        </li>
    }
}

/// `Room for {name}`: while rooms are open it moves the person at once; before, it assigns them.
pub fn room_select(store: Store, outbox: Outbox, id: ParticipantId, name: String) -> impl IntoView {
    let t = use_texts();
    let label = format!("{} {name}", t().room_for);
    let rooms = move || store.meeting.with(|m| m.rooms.clone());
    let current = move || {
        store.meeting.with(|m| {
            let p = m.participant(id)?;
            if m.phase().is_running() {
                p.place.room()
            } else {
                p.assigned
            }
        })
    };
    let on_change = move |ev: leptos::ev::Event| {
        let room = event_target_value(&ev).parse::<u32>().ok().map(RoomId);
        outbox.send(store.meeting.with_untracked(|m| place_command(m, id, room)));
    };
    move || {
        let rooms = rooms();
        (!rooms.is_empty()).then(|| {
            let now = current();
            let open = store.meeting.with_untracked(|m| m.phase().is_running());
            let none_label = if open {
                t().main_session
            } else {
                t().not_assigned
            };
            view! {
                <select aria-label=label.clone() on:change=on_change>
                    <option value="" selected=now.is_none()>{none_label}</option>
                    {rooms
                        .into_iter()
                        .map(|r| {
                            view! {
                                <option value=r.id.0.to_string() selected=now == Some(r.id)>
                                    {r.name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            }
        })
    }
}
