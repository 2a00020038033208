//! The toolbar at the bottom of the meeting: the media buttons, the panel toggles, leaving (and
//! for the host ending the meeting), and the keyboard shortcuts with their help dialog. Every
//! button keeps its accessible name in words; a shortcut clicks the button that carries it
//! (`aria-keyshortcuts`), so a shortcut can do nothing its button could not.

use super::panels::Panel;
use crate::app::{tr, use_texts};
use crate::features::icons::{self, icon};
use crate::features::media;
use crate::media::MediaState;
use crate::net::dom;
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::html::Dialog;
use leptos::prelude::*;
use plenary_shared::meeting::Role;
use plenary_shared::meeting::command::Command;

/// One of the interface's words.
type Word = fn(&crate::i18n::Texts) -> &'static str;

/// The shortcuts, as the help dialog lists them: keys, and what they do.
const SHORTCUTS: [(&str, Word); 9] = [
    ("Alt+A", |t| t.shortcut_mute),
    ("Alt+V", |t| t.shortcut_video),
    ("Alt+S", |t| t.share_screen),
    ("Alt+Y", |t| t.shortcut_hand),
    ("Alt+U", |t| t.participants),
    ("Alt+H", |t| t.chat),
    ("Alt+B", |t| t.breakout_rooms),
    ("Alt+G", |t| t.settings),
    ("Alt+K", |t| t.keyboard_shortcuts),
];

/// The toolbar. `panel` is the side panel open now, if any.
pub fn toolbar(
    store: Store,
    media: MediaState,
    outbox: Outbox,
    panel: RwSignal<Option<Panel>>,
    leave: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let t = use_texts();
    let dialog = NodeRef::<Dialog>::new();
    let show_help = move || {
        if let Some(d) = dialog.get_untracked() {
            let _ = d.show_modal();
        }
    };
    // Alt+letter anywhere on the page clicks the control that carries it.
    let keys = window_event_listener(leptos::ev::keydown, move |e| {
        if !e.alt_key() || e.ctrl_key() || e.meta_key() {
            return;
        }
        let Some(letter) = e.code().strip_prefix("Key").map(str::to_owned) else {
            return;
        };
        if dom::click_shortcut(&format!("Alt+{letter}")) {
            e.prevent_default();
        }
    });
    on_cleanup(move || keys.remove());
    let toggle = move |which: Panel, label: Word, path, keys| {
        view! {
            <button
                id=which.toggle_id()
                aria-expanded=move || (panel.get() == Some(which)).to_string()
                aria-controls="side-panel"
                aria-keyshortcuts=keys
                title=keys
                on:click=move |_| panel.update(|p| *p = if *p == Some(which) { None } else { Some(which) })
            >
                {icon(path)}
                <span class="label">{move || label(t())}</span>
            </button>
        }
    };
    view! {
        <nav class="toolbar" aria-label=tr(|t| t.meeting_controls)>
            <div class="group">{media::controls(store, media, outbox)}</div>
            <div class="group">
                {toggle(Panel::Participants, |t| t.participants, icons::PEOPLE, "Alt+U")}
                {toggle(Panel::Chat, |t| t.chat, icons::CHAT, "Alt+H")}
                <Show when=move || store.am_hosting()>
                    {toggle(Panel::Breakouts, |t| t.breakout_rooms, icons::ROOMS, "Alt+B")}
                </Show>
                {toggle(Panel::Settings, |t| t.settings, icons::GEAR, "Alt+G")}
                <button aria-keyshortcuts="Alt+K" title="Alt+K" on:click=move |_| show_help()>
                    {icon(icons::KEYBOARD)}
                    <span class="label">{tr(|t| t.keyboard_shortcuts)}</span>
                </button>
            </div>
            <div class="group">
                <button class="danger" on:click=move |_| leave()>
                    {icon(icons::LEAVE)}
                    <span class="label">{tr(|t| t.leave_meeting)}</span>
                </button>
                <Show when=move || store.my_role() == Some(Role::Host)>
                    <button class="danger" on:click=move |_| outbox.send(Command::EndMeeting)>
                        {icon(icons::END)}
                        <span class="label">{tr(|t| t.end_meeting_for_all)}</span>
                    </button>
                </Show>
            </div>
        </nav>
        <dialog class="shortcuts" node_ref=dialog aria-labelledby="shortcuts-title">
            <h2 id="shortcuts-title">{tr(|t| t.keyboard_shortcuts)}</h2>
            <table>
                <tbody>
                    {SHORTCUTS
                        .iter()
                        .map(|(keys, what)| {
                            let what = *what;
                            view! {
                                <tr>
                                    <td><kbd>{*keys}</kbd></td>
                                    <td>{move || what(t())}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <form method="dialog">
                <button>{tr(|t| t.close)}</button>
            </form>
        </dialog>
    }
}
