//! The side panels beside the stage (a full-screen sheet on a phone): Participants (with the
//! invite link for hosts), Chat, the host's Breakout rooms, and Settings (the devices). One is open at a time; all stay
//! mounted while hidden, so a half-filled breakout form or chat message survives switching.
//! Escape closes the open one and gives the focus back to its toolbar button.

use super::people;
use crate::app::tr;
use crate::features::breakouts;
use crate::features::chat::chat_panel;
use crate::features::media;
use crate::media::MediaState;
use crate::net::dom;
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::time::Timestamp;

/// Which side panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Participants,
    Chat,
    Breakouts,
    Settings,
}

impl Panel {
    /// The id of the toolbar button that opens it.
    pub fn toggle_id(self) -> &'static str {
        match self {
            Panel::Participants => "toggle-participants",
            Panel::Chat => "toggle-chat",
            Panel::Breakouts => "toggle-breakouts",
            Panel::Settings => "toggle-settings",
        }
    }
}

/// The side panel, showing whichever of `panel` is open (none: it is not there).
pub fn side_panel(
    store: Store,
    media: MediaState,
    outbox: Outbox,
    now: ReadSignal<Timestamp>,
    panel: RwSignal<Option<Panel>>,
    invite: impl Fn() -> String + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let close = move || {
        if let Some(open) = panel.get_untracked() {
            panel.set(None);
            dom::focus(open.toggle_id());
        }
    };
    // Opening a panel takes the keyboard there (a person who pressed its button, or its
    // shortcut, goes on inside it).
    Effect::new(move |was: Option<Option<Panel>>| {
        let open = panel.get();
        if open.is_some() && was.flatten() != open {
            dom::focus("side-panel-close");
        }
        open
    });
    let hidden = move |which: Panel| move || panel.get() != Some(which);
    let label = move || match panel.get() {
        Some(Panel::Participants) => tr(|t| t.participants).get(),
        Some(Panel::Chat) => tr(|t| t.chat).get(),
        Some(Panel::Breakouts) => tr(|t| t.breakout_rooms).get(),
        Some(Panel::Settings) => tr(|t| t.settings).get(),
        None => "",
    };
    view! {
        <aside
            id="side-panel"
            class="side-panel"
            class:wide=move || panel.get() == Some(Panel::Breakouts)
            hidden=move || panel.get().is_none()
            aria-label=label
            on:keydown=move |e| {
                if e.key() == "Escape" {
                    e.prevent_default();
                    close();
                }
            }
        >
            <div class="panel-head">
                <button id="side-panel-close" class="secondary small" on:click=move |_| close()>{tr(|t| t.close_panel)}</button>
            </div>
            <div hidden=hidden(Panel::Participants)>
                {people::participants(store, outbox)}
                <Show when=move || store.am_hosting()>
                    <section class="card invite">
                        <label>
                            {tr(|t| t.invite_link)}
                            <input type="text" readonly prop:value=invite.clone() />
                        </label>
                        <p class="muted">{tr(|t| t.invite_hint)}</p>
                    </section>
                </Show>
            </div>
            <div hidden=hidden(Panel::Chat)>{chat_panel(store, outbox)}</div>
            // Mounted only while open: its level meter listens to the microphone.
            <Show when=move || panel.get() == Some(Panel::Settings)>
                <section class="card settings">
                    <h2>{tr(|t| t.settings)}</h2>
                    {media::device_pickers(media)}
                </section>
            </Show>
            <Show when=move || store.am_hosting()>
                <div hidden=hidden(Panel::Breakouts)>{breakouts::host_panel(store, outbox, now)}</div>
            </Show>
        </aside>
    }
}
