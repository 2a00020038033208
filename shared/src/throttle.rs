//! Slowing down passcode guessing without locking out a class.
//!
//! Wrong passcodes are counted at three levels: the connection (in the server's WebSocket layer),
//! the client address, and the meeting. Each level allows some free mistakes, then makes every
//! further try wait, about twice as long each time up to a cap; mistakes are forgotten with a
//! half-life (so the doubling is a little less than exact). There is never a lockout: a guesser cannot aim a ban at a class, they can only make
//! their own tries slow.
//!
//! The meeting-wide level applies only to addresses that have given a wrong passcode in the last
//! day (`SUSPECT_FOR_MS`): a guesser spread over many addresses is held to the meeting's rate,
//! while a student whose school address has never guessed wrong gets in at once even while the
//! meeting is being guessed at.
//!
//! At the fastest rate this allows, from one address, a 6-digit passcode (10^6 codes) takes
//! `10^6 × 60 s` ≈ 694 days to exhaust; from many addresses the meeting level holds it to one try
//! in 40 s (463 days), plus one try per address that rested a whole day (so about 580 fresh
//! addresses a day would bring it under a year; the README says so). Pure: time is passed in.
//! The unit tests check these figures by simulating the fastest guesser.
//!
//! Hand-written rather than a rate-limit crate (`governor` is used for meeting creation): GCRA
//! gives a fixed rate, not delays that grow with mistakes and fade with time.

use crate::time::Timestamp;
use std::collections::BTreeMap;

/// How one level reacts to mistakes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Mistakes allowed before any wait.
    pub free: u32,
    /// The first wait after the free mistakes, in milliseconds; each further mistake doubles it.
    pub base_ms: u64,
    /// The longest wait.
    pub max_ms: u64,
    /// After this long, half of the remembered mistakes are forgotten.
    pub half_life_ms: u64,
}

/// One connection: a person retyping on their own page.
pub const SOCKET: Policy = Policy {
    free: 3,
    base_ms: 1000,
    max_ms: 30_000,
    half_life_ms: 10 * 60_000,
};

/// One client address: a whole school may sit behind it, so it forgives a class's typos.
pub const ADDRESS: Policy = Policy {
    free: 50,
    base_ms: 1000,
    max_ms: 60_000,
    half_life_ms: 60 * 60_000,
};

/// One meeting, for tries from addresses that have guessed wrong lately. Its mistakes fade
/// slowly: forgetting frees mistakes at `free × ln 2 / half_life` a second, which must stay below
/// one per `max_ms`, or a patient guesser would be limited by the fading and not by the cap.
pub const MEETING: Policy = Policy {
    free: 200,
    base_ms: 1000,
    max_ms: 40_000,
    half_life_ms: 6 * 60 * 60_000,
};

/// An address that guessed wrong within this long is held to the meeting-wide level too.
pub const SUSPECT_FOR_MS: u64 = 24 * 60 * 60_000;

/// Most addresses one meeting tracks. When full, the one whose last mistake is oldest goes, and
/// an address not tracked counts as suspect (so flooding the table only slows the flooder).
pub const MAX_TRACKED: usize = 4096;

/// The mistakes remembered at one level and when the next try may come.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tries {
    failures: f64,
    last: Option<Timestamp>,
    not_before: Timestamp,
}

impl Tries {
    /// How long a try at `now` must still wait, in milliseconds (0: go ahead).
    pub fn wait_ms(&self, now: Timestamp) -> u64 {
        now.ms_until(self.not_before)
    }

    fn decayed(&self, policy: &Policy, now: Timestamp) -> f64 {
        match self.last {
            None => 0.0,
            Some(last) => {
                let elapsed = last.ms_until(now) as f64;
                self.failures * 0.5f64.powf(elapsed / policy.half_life_ms as f64)
            }
        }
    }

    /// Records a wrong try at `now` and sets when the next may come.
    pub fn fail(&mut self, policy: &Policy, now: Timestamp) {
        self.failures = self.decayed(policy, now) + 1.0;
        self.last = Some(now);
        let over = self.failures - f64::from(policy.free);
        let delay = if over <= 0.0 {
            0
        } else {
            // 2^(over - 1) × base, capped; computed in f64 so large counts cannot overflow.
            let factor = 2f64.powf((over - 1.0).min(63.0));
            ((policy.base_ms as f64) * factor).min(policy.max_ms as f64) as u64
        };
        self.not_before = now.plus_ms(delay);
    }
}

/// The address and meeting levels of one meeting, keyed by client address `K`.
#[derive(Debug, Clone)]
pub struct PasscodeGuard<K: Ord + Clone> {
    addresses: BTreeMap<K, Tries>,
    meeting: Tries,
}

impl<K: Ord + Clone> Default for PasscodeGuard<K> {
    fn default() -> Self {
        PasscodeGuard {
            addresses: BTreeMap::new(),
            meeting: Tries::default(),
        }
    }
}

impl<K: Ord + Clone> PasscodeGuard<K> {
    /// Whether `address` has guessed wrong within `SUSPECT_FOR_MS` (or is not tracked while the
    /// table is full).
    fn suspect(&self, address: &K, now: Timestamp) -> bool {
        match self.addresses.get(address) {
            Some(t) => t.last.is_some_and(|l| l.ms_until(now) < SUSPECT_FOR_MS),
            None => self.addresses.len() >= MAX_TRACKED,
        }
    }

