//! What must reach people wherever they look, over the top of the stage (`role="alert"`): the
//! lost connection, a refused command, the host's broadcast, the closing countdown, time up, and
//! for hosts the newest open request for help (with a way to the breakout panel).

use super::panels::Panel;
use crate::app::use_texts;
use crate::features::breakouts;
use crate::store::{Phase, Store};
use leptos::prelude::*;
use plenary_shared::time::Timestamp;

pub fn toasts(
    store: Store,
    now: ReadSignal<Timestamp>,
    panel: RwSignal<Option<Panel>>,
) -> impl IntoView {
    let t = use_texts();
    let lang = crate::app::use_lang();
    let help = move || {
        if !store.am_hosting() {
            return None;
        }
        store.meeting.with(|m| {
            let open: Vec<_> = m.help.iter().filter(|h| h.resolved_by.is_none()).collect();
            let newest = open.last()?;
            let who = m.participant(newest.from)?.name.clone();
            let room = m.room(newest.room)?.name.clone();
            Some((who, room, open.len()))
        })
    };
    view! {
        <div class="toasts">
            {move || {
                (store.phase.get() == Phase::Lost)
                    .then(|| view! { <div class="reconnecting" role="status">{t().reconnecting}</div> })
            }}
            {move || {
                store
                    .error
                    .get()
                    .map(|p| view! { <p class="error toast" role="alert">{p.describe(lang())}</p> })
            }}
            {breakouts::alerts(store, now)}
            {move || {
                help()
                    .map(|(who, room, count)| {
                        let more = (count > 1).then(|| format!(" (+{})", count - 1));
                        view! {
                            <div class="toast help-toast" role="alert">
                                <span class="grow">{format!("{who} {} {room}", t().asks_for_help_in)}{more}</span>
                                <button class="small" on:click=move |_| panel.set(Some(Panel::Breakouts))>
                                    {t().show}
                                </button>
                            </div>
                        }
                    })
            }}
        </div>
    }
}
