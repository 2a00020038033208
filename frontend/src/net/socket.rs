//! The meeting WebSocket: sends `ClientMsg`s, feeds every `ServerMsg` into the store.

use super::{js_error, storage};
use crate::store::Store;
use leptos::prelude::{LocalStorage, SetValue, StoredValue, WithValue};
use plenary_shared::ids::MeetingId;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::event::Event;
use plenary_shared::protocol::{ClientMsg, ProtocolError, ServerMsg};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// An open connection to one meeting. Dropping it closes the socket.
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

/// The socket URL for a meeting on the page's own host.
fn url(meeting: &MeetingId) -> Result<String, String> {
    let location = web_sys::window().ok_or("no window")?.location();
    let scheme = match location.protocol().map_err(js_error)?.as_str() {
        "https:" => "wss",
        _ => "ws",
    };
    let host = location.host().map_err(js_error)?;
    Ok(format!("{scheme}://{host}/api/meetings/{meeting}/ws"))
}

impl Socket {
    /// Opens the socket and sends `first` (a join or a resume) as soon as it is open.
    pub fn connect(meeting: &MeetingId, first: &ClientMsg, store: Store) -> Result<Socket, String> {
        let meeting_id = meeting.clone();
        let ws = WebSocket::new(&url(meeting)?).map_err(js_error)?;
        let hello = serde_json::to_string(first).map_err(|e| e.to_string())?;
        let opened = ws.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            if let Err(e) = opened.send_with_str(&hello) {
                store.local_error(js_error(e));
            }
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else {
                return;
            };
            match serde_json::from_str::<ServerMsg>(&text) {
                Ok(msg) => {
                    match &msg {
                        ServerMsg::Welcome { token, .. } => {
                            storage::remember_session(&meeting_id, token)
                        }
                        ServerMsg::Error {
                            error: ProtocolError::UnknownSession,
                            ..
                        } => storage::forget_session(&meeting_id),
                        ServerMsg::Event {
                            event: Event::MeetingEnded { .. },
                        } => storage::forget_session(&meeting_id),
                        _ => {}
                    }
                    store.receive(msg);
                }
                Err(err) => store.local_error(format!("unreadable message from server: {err}")),
            }
        });
        let on_close =
            Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| store.closed(e.code()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        if matches!(first, ClientMsg::Join { .. }) {
            store.joining();
        }
        Ok(Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one message; a failure is reported through the store.
    pub fn send(&self, msg: &ClientMsg, store: Store) {
        let result = serde_json::to_string(msg)
            .map_err(|e| e.to_string())
            .and_then(|json| self.ws.send_with_str(&json).map_err(js_error));
        if let Err(e) = result {
            store.local_error(e);
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// The page's way to talk to the meeting: a copyable handle on the current socket (there is at
/// most one), so any component can send a command without owning the connection.
#[derive(Debug, Clone, Copy)]
pub struct Outbox {
    socket: StoredValue<Option<Socket>, LocalStorage>,
    store: Store,
}

impl Outbox {
    pub fn new(store: Store) -> Self {
        Outbox {
            socket: StoredValue::new_local(None),
            store,
        }
    }

    /// Replaces the connection (closing the old one first, so its close cannot reach the new
    /// session).
    pub fn connect(&self, meeting: &MeetingId, first: &ClientMsg) {
        self.socket.set_value(None);
        match Socket::connect(meeting, first, self.store) {
            Ok(s) => self.socket.set_value(Some(s)),
            Err(e) => self.store.local_error(e),
        }
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.socket.set_value(None);
    }

    /// Sends a message if connected.
    pub fn send_msg(&self, msg: &ClientMsg) {
        let store = self.store;
        self.socket.with_value(|s| {
            if let Some(s) = s {
                s.send(msg, store);
            }
        });
    }

    /// Sends a command.
    pub fn send(&self, command: Command) {
        self.send_msg(&ClientMsg::Command { command });
    }
}
