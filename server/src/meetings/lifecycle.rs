//! A meeting's life in the store and its end: staging the state for the writer (never more
//! often than `STATE_EVERY`) and each chat line as a row, when an unused meeting expires, and
//! forgetting a meeting for good (expired or deleted by its host).

use super::actor::Actor;
use super::delivery::Close;
use super::persist::STATE_EVERY;
use crate::media::MediaMap;
use crate::metrics::Metrics;
use crate::store::{ChatRow, MeetingRecord};
use plenary_shared::ids::{ParticipantId, SessionToken};
use plenary_shared::meeting::chat::ChatMessage;
use plenary_shared::meeting::rooms::Place;
use plenary_shared::time::Timestamp;
use tokio::time::Instant;

impl Actor {
    /// When this meeting is deleted for lack of use: `idle_ms` after the last activity (or its
    /// scheduled start, if later), while nobody is connected or about to come back.
    pub(super) fn expires_at(&self) -> Option<Timestamp> {
        if !self.connections.is_empty() || !self.away.is_empty() {
            return None;
        }
        let start = self.meeting.info().starts_at.unwrap_or_default();
        Some(self.last_active.max(start).plus_ms(self.ctx.idle_ms))
    }

    /// Ends this meeting's life here: nothing more is written, its rows are deleted, and the
    /// registry forgets it. The actor stops after this message.
    pub(super) async fn forget_for_good(&mut self) {
        for (_, conn) in self.connections.drain() {
            conn.close(Close::ENDED);
        }
        if let Some(p) = self.persister.take() {
            p.discard().await;
        }
        if let Some(store) = &self.ctx.store
            && let Err(e) = store.delete(&self.id).await
        {
            tracing::error!(meeting = %self.id, error = %e, "could not delete the meeting's rows");
        }
        self.dirty = false;
        self.media.update(&MediaMap::default()).await;
        if let Some(farewell) = self.farewell.take() {
            farewell();
        }
        self.stopped = true;
    }

    /// Hands the current state to the writer task (it writes it when it can; the actor never
    /// waits), and not again for `STATE_EVERY`.
    pub(super) fn stage(&mut self) {
        self.dirty = false;
        self.next_stage = Instant::now() + STATE_EVERY;
        let Some(persister) = &self.persister else {
            return;
        };
        let state = match self.meeting.to_json() {
            Ok(json) => json,
            Err(e) => {
                tracing::error!(meeting = %self.id, error = %e, "cannot serialise meeting");
                return;
            }
        };
        let sessions: Vec<(&SessionToken, &ParticipantId)> =
            self.token_of.iter().map(|(p, t)| (t, p)).collect();
        let sessions = serde_json::to_string(&sessions).unwrap_or_else(|_| "[]".into());
        let updated_at = i64::try_from(self.last_active.0).unwrap_or(i64::MAX);
        persister.state(MeetingRecord {
            id: self.id.clone(),
            state,
            sessions,
            updated_at,
        });
    }

    /// Stages one chat line as a row of its own.
    pub(super) fn store_chat(&mut self, place: Place, message: &ChatMessage) {
        let Some(persister) = &self.persister else {
            return;
        };
        self.chat_seq += 1;
        let (Ok(place), Ok(line)) = (
            serde_json::to_string(&place),
            serde_json::to_string(message),
        ) else {
            tracing::error!(meeting = %self.id, "cannot serialise a chat line");
            return;
        };
        persister.chat(ChatRow {
            seq: self.chat_seq,
            place,
            line,
        });
    }

    pub(super) fn update_gauges(&mut self) {
        let people = i64::try_from(self.meeting.participant_count()).unwrap_or(i64::MAX);
        let rooms = i64::try_from(self.meeting.room_count()).unwrap_or(i64::MAX);
        self.counted_to(people, rooms);
    }

    pub(super) fn counted_to(&mut self, people: i64, rooms: i64) {
        Metrics::shift(&self.ctx.metrics.participants, people - self.counted.0);
        Metrics::shift(&self.ctx.metrics.rooms, rooms - self.counted.1);
        self.counted = (people, rooms);
    }
}
