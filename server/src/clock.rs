//! The server's clock, injectable so tests can move time on instead of waiting for it. Meeting
//! actors read `now` from here and wake when either real time reaches a deadline or a manual clock
//! is advanced.

use plenary_shared::time::Timestamp;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// Where `now` comes from.
#[derive(Clone, Default)]
pub enum Clock {
    /// Wall-clock time.
    #[default]
    System,
    /// Time that moves only when told (tests).
    Manual(Arc<ManualClock>),
}

/// A clock a test sets by hand.
pub struct ManualClock {
    now: AtomicU64,
    changed: watch::Sender<u64>,
}

impl ManualClock {
    /// A manual clock starting at `start`.
    pub fn new(start: Timestamp) -> Arc<ManualClock> {
        Arc::new(ManualClock {
            now: AtomicU64::new(start.0),
            changed: watch::Sender::new(start.0),
        })
    }

    /// Moves time on by `ms` and wakes every actor.
    pub fn advance_ms(&self, ms: u64) {
        let now = self.now.fetch_add(ms, Ordering::SeqCst) + ms;
        self.changed.send_replace(now);
    }
}

impl Clock {
    /// The current time.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => {
                let ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                Timestamp(u64::try_from(ms).unwrap_or(u64::MAX))
            }
            Clock::Manual(m) => Timestamp(m.now.load(Ordering::SeqCst)),
        }
    }

    /// A receiver that changes whenever a manual clock is advanced (never, for the system clock).
    pub fn subscribe(&self) -> Option<watch::Receiver<u64>> {
        match self {
            Clock::System => None,
            Clock::Manual(m) => Some(m.changed.subscribe()),
        }
    }
}
