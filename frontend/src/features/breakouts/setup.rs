//! Creating rooms: how many (or how big), how people get into them, with a live preview of the
//! automatic split, and `Create rooms`.

use super::logic;
use crate::app::{tr, use_texts};
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::meeting::assign;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{MAX_ROOMS, RoomCount, Strategy};

/// The setup form. `redo` is cleared once rooms are (re)created or the host cancels.
pub fn setup(store: Store, outbox: Outbox, redo: RwSignal<bool>) -> impl IntoView {
    let t = use_texts();
    let count = RwSignal::new(String::from("2"));
    let group = RwSignal::new(String::new());
    let strategy = RwSignal::new(Strategy::Automatically);
    let max = u32::try_from(MAX_ROOMS).unwrap_or(100);
    let chosen = move || -> Option<RoomCount> {
        match logic::parse_count(&group.get(), 1..=1000) {
            Some(size) => Some(RoomCount::GroupsOf { size }),
            None if group.get().trim().is_empty() => {
                logic::parse_count(&count.get(), 1..=max).map(|count| RoomCount::Rooms { count })
            }
            None => None,
        }
    };
    let preview = move || {
        let people = store.meeting.with(logic::placeable);
        let rooms = match chosen()? {
            RoomCount::Rooms { count } => count as usize,
            RoomCount::GroupsOf { size } => assign::rooms_for_groups(people, size as usize),
        };
        let sizes = assign::even_sizes(people, rooms);
        Some(format!(
            "{}: {}",
            t().people_per_room,
            logic::describe_sizes(&sizes, t().or_word)
        ))
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(count) = chosen() {
            outbox.send(Command::CreateRooms {
                count,
                strategy: strategy.get_untracked(),
            });
            redo.set(false);
        }
    };
    let radio = move |value: Strategy, label: fn(&crate::i18n::Texts) -> &'static str| {
        view! {
            <label class="radio">
                <input
                    type="radio"
                    name="strategy"
                    prop:checked=move || strategy.get() == value
                    on:change=move |_| strategy.set(value)
                />
                {move || label(t())}
            </label>
        }
    };
    view! {
        <form class="setup" on:submit=create>
            <label>
                {tr(|t| t.number_of_rooms)}
                <input
                    type="number"
                    min="1"
                    max=max.to_string()
                    prop:value=move || count.get()
                    on:input=move |ev| count.set(event_target_value(&ev))
                />
            </label>
            <label>
                {tr(|t| t.group_size)}
                <input
                    type="number"
                    min="1"
                    prop:value=move || group.get()
                    on:input=move |ev| group.set(event_target_value(&ev))
                />
            </label>
            <fieldset>
                {radio(Strategy::Automatically, |t| t.assign_automatically)}
                {radio(Strategy::Manually, |t| t.assign_manually)}
                {radio(Strategy::ParticipantsChoose, |t| t.let_choose)}
            </fieldset>
            <Show when=move || strategy.get() == Strategy::Automatically>
                <p class="muted" aria-live="polite">{preview}</p>
            </Show>
            {super::course::course_buttons(
                outbox,
                Signal::derive(move || logic::parse_count(&count.get(), 1..=max).map(|n| n as usize)),
            )}
            <div class="row">
                <button type="submit" disabled=move || chosen().is_none()>
                    {tr(|t| t.create_rooms)}
                </button>
                <Show when=move || redo.get()>
                    <button type="button" class="secondary" on:click=move |_| redo.set(false)>
                        {tr(|t| t.cancel)}
                    </button>
                </Show>
            </div>
        </form>
    }
}
