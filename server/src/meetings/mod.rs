//! The live meetings: a registry that maps ids to actor handles, and one actor task per meeting
//! (`actor.rs`) that alone owns that meeting's state. The registry's lock only guards the map of
//! handles; meeting state is never touched outside its actor.

mod actor;

pub use actor::{ActorMsg, Connection, MeetingHandle, encode};

use crate::secrets::{self, RandomnessError};
use plenary_shared::ids::{HostSecret, MeetingId};
use plenary_shared::meeting::Meeting;
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
}

/// Map of live meetings. Cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    meetings: Arc<Mutex<HashMap<MeetingId, MeetingHandle>>>,
}

impl Registry {
    /// Creates a meeting, starts its actor, and returns its id and host capability.
    pub fn create(&self) -> Result<(MeetingId, HostSecret), CreateError> {
        let secret = secrets::host_secret()?;
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
        let meeting = Meeting::new(secret.clone(), secrets::seed()?);
        let handle = actor::spawn(id.clone(), meeting);
        map.insert(id.clone(), handle);
        Ok((id, secret))
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
