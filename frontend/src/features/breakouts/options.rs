//! The six options of a breakout session, as the seed manual names them. Each change is sent at
//! once; what the boxes show is what the server holds.

use crate::app::tr;
use crate::i18n::Texts;
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BreakoutOptions, MAX_COUNTDOWN_SECONDS, MAX_MINUTES};

/// Sends the options as they stand with one change, if the result is valid.
fn change(store: Store, outbox: Outbox, f: impl FnOnce(&mut BreakoutOptions)) {
    let mut options = store.meeting.with_untracked(|m| m.options);
    f(&mut options);
    if options.is_valid() {
        outbox.send(Command::SetOptions { options });
    }
}

/// One on/off option.
fn checkbox(
    store: Store,
    outbox: Outbox,
    label: fn(&Texts) -> &'static str,
    get: fn(&BreakoutOptions) -> bool,
    set: fn(&mut BreakoutOptions, bool),
) -> impl IntoView {
    view! {
        <label class="check">
            <input
                type="checkbox"
                prop:checked=move || store.meeting.with(|m| get(&m.options))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    change(store, outbox, |o| set(o, on));
                }
            />
            {tr(label)}
        </label>
    }
}

/// An option that is off, or on with a number (minutes, seconds).
#[derive(Clone, Copy)]
struct Timed {
    label: fn(&Texts) -> &'static str,
    unit: fn(&Texts) -> &'static str,
    slot: fn(&mut BreakoutOptions) -> &mut Option<u32>,
    default: u32,
    min: u32,
    max: u32,
}

fn timed(store: Store, outbox: Outbox, spec: Timed) -> impl IntoView {
    let value = move || {
        let mut options = store.meeting.with(|m| m.options);
        *(spec.slot)(&mut options)
    };
    view! {
        <div class="inline">
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || value().is_some()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        change(
                            store,
                            outbox,
                            |o| {
                                let slot = (spec.slot)(o);
                                *slot = on.then_some(slot.unwrap_or(spec.default));
                            },
                        );
                    }
                />
                {tr(spec.label)}
            </label>
            <label>
                {tr(spec.unit)}
                <input
                    type="number"
                    min=spec.min.to_string()
                    max=spec.max.to_string()
                    prop:value=move || value().unwrap_or(spec.default).to_string()
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).trim().parse::<u32>() {
                            change(store, outbox, |o| *(spec.slot)(o) = Some(n));
                        }
                    }
                />
            </label>
        </div>
    }
}

/// The options block.
pub fn options(store: Store, outbox: Outbox) -> impl IntoView {
    view! {
        <fieldset class="options">
            <legend>{tr(|t| t.options)}</legend>
            {checkbox(store, outbox, |t| t.opt_move_auto, |o| o.move_automatically, |o, v| o.move_automatically = v)}
            {checkbox(store, outbox, |t| t.opt_choose, |o| o.allow_choose, |o, v| o.allow_choose = v)}
            {checkbox(store, outbox, |t| t.opt_return, |o| o.allow_return, |o, v| o.allow_return = v)}
            {timed(
                store,
                outbox,
                Timed {
                    label: |t| t.opt_auto_close,
                    unit: |t| t.minutes,
                    slot: |o| &mut o.auto_close_minutes,
                    default: 30,
                    min: 1,
                    max: MAX_MINUTES,
                },
            )}
            {checkbox(store, outbox, |t| t.opt_notify, |o| o.notify_when_time_up, |o, v| o.notify_when_time_up = v)}
            {timed(
                store,
                outbox,
                Timed {
                    label: |t| t.opt_countdown,
                    unit: |t| t.countdown_seconds,
                    slot: |o| &mut o.countdown_seconds,
                    default: 60,
                    min: 0,
                    max: MAX_COUNTDOWN_SECONDS,
                },
            )}
        </fieldset>
    }
}
