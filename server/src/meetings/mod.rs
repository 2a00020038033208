//! The live meetings: a registry that maps ids to actor handles, and one actor task per meeting
//! (`actor.rs`) that alone owns that meeting's state. The registry's lock only guards the map of
//! handles; meeting state is never touched outside its actor.

mod actor;
mod persist;

pub use actor::{ActorContext, ActorMsg, ConnId, Connection, HostReadout, MeetingHandle, encode};

use crate::secrets::{self, RandomnessError};
use plenary_shared::ids::{HostSecret, MeetingId};
use plenary_shared::meeting::Meeting;
use plenary_shared::meeting::command::CommandError;
use plenary_shared::time::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use thiserror::Error;

/// Most meetings one server holds at once.
pub const MAX_MEETINGS: usize = 10_000;

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

/// Map of live meetings. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    meetings: Arc<Mutex<HashMap<MeetingId, MeetingHandle>>>,
    ctx: Arc<ActorContext>,
}

impl Registry {
    /// An empty registry whose actors share `ctx`.
    pub fn new(ctx: ActorContext) -> Self {
        Registry {
            meetings: Arc::default(),
            ctx: Arc::new(ctx),
        }
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
        if map.len() >= MAX_MEETINGS {
            return Err(CreateError::Full { max: MAX_MEETINGS });
        }
        let id = loop {
            let id = secrets::meeting_id()?;
            if !map.contains_key(&id) {
                break id;
            }
        };
        let handle = actor::spawn(id.clone(), meeting, self.ctx.clone());
        map.insert(id.clone(), handle);
        Ok((id, secret))
    }

    /// Starts an actor for every meeting in the store. Unreadable rows are reported and left
    /// alone (never deleted). Returns how many meetings came back.
    pub async fn restore(&self) -> Result<usize, crate::store::StoreError> {
        let Some(store) = &self.ctx.store else {
            return Ok(0);
        };
        let mut restored = 0;
        for record in store.load_all().await? {
            let meeting = match Meeting::from_json(&record.state) {
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
            let handle =
                actor::spawn_restored(record.id.clone(), meeting, sessions, self.ctx.clone());
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
