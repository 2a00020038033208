//! The six options of a breakout session, as the seed manual names them. Each change is sent at
//! once; what the boxes show is what the server holds.

use crate::app::{tr, use_texts};
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BreakoutOptions, MAX_COUNTDOWN_SECONDS, MAX_MINUTES};

/// The options block.
pub fn options(store: Store, outbox: Outbox) -> impl IntoView {
    let t = use_texts();
    let current = move || store.meeting.with(|m| m.options);
    let change = move |f: &dyn Fn(&mut BreakoutOptions)| {
        let mut options = store.meeting.with_untracked(|m| m.options);
        f(&mut options);
        if options.is_valid() {
            outbox.send(Command::SetOptions { options });
        }
    };
    let checkbox = move |label: fn(&crate::i18n::Texts) -> &'static str,
                         get: fn(&BreakoutOptions) -> bool,
                         set: fn(&mut BreakoutOptions, bool)| {
        view! {
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || get(&current())
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        change(&|o| set(o, on));
                    }
                />
                {move || label(t())}
            </label>
        }
    };
    let minutes = move || current().auto_close_minutes.unwrap_or(30).to_string();
    let seconds = move || current().countdown_seconds.unwrap_or(60).to_string();
    view! {
        <fieldset class="options">
            <legend>{tr(|t| t.options)}</legend>
            {checkbox(|t| t.opt_move_auto, |o| o.move_automatically, |o, v| o.move_automatically = v)}
            {checkbox(|t| t.opt_choose, |o| o.allow_choose, |o, v| o.allow_choose = v)}
            {checkbox(|t| t.opt_return, |o| o.allow_return, |o, v| o.allow_return = v)}
            <div class="inline">
                {checkbox(
                    |t| t.opt_auto_close,
                    |o| o.auto_close_minutes.is_some(),
                    |o, v| o.auto_close_minutes = v.then_some(o.auto_close_minutes.unwrap_or(30)),
                )}
                <label>
                    {tr(|t| t.minutes)}
                    <input
                        type="number"
                        min="1"
                        max=MAX_MINUTES.to_string()
                        prop:value=minutes
                        on:change=move |ev| {
                            if let Ok(m) = event_target_value(&ev).trim().parse::<u32>() {
                                change(&|o| o.auto_close_minutes = Some(m));
                            }
                        }
                    />
                </label>
            </div>
            {checkbox(|t| t.opt_notify, |o| o.notify_when_time_up, |o, v| o.notify_when_time_up = v)}
            <div class="inline">
                {checkbox(
                    |t| t.opt_countdown,
                    |o| o.countdown_seconds.is_some(),
                    |o, v| o.countdown_seconds = v.then_some(o.countdown_seconds.unwrap_or(60)),
                )}
                <label>
                    {tr(|t| t.countdown_seconds)}
                    <input
                        type="number"
                        min="0"
                        max=MAX_COUNTDOWN_SECONDS.to_string()
                        prop:value=seconds
                        on:change=move |ev| {
                            if let Ok(s) = event_target_value(&ev).trim().parse::<u32>() {
                                change(&|o| o.countdown_seconds = Some(s));
                            }
                        }
                    />
                </label>
            </div>
        </fieldset>
    }
}
