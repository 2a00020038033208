//! Time as plain data. The engine never reads a clock: every call that can depend on time is given
//! `now`, and deadlines are absolute, so every screen and a restarted server agree on them.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as measured by the caller's clock.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The instant `ms` milliseconds later (saturating).
    pub fn plus_ms(self, ms: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// The instant `secs` seconds later (saturating).
    pub fn plus_secs(self, secs: u64) -> Timestamp {
        self.plus_ms(secs.saturating_mul(1000))
    }

    /// Milliseconds from `self` until `later`, zero if `later` has passed.
    pub fn ms_until(self, later: Timestamp) -> u64 {
        later.0.saturating_sub(self.0)
    }
}