    /// How long a passcode try from `address` at `now` must wait, in milliseconds (0: go ahead).
    pub fn wait_ms(&self, address: &K, now: Timestamp) -> u64 {
        let own = self.addresses.get(address).map_or(0, |t| t.wait_ms(now));
        let meeting = if self.suspect(address, now) {
            self.meeting.wait_ms(now)
        } else {
            0
        };
        own.max(meeting)
    }

    /// Records a wrong passcode from `address` at `now`.
    pub fn failed(&mut self, address: &K, now: Timestamp) {
        if !self.addresses.contains_key(address) && self.addresses.len() >= MAX_TRACKED {
            let oldest = self
                .addresses
                .iter()
                .min_by_key(|(_, t)| t.last)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.addresses.remove(&k);
            }
        }
        self.addresses
            .entry(address.clone())
            .or_default()
            .fail(&ADDRESS, now);
        self.meeting.fail(&MEETING, now);
    }

    /// How many addresses are tracked (at most `MAX_TRACKED`).
    pub fn tracked(&self) -> usize {
        self.addresses.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_700_000_000_000);
    const YEAR_MS: u64 = 365 * 24 * 60 * 60_000;
    const CODES: u64 = 1_000_000;

    #[test]
    fn waits_grow_after_the_free_mistakes_and_fade() {
        let mut t = Tries::default();
        for _ in 0..SOCKET.free {
            t.fail(&SOCKET, T0);
            assert_eq!(t.wait_ms(T0), 0);
        }
        let mut waits = Vec::new();
        let mut now = T0;
        for _ in 0..8 {
            t.fail(&SOCKET, now);
            let w = t.wait_ms(now);
            waits.push(w);
            now = now.plus_ms(w);
        }
        // About doubling (the mistakes fade a little while one waits), then capped.
        for (w, expected) in waits.iter().zip([1000u64, 2000, 4000, 8000, 16_000]) {
            assert!(*w <= expected && *w * 10 >= expected * 9, "{waits:?}");
        }
        assert!(waits[6..].iter().all(|w| *w == SOCKET.max_ms), "{waits:?}");
        // After a long quiet spell the mistakes are forgotten: the next try is free again.
        let later = now.plus_ms(10 * SOCKET.half_life_ms);
        t.fail(&SOCKET, later);
        assert_eq!(t.wait_ms(later), 0);
    }

    /// The fastest guesser: every try at the first moment the guard allows, each a new
    /// connection, from addresses taken in turn. Returns how long `tries` wrong tries take.
    fn fastest(addresses: u32, tries: u64) -> u64 {
        let mut guard: PasscodeGuard<u32> = PasscodeGuard::default();
        let mut now = T0;
        for i in 0..tries {
            let address = u32::try_from(i % u64::from(addresses)).unwrap_or(0);
            now = now.plus_ms(guard.wait_ms(&address, now));
            guard.failed(&address, now);
        }
        T0.ms_until(now)
    }

    #[test]
    fn exhausting_six_digits_from_one_address_takes_over_a_year() {
        let took = fastest(1, CODES);
        assert!(took > YEAR_MS, "{} days", took / 86_400_000);
    }

    #[test]
    fn many_addresses_are_held_to_the_meetings_rate() {
        // 500 addresses guessing in turn, never resting a day: the meeting's rate holds.
        let took = fastest(500, CODES);
        assert!(took > YEAR_MS, "{} days", took / 86_400_000);
        // Its sustained rate is one try per 40 s once each address has had its first (fresh)
        // try and the free mistakes are spent.
        let took = fastest(500, 800 + 90) - fastest(500, 800);
        assert!(took >= 89 * MEETING.max_ms, "{took} ms for 90 tries");
    }

    #[test]
    fn a_class_behind_one_address_with_typos_gets_in_at_once() {
        let mut guard: PasscodeGuard<&str> = PasscodeGuard::default();
        let school = "192.0.2.1";
        // 300 students arrive over ten minutes; one in ten mistypes once.
        for student in 0..300u64 {
            let now = T0.plus_ms(student * 2000);
            assert_eq!(guard.wait_ms(&school, now), 0, "student {student} waits");
            if student % 10 == 0 {
                guard.failed(&school, now);
            }
        }
    }

    #[test]
    fn a_guesser_elsewhere_does_not_hold_up_a_fresh_address() {
        let mut guard: PasscodeGuard<u32> = PasscodeGuard::default();
        let mut now = T0;
        for _ in 0..1000 {
            now = now.plus_ms(guard.wait_ms(&1, now));
            guard.failed(&1, now);
        }
        assert!(guard.wait_ms(&1, now) > 0, "the guesser waits");
        assert_eq!(guard.wait_ms(&2, now), 0, "a class elsewhere does not");
    }

    #[test]
    fn the_table_is_bounded_and_untracked_addresses_count_as_suspect_when_full() {
        let mut guard: PasscodeGuard<u32> = PasscodeGuard::default();
        for a in 0..(MAX_TRACKED as u32 + 10) {
            guard.failed(&a, T0.plus_ms(u64::from(a)));
        }
        assert_eq!(guard.tracked(), MAX_TRACKED);
        let now = T0.plus_ms(10_000);
        assert_eq!(guard.wait_ms(&u32::MAX, now), guard.meeting.wait_ms(now));
    }
}
