//! Chat: each place (the main session and every room) has its own conversation. A message reaches
//! only the people in that place; whoever enters a place (a participant moved in, a host hopping
//! in, everyone coming back to the main session) receives its recent history.

use super::Meeting;
use super::command::CommandError;
use super::event::{Audience, Event};
use super::rooms::Place;
use crate::ids::ParticipantId;
use crate::names::clean_message;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 1000;
/// Messages kept (and sent on entering) per place.
pub const CHAT_HISTORY: usize = 100;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub from: ParticipantId,
    /// The sender's name when sent, so history stays readable after they leave.
    pub name: String,
    pub text: String,
    pub at: Timestamp,
}

impl Meeting {
    pub(super) fn send_chat(
        &mut self,
        from: ParticipantId,
        raw: &str,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let text = clean_message(raw, MAX_CHAT_CHARS)
            .map_err(|problem| CommandError::InvalidText { problem })?;
        let (place, name) = match self.participants.get(&from) {
            Some(p) => (p.place, p.name.clone()),
            None => return Err(CommandError::NotInMeeting),
        };
        let message = ChatMessage {
            from,
            name,
            text,
            at: now,
        };
        let log = self.chat.entry(place).or_default();
        log.push_back(message.clone());
        while log.len() > CHAT_HISTORY {
            log.pop_front();
        }
        let audience = match place {
            Place::Main => Audience::Main,
            Place::Room { room } => Audience::Room { room },
        };
        self.emit(audience, Event::ChatMessage { place, message });
        Ok(())
    }

    /// The recent conversation of a place.
    pub(super) fn chat_of(&self, place: Place) -> Vec<ChatMessage> {
        self.chat
            .get(&place)
            .map(|log| log.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Someone now sits in `place`: give them its conversation.
    pub(super) fn send_chat_history(&mut self, who: ParticipantId, place: Place) {
        let messages = self.chat_of(place);
        self.emit(
            Audience::Participant { participant: who },
            Event::ChatHistory { place, messages },
        );
    }

    /// Forgets the conversation of a room that no longer exists.
    pub(super) fn drop_chat(&mut self, place: Place) {
        self.chat.remove(&place);
    }
}

impl Meeting {
    /// Every chat line kept, place by place, oldest first (what a server stores as it comes).
    pub fn chat_lines(&self) -> Vec<(Place, ChatMessage)> {
        self.chat
            .iter()
            .flat_map(|(place, log)| log.iter().map(|m| (*place, m.clone())))
            .collect()
    }

    /// Brings back one chat line of `place` from storage (oldest first), keeping the newest
    /// `CHAT_HISTORY` of each place that still exists.
    pub fn restore_chat(&mut self, place: Place, message: ChatMessage) {
        if let Place::Room { room } = place
            && !self.rooms.contains_key(&room)
        {
            return;
        }
        let log = self.chat.entry(place).or_default();
        log.push_back(message);
        while log.len() > CHAT_HISTORY {
            log.pop_front();
        }
    }
}

/// The per-place logs, as stored in the meeting.
pub(super) type ChatLogs = std::collections::BTreeMap<Place, VecDeque<ChatMessage>>;
