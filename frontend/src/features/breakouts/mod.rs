//! Breakout rooms, both sides. Hosts and co-hosts get the `Breakout rooms` panel: set rooms up
//! (`setup`), arrange them and their people (`rooms`), choose the options (`options`), then run
//! them (`running`). Everyone gets their own place, invitations and alerts (`participant`).
//! Everything shown comes from the store; every button sends one engine command.

mod course;
mod logic;
mod options;
mod participant;
mod rooms;
mod running;
mod setup;

pub use logic::place_command;
pub use participant::{alerts, my_place};

use crate::app::tr;
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::meeting::rooms::Phase;
use plenary_shared::time::Timestamp;

/// The status bar: `Breakout rooms - In Progress` with time left, for everyone.
pub fn status_bar(store: Store, now: ReadSignal<Timestamp>) -> impl IntoView {
    running::status(store, now)
}

/// The host's `Breakout rooms` panel (the toolbar's button opens it).
pub fn host_panel(store: Store, outbox: Outbox, now: ReadSignal<Timestamp>) -> impl IntoView {
    let phase = Memo::new(move |_| store.meeting.with(|m| m.phase()));
    // Setting up again (`Recreate`) shows the setup form over existing rooms.
    let redo = RwSignal::new(false);
    view! {
        <section class="card breakouts">
            <h2>{tr(|t| t.breakout_rooms)}</h2>
                <div id="breakout-panel" role="region" aria-label=tr(|t| t.breakout_rooms)>
                    {move || match phase.get() {
                        Phase::NoRooms => setup::setup(store, outbox, redo).into_any(),
                        Phase::Planned if redo.get() => setup::setup(store, outbox, redo).into_any(),
                        Phase::Planned => {
                            view! {
                                {rooms::rooms(store, outbox, now)}
                                {course::not_here()}
                                {options::options(store, outbox)}
                                {running::saved_groups(store, outbox)}
                                <div class="row">
                                    <button on:click=move |_| outbox.send(plenary_shared::meeting::command::Command::OpenRooms)>
                                        {tr(|t| t.open_all)}
                                    </button>
                                    <button class="secondary" on:click=move |_| redo.set(true)>
                                        {tr(|t| t.recreate)}
                                    </button>
                                </div>
                            }
                                .into_any()
                        }
                        Phase::Open | Phase::Closing => {
                            view! {
                                {running::help_queue(store, outbox)}
                                {rooms::rooms(store, outbox, now)}
                                {course::not_here()}
                                {running::broadcast(store, outbox)}
                                {running::close(store, outbox)}
                            }
                                .into_any()
                        }
                    }}
                </div>
        </section>
    }
}
