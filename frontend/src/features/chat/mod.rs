//! Chat for the place one is in (the main session or a breakout room): the conversation so far,
//! and a field to add to it. Text is rendered as text, never as HTML.

use crate::app::tr;
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::prelude::*;
use plenary_shared::meeting::command::Command;

/// The chat panel.
pub fn chat_panel(store: Store, outbox: Outbox) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        outbox.send(Command::SendChat { text });
        draft.set(String::new());
    };
    view! {
        <section class="card chat">
            <h2>{tr(|t| t.chat)}</h2>
            <ol class="chat-log" aria-label=tr(|t| t.chat) aria-live="polite">
                <For
                    each=move || store.meeting.with(|m| m.chat.clone())
                    key=|m| (m.at, m.from, m.text.clone())
                    let:message
                >
                    <li>
                        <span class="chat-name">{message.name.clone()}</span>
                        ": "
                        <span class="chat-text">{message.text.clone()}</span>
                    </li>
                </For>
            </ol>
            <form class="chat-form" on:submit=submit>
                <input
                    type="text"
                    maxlength="1000"
                    aria-label=tr(|t| t.chat_message)
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                />
                <button type="submit">{tr(|t| t.send)}</button>
            </form>
        </section>
    }
}
