//! The live meetings: a registry that maps ids to actor handles, and one actor task per meeting
//! (`actor.rs`, reaching its people through `delivery.rs`, writing through `persist.rs`) that
//! alone owns that meeting's state. The registry's lock only guards the map of handles; meeting
//! state is never touched outside its actor. An actor that ends for good (its meeting expired or
//! was deleted) takes itself out of the map.

mod actor;
mod delivery;
mod lifecycle;
mod persist;

pub use actor::{ActorContext, ActorMsg, Departure, HostReadout, MeetingHandle};
pub use delivery::{Close, ConnId, Connection, encode};

use crate::secrets::{self, RandomnessError};
use actor::Restored;
use plenary_shared::ids::{HostSecret, MeetingId};
use plenary_shared::meeting::Meeting;
use plenary_shared::meeting::chat::{CHAT_HISTORY, ChatMessage};
use plenary_shared::meeting::command::CommandError;
use plenary_shared::meeting::rooms::Place;
use plenary_shared::time::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use thiserror::Error;

/// Why a meeting could not be created.
#[derive(Debug, Error)]
pub enum CreateError {
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    #[error("this server already holds {max} meetings")]
    Full { max: usize },
    #[error(transparent)]
    Rejected(#[from] CommandError),
}

/// Everything a join asks with.
#[derive(Debug)]
pub struct JoinRequest {
    pub name: String,
    pub email: Option<String>,
    pub credential: plenary_shared::meeting::Credential,
    pub passcode: Option<String>,
    /// The client's address (or network), for the passcode throttle.
    pub from: std::net::IpAddr,
    /// Who a `Credential::Launch` is, from its checked ticket.
    pub launched: Option<plenary_shared::lms::Launched>,
}

type Map = Mutex<HashMap<MeetingId, MeetingHandle>>;

/// Map of live meetings. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    meetings: Arc<Map>,
    ctx: Arc<ActorContext>,
    max_meetings: usize,
}

/// Takes `id` out of the map when its actor stops for good.
fn farewell(map: Weak<Map>, id: MeetingId) -> actor::Farewell {
    Box::new(move || {
        if let Some(map) = map.upgrade() {
            map.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
    })
}

impl Registry {
    /// An empty registry whose actors share `ctx`, holding at most `max_meetings`.
    pub fn new(ctx: ActorContext, max_meetings: usize) -> Self {
        Registry {
            meetings: Arc::default(),
            ctx: Arc::new(ctx),
            max_meetings,
        }
    }

    /// The clock every meeting runs on.
    pub fn clock(&self) -> &crate::clock::Clock {
        &self.ctx.clock
    }

    /// Creates a meeting, starts its actor, and returns its id and host capability.
    pub fn create(&self) -> Result<(MeetingId, HostSecret), CreateError> {
        self.create_prepared(|_, _, _| Ok(()))
    }

    /// Creates a meeting and lets `prepare` set it up (settings, plan) with its host secret
    /// before anyone can reach it; if `prepare` refuses, nothing is created.
    pub fn create_prepared(
        &self,
        prepare: impl FnOnce(&mut Meeting, &HostSecret, Timestamp) -> Result<(), CommandError>,
    ) -> Result<(MeetingId, HostSecret), CreateError> {
        let secret = secrets::host_secret()?;
        let mut meeting = Meeting::new(secret.clone(), secrets::seed()?);
        prepare(&mut meeting, &secret, self.ctx.clock.now())?;
        // Nobody is present yet: there is no one to tell.
        meeting.drain_events();
        let mut map = self.meetings.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.max_meetings {
            return Err(CreateError::Full {
                max: self.max_meetings,
            });
        }
        let id = loop {
            let id = secrets::meeting_id()?;
            if !map.contains_key(&id) {
                break id;
            }
        };
        let bye = farewell(Arc::downgrade(&self.meetings), id.clone());
        let handle = actor::spawn(id.clone(), meeting, None, self.ctx.clone(), bye);
        map.insert(id.clone(), handle);
        Ok((id, secret))
    }

    /// Starts an actor for every meeting in the store, with its recent chat. Unreadable rows
    /// are reported and left alone (never deleted). Returns how many meetings came back.
    pub async fn restore(&self) -> Result<usize, crate::store::StoreError> {
        let Some(store) = &self.ctx.store else {
            return Ok(0);
        };
        let mut restored = 0;
        for record in store.load_all().await? {
            let mut meeting = match Meeting::from_json(&record.state) {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!(meeting = %record.id, error = %e, "stored meeting unreadable; skipped");
                    continue;
                }
            };
            let sessions = serde_json::from_str(&record.sessions).unwrap_or_else(|e| {
                tracing::error!(meeting = %record.id, error = %e, "stored sessions unreadable");
                Vec::new()
            });
            let (rows, chat_seq) = store.load_chat(&record.id, CHAT_HISTORY).await?;
            for row in rows {
                let place = serde_json::from_str::<Place>(&row.place);
                let line = serde_json::from_str::<ChatMessage>(&row.line);
                match (place, line) {
                    (Ok(place), Ok(message)) => meeting.restore_chat(place, message),
                    _ => {
                        tracing::error!(meeting = %record.id, seq = row.seq, "stored chat line unreadable; skipped")
                    }
                }
            }
            let restored_state = Restored {
                sessions,
                chat_seq,
                last_active: Timestamp(u64::try_from(record.updated_at).unwrap_or(0)),
            };
            let bye = farewell(Arc::downgrade(&self.meetings), record.id.clone());
            let handle = actor::spawn(
                record.id.clone(),
                meeting,
                Some(restored_state),
                self.ctx.clone(),
                bye,
            );
            self.meetings
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(record.id, handle);
            restored += 1;
        }
        Ok(restored)
    }

    /// Asks every meeting to write its newest state, and waits until all have.
    pub async fn flush_all(&self) {
        let handles: Vec<MeetingHandle> = self
            .meetings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for handle in handles {
            let (done, flushed) = tokio::sync::oneshot::channel();
            if handle.send(ActorMsg::Flush { done }).await.is_ok() {
                let _ = flushed.await;
            }
        }
    }

    /// The handle of a live meeting.
    pub fn get(&self, id: &MeetingId) -> Option<MeetingHandle> {
        let map = self.meetings.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(id).cloned()
    }

    /// How many meetings are live.
    pub fn len(&self) -> usize {
        self.meetings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no meeting is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
