//! Choosing what each receiver gets when a place is big, after Jitsi's last-N and LiveKit's
//! adaptive stream: the loudest few voices of the place, from the audio level every publisher
//! stamps on its packets (RFC 6464); the active speaker, with hysteresis so it never flaps; and
//! the videos a receiver's page shows, within its fixed pool of slots. Who *may* receive whom
//! stays the meeting's `MediaMap`; this only chooses among what it allows. Pure: levels and
//! times come in, choices come out, so every rule is unit-tested here without a network.

use super::forward::Feed;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{Source, Tile};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How the server selects, from its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Voices forwarded to each receiver at most (`None`: every voice of the place).
    pub loudest: Option<usize>,
    /// Videos (cameras and screens) forwarded to each receiver at most (`None`: all).
    pub last_n: Option<usize>,
}

impl Default for Selection {
    /// Three voices and a gallery page of 25, as Zoom and Jitsi have it.
    fn default() -> Self {
        Selection {
            loudest: Some(DEFAULT_LOUDEST),
            last_n: Some(DEFAULT_LAST_N),
        }
    }
}

impl Selection {
    /// Every voice and every video (no selection; slots grow as needed).
    pub const ALL: Selection = Selection {
        loudest: None,
        last_n: None,
    };
}

pub const DEFAULT_LOUDEST: usize = 3;
pub const DEFAULT_LAST_N: usize = 25;

/// Loudness is `127 − level` (level in −dBov, 127 silence): a voice starts speaking when its
/// smoothed loudness reaches `SPEAKING` (−55 dBov) and stops below `QUIET` (−65 dBov).
const SPEAKING: f32 = 72.0;
const QUIET: f32 = 62.0;
/// Each packet's weight in the smoothed loudness (20 ms packets: about 100 ms to follow).
const SMOOTHING: f32 = 0.2;
/// A voice whose packets stop is silent after this.
const STALE: Duration = Duration::from_millis(300);
/// A speaker stays speaking through a dip below `QUIET` this short (the gaps between syllables
/// and words), as a voice activity detector's hangover.
const HANGOVER: Duration = Duration::from_millis(400);
/// A speaker stays audible this long after they stop (the pause between two sentences).
pub const AUDIBLE_HOLD: Duration = Duration::from_millis(1500);
/// A voice must be this much louder to take an audible place from someone still speaking.
const MARGIN: f32 = 6.0;
/// Someone who got an audible place keeps it at least this long.
const MIN_AUDIBLE: Duration = Duration::from_millis(500);
/// The active speaker is kept at least this long: it never flaps faster.
pub const ACTIVE_HOLD: Duration = Duration::from_secs(1);
/// A new voice must have spoken this long before it becomes the active speaker.
const SETTLE: Duration = Duration::from_millis(300);
/// How many speaking people a `Speakers` signal names at most.
pub const MAX_SPEAKING: usize = 16;
/// How often a place's speakers are decided again.
pub const RESTAGE_EVERY: Duration = Duration::from_millis(100);

/// One publisher's voice, from the levels on their audio packets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Voice {
    loudness: f32,
    heard: Option<Instant>,
    speaking_since: Option<Instant>,
    quiet_since: Option<Instant>,
    /// Since when a speaking voice has been below `QUIET` (its hangover running).
    below_since: Option<Instant>,
}

impl Voice {
    /// A packet with audio `level` (RFC 6464: 0 loudest, 127 silence) arrived at `now`.
    pub fn hear(&mut self, level: u8, now: Instant) {
        let sample = 127.0 - f32::from(level.min(127));
        self.loudness = match self.heard {
            Some(_) => self.loudness + SMOOTHING * (sample - self.loudness),
            None => sample,
        };
        self.heard = Some(now);
        self.settle(now);
    }

    /// Brings speaking and quiet up to `now` (a voice whose packets stopped falls silent).
    pub fn settle(&mut self, now: Instant) {
        let stale = self
            .heard
            .is_none_or(|h| now.saturating_duration_since(h) > STALE);
        if stale {
            self.loudness = 0.0;
        }
        if self.loudness >= QUIET {
            self.below_since = None;
        } else if self.below_since.is_none() {
            self.below_since = Some(now);
        }
        let hung_over = self
            .below_since
            .is_some_and(|b| now.saturating_duration_since(b) >= HANGOVER);
        match self.speaking_since {
            Some(_) if stale || hung_over => {
                self.speaking_since = None;
                self.quiet_since = Some(now);
            }
            None if !stale && self.loudness >= SPEAKING => {
                self.speaking_since = Some(now);
                self.quiet_since = None;
            }
            _ => {}
        }
    }

    /// What the place's decision needs of this voice.
    pub fn heard(&self, who: ParticipantId) -> Heard {
        Heard {
            who,
            loudness: self.loudness,
            speaking_since: self.speaking_since,
            quiet_since: self.quiet_since,
        }
    }
}

/// One voice of a place as the decision sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heard {
    pub who: ParticipantId,
    pub loudness: f32,
    pub speaking_since: Option<Instant>,
    pub quiet_since: Option<Instant>,
}

impl Heard {
    fn speaking(&self) -> bool {
        self.speaking_since.is_some()
    }
}

/// Who speaks in one place: the voices forwarded and the active speaker.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stage {
    /// The audible voices (at most the capacity given), each with when it got its place.
    audible: Vec<(ParticipantId, Instant)>,
    active: Option<(ParticipantId, Instant)>,
    speaking: Vec<ParticipantId>,
}

impl Stage {
    /// The audible voices, in the order they got their place.
    pub fn audible(&self) -> impl Iterator<Item = ParticipantId> + '_ {
        self.audible.iter().map(|(who, _)| *who)
    }

    pub fn active(&self) -> Option<ParticipantId> {
        self.active.map(|(who, _)| who)
    }

    /// Who speaks now, in id order (at most `MAX_SPEAKING`).
    pub fn speaking(&self) -> &[ParticipantId] {
        &self.speaking
    }

    /// Decides again from the place's voices (its unmuted publishers), keeping at most
    /// `capacity` audible. Returns whether who is forwarded changed (the audible voices, or the
    /// active speaker, whose video is always in): then slots re-point.
    pub fn update(&mut self, voices: &[Heard], capacity: usize, now: Instant) -> bool {
        let before_audible: Vec<ParticipantId> = self.audible().collect();
        let before_active = self.active();
        let find = |who: ParticipantId| voices.iter().find(|v| v.who == who);

        // Those gone, muted, or quiet too long leave.
        self.audible.retain(|(who, _)| {
            find(*who).is_some_and(|v| {
                v.speaking()
                    || v.quiet_since
                        .is_some_and(|q| now.saturating_duration_since(q) < AUDIBLE_HOLD)
            })
        });
        let mut candidates: Vec<&Heard> = voices
            .iter()
            .filter(|v| v.speaking() && !self.audible.iter().any(|(w, _)| *w == v.who))
            .collect();
        candidates.sort_by(|a, b| b.loudness.total_cmp(&a.loudness).then(a.who.cmp(&b.who)));
        for candidate in candidates {
            if self.audible.len() < capacity {
                self.audible.push((candidate.who, now));
                continue;
            }
            // Full: a quiet one (in its hold) goes first, the one quiet longest; else one
            // clearly softer that has had its place a while.
            let quiet = self
                .audible
                .iter()
                .enumerate()
                .filter_map(|(i, (w, _))| {
                    let v = find(*w)?;
                    (!v.speaking()).then_some((i, v.quiet_since))
                })
                .min_by_key(|(_, q)| *q)
                .map(|(i, _)| i);
            let softer = || {
                self.audible
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (w, since))| {
                        let v = find(*w)?;
                        let settled = now.saturating_duration_since(*since) >= MIN_AUDIBLE;
                        (settled && v.loudness + MARGIN < candidate.loudness)
                            .then_some((i, v.loudness))
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(i, _)| i)
            };
            match quiet.or_else(softer) {
                Some(i) => self.audible[i] = (candidate.who, now),
                None => break,
            }
        }

        self.update_active(voices, now);
        let mut speaking: Vec<ParticipantId> = voices
            .iter()
            .filter(|v| v.speaking())
            .map(|v| v.who)
            .collect();
        speaking.sort();
        speaking.truncate(MAX_SPEAKING);
        self.speaking = speaking;
        before_audible.iter().copied().ne(self.audible()) || before_active != self.active()
    }

    /// The active speaker: the newest voice that has spoken a moment, or the loudest when the
    /// current one fell quiet; kept at least `ACTIVE_HOLD`; kept through silence.
    fn update_active(&mut self, voices: &[Heard], now: Instant) {
        let current = self
            .active
            .and_then(|(who, since)| Some((voices.iter().find(|v| v.who == who)?, since)));
        if self.active.is_some() && current.is_none() {
            self.active = None; // gone or muted
        }
        if let Some((_, since)) = current
            && now.saturating_duration_since(since) < ACTIVE_HOLD
        {
            return;
        }
        let settled = voices.iter().filter(|v| {
            v.speaking_since
                .is_some_and(|s| now.saturating_duration_since(s) >= SETTLE)
        });
        let next = match current {
            Some((active, _)) if active.speaking() => settled
                .filter(|v| v.who != active.who && v.speaking_since > active.speaking_since)
                .max_by_key(|v| v.speaking_since),
            _ => settled.max_by(|a, b| a.loudness.total_cmp(&b.loudness)),
        };
        if let Some(next) = next
            && self.active() != Some(next.who)
        {
            self.active = Some((next.who, now));
        }
    }
}

/// The voices `receiver` is sent: every one it may hear while they are few enough, else the
/// audible ones of its place (never its own), at most `loudest`.
pub fn voices_for(
    receiver: ParticipantId,
    hearable: &[ParticipantId],
    stage: Option<&Stage>,
    loudest: Option<usize>,
) -> Vec<ParticipantId> {
    let others: Vec<ParticipantId> = hearable
        .iter()
        .copied()
        .filter(|w| *w != receiver)
        .collect();
    let Some(limit) = loudest else {
        return others;
    };
    if others.len() <= limit {
        return others;
    }
    stage
        .into_iter()
        .flat_map(Stage::audible)
        .filter(|w| others.contains(w))
        .take(limit)
        .collect()
}

/// The videos `receiver` is sent, out of `visible` (the video feeds it may see): shared screens
/// first, then the active speaker's camera, then the cameras of the tiles its page shows in
/// order (every camera while it has said nothing), at most `last_n`.
pub fn videos_for(
    visible: &BTreeSet<Feed>,
    view: Option<&[Tile]>,
    active: Option<ParticipantId>,
    last_n: Option<usize>,
) -> Vec<Feed> {
    let mut out: Vec<Feed> = visible
        .iter()
        .filter(|(_, s)| *s == Source::Screen)
        .copied()
        .collect();
    let mut add = |feed: Feed| {
        if visible.contains(&feed) && !out.contains(&feed) {
            out.push(feed);
        }
    };
    if let Some(active) = active {
        add((active, Source::Camera));
    }
    match view {
        Some(tiles) => tiles.iter().for_each(|t| add((t.who, Source::Camera))),
        None => visible.iter().for_each(|f| add(*f)),
    }
    if let Some(limit) = last_n {
        out.truncate(limit);
    }
    out
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
