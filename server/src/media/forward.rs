//! The forwarding decisions, apart from any WebRTC machinery: who should receive which published
//! source (from the engine's `MediaMap`, the rule of the meeting), how each receiving slot keeps
//! its stream continuous when the publisher behind it changes (or comes back), when a video slot
//! may switch (on a keyframe), and how often a publisher is asked for one. Pure and synchronous,
//! so every rule here is unit- and property-tested without a network.

use plenary_shared::ids::ParticipantId;
use plenary_shared::media::Source;
use std::time::{Duration, Instant};

/// One published source: its publisher and which of their sources.
pub type Feed = (ParticipantId, Source);

/// Keeps one slot's sequence numbers and timestamps continuous across every change of what it
/// carries: a new publisher, or the same one back after the slot was parked. After `repoint`,
/// the next packet is re-based to follow one packet and one frame after the last one sent, as a
/// receiver's jitter buffer expects; in between, numbers map with fixed offsets, so
/// retransmissions keep their mapping.
#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    /// The last number and timestamp sent on the slot, once anything was.
    last: Option<(u16, u32)>,
    seq_offset: u16,
    ts_offset: u32,
    /// The next packet starts a new run.
    rebase: bool,
}

impl Rewrite {
    /// What the slot carries changed (or resumes): re-base on the next packet.
    pub fn repoint(&mut self) {
        self.rebase = true;
    }

    /// The outgoing (sequence number, timestamp) for an incoming one; `frame_step` is one frame
    /// in the codec's clock (the gap left between two runs).
    pub fn apply(&mut self, seq: u16, ts: u32, frame_step: u32) -> (u16, u32) {
        if self.rebase {
            self.rebase = false;
            match self.last {
                Some((last_seq, last_ts)) => {
                    self.seq_offset = last_seq.wrapping_add(1).wrapping_sub(seq);
                    self.ts_offset = last_ts.wrapping_add(frame_step).wrapping_sub(ts);
                }
                None => {
                    self.seq_offset = 0;
                    self.ts_offset = 0;
                }
            }
        }
        let out = (
            seq.wrapping_add(self.seq_offset),
            ts.wrapping_add(self.ts_offset),
        );
        // Retransmissions and reordering may go backwards; only move the marks forwards.
        let forwards = self
            .last
            .is_none_or(|(last, _)| out.0.wrapping_sub(last) < 0x8000);
        if forwards {
            self.last = Some(out);
        }
        out
    }
}

/// Whether a VP8 RTP payload (RFC 7741) starts a keyframe: the first packet of partition 0 of
/// a frame whose payload header has the P (inter-frame) bit clear.
pub fn is_vp8_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    let extended = first & 0x80 != 0;
    let start = first & 0x10 != 0;
    let partition = first & 0x07;
    if !start || partition != 0 {
        return false;
    }
    let mut at = 1;
    if extended {
        let Some(&x) = payload.get(1) else {
            return false;
        };
        at = 2;
        if x & 0x80 != 0 {
            // PictureID: two bytes if its M bit is set.
            let Some(&pid) = payload.get(at) else {
                return false;
            };
            at += if pid & 0x80 != 0 { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if x & 0x30 != 0 {
            at += 1; // TID / KEYIDX
        }
    }
    payload.get(at).is_some_and(|header| header & 0x01 == 0)
}

/// The shortest time between two keyframe requests to one publisher's source. A browser acts
/// on one request per 300 ms and ignores the rest (libwebrtc's `kMinKeyframeSendIntervalMs`),
/// so a request sooner is wasted and would only delay the keyframe; the margin covers jitter
/// between our clock and the browser's.
pub const KEYFRAME_EVERY: Duration = Duration::from_millis(330);

/// Throttles keyframe requests for one published source: at most one per `KEYFRAME_EVERY`. A
/// request that comes too soon is held and sent when the time has come, unless a keyframe
/// arrives first (whatever asked for it, the receivers waiting since are served), so none is
/// lost and none is wasted.
#[derive(Debug, Clone, Default)]
pub struct KeyframeGate {
    last: Option<Instant>,
    held: bool,
}

impl KeyframeGate {
    /// Someone needs a keyframe at `now`: whether to ask the publisher at once.
    pub fn request(&mut self, now: Instant) -> bool {
        self.held = true;
        self.poll(now)
    }

    /// A keyframe of this source came: it serves every request held so far.
    pub fn keyframe(&mut self) {
        self.held = false;
    }

    /// When a held request is due, if one is held.
    pub fn due(&self) -> Option<Instant> {
        match (self.held, self.last) {
            (true, Some(last)) => Some(last + KEYFRAME_EVERY),
            _ => None,
        }
    }

    /// At `now`: whether a held request should go out now (and it is then sent).
    pub fn poll(&mut self, now: Instant) -> bool {
        let ready = self.held && self.last.is_none_or(|t| now >= t + KEYFRAME_EVERY);
        if ready {
            self.last = Some(now);
            self.held = false;
        }
        ready
    }
}

/// One frame in the codec's clock: 20 ms of Opus at 48 kHz, one 30 fps frame of VP8 at 90 kHz.
pub fn frame_step(source: Source) -> u32 {
    if source.is_audio() { 960 } else { 3000 }
}

#[cfg(test)]
mod tests {
    use super::super::select::{Heard, Selection, Stage};
    use super::super::slots::wanted;
    use super::*;
    use plenary_shared::ids::RoomId;
    use plenary_shared::meeting::media::MediaMap;
    use plenary_shared::meeting::rooms::Place;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn p(n: u32) -> ParticipantId {
        ParticipantId(n)
    }

    #[test]
    fn a_slot_stays_continuous_when_its_publisher_changes_and_comes_back() {
        let mut r = Rewrite::default();
        r.repoint();
        assert_eq!(
            r.apply(100, 5000, 3000),
            (100, 5000),
            "the first run passes as is"
        );
        assert_eq!(r.apply(101, 8000, 3000), (101, 8000));
        // Another publisher, with its own numbering: one packet and one frame on.
        r.repoint();
        assert_eq!(r.apply(60_000, 42, 3000), (102, 11_000));
        assert_eq!(r.apply(60_001, 3042, 3000), (103, 14_000));
        // A late retransmission keeps its mapping and does not move the marks back.
        assert_eq!(r.apply(60_000, 42, 3000).0, 102);
        // Parked, then the first publisher back, having sent 187 packets meanwhile: still
        // continuous (this was the jump a strict jitter buffer stalled on).
        r.repoint();
        assert_eq!(r.apply(101 + 188, 8000 + 188 * 3000, 3000), (104, 17_000));
        // Wrapping is clean.
        r.repoint();
        assert_eq!(r.apply(65_535, u32::MAX, 3000), (105, 20_000));
        assert_eq!(r.apply(0, 2999, 3000), (106, 23_000));
    }

    proptest! {
        /// However a slot is re-pointed, and whatever numbering each publisher uses, what the
        /// receiver sees never jumps: each new run starts exactly one after the last packet.
        #[test]
        fn repointing_never_makes_a_gap(runs in proptest::collection::vec((any::<u16>(), any::<u32>(), 1u16..50), 1..20)) {
            let mut r = Rewrite::default();
            let mut last: Option<u16> = None;
            for (seq, ts, len) in runs {
                r.repoint();
                for i in 0..len {
                    let (out, _) = r.apply(seq.wrapping_add(i), ts.wrapping_add(u32::from(i) * 3000), 3000);
                    if let Some(prev) = last {
                        prop_assert_eq!(out, prev.wrapping_add(1));
                    }
                    last = Some(out);
                }
            }
        }

        /// No route ever connects people in different places, and no muted person's audio is
        /// routed to anyone, whatever the selection: even when the speakers of the stage (here
        /// anyone, from any place, muted or not) and the page's tiles name them.
        #[test]
        fn no_packet_from_a_place_reaches_anyone_outside_it(
            places in proptest::collection::vec(0u32..4, 2..12),
            muted in proptest::collection::vec(any::<bool>(), 12),
            speaking in proptest::collection::vec(any::<bool>(), 12),
            limits in (proptest::option::of(0usize..4), proptest::option::of(0usize..6)),
        ) {
            let mut by_place: std::collections::BTreeMap<Place, Vec<ParticipantId>> = Default::default();
            for (i, place) in places.iter().enumerate() {
                let place = if *place == 0 { Place::Main } else { Place::Room { room: RoomId(*place) } };
                by_place.entry(place).or_default().push(p(u32::try_from(i).unwrap_or(0)));
            }
            let map = MediaMap {
                places: by_place.clone().into_iter().collect(),
                muted: (0..places.len()).filter(|i| muted[*i]).map(|i| p(u32::try_from(i).unwrap_or(0))).collect(),
            };
            let published: BTreeSet<Feed> = (0..places.len())
                .flat_map(|i| Source::ALL.map(|s| (p(u32::try_from(i).unwrap_or(0)), s)))
                .collect();
            let place_of = |who: ParticipantId| by_place.iter().find(|(_, ps)| ps.contains(&who)).map(|(pl, _)| *pl);
            let t0 = Instant::now();
            let voices: Vec<Heard> = (0..places.len())
                .filter(|i| speaking[*i])
                .map(|i| Heard {
                    who: p(u32::try_from(i).unwrap_or(0)),
                    loudness: 100.0,
                    speaking_since: Some(t0),
                    quiet_since: None,
                })
                .collect();
            let mut stage = Stage::default();
            stage.update(&voices, 12, t0 + Duration::from_secs(2));
            let selection = Selection { loudest: limits.0, last_n: limits.1 };
            let tiles: Vec<plenary_shared::media::Tile> = (0..12)
                .map(|i| plenary_shared::media::Tile {
                    who: p(i),
                    size: plenary_shared::media::TileSize::Thumbnail,
                })
                .collect();
            for i in 0..places.len() {
                let receiver = p(u32::try_from(i).unwrap_or(0));
                let want = wanted(&map, receiver, &published, Some(&stage), Some(&tiles), selection);
                if let Some(n) = limits.0 {
                    prop_assert!(want.iter().filter(|f| f.1.is_audio()).count() <= n);
                }
                if let Some(n) = limits.1 {
                    prop_assert!(want.iter().filter(|f| !f.1.is_audio()).count() <= n);
                }
                for (publisher, source) in want {
                    prop_assert!(publisher != receiver);
                    prop_assert_eq!(place_of(publisher), place_of(receiver));
                    if source.is_audio() {
                        prop_assert!(!muted[publisher.0 as usize]);
                    }
                }
            }
        }
    }

    #[test]
    fn vp8_keyframes_are_told_from_other_packets() {
        // S=1, PID=0, no extension; payload header P bit clear: a keyframe.
        assert!(is_vp8_keyframe(&[0x10, 0x00, 0x9d, 0x01, 0x2a]));
        // The P bit set: an inter frame.
        assert!(!is_vp8_keyframe(&[0x10, 0x01]));
        // Not the start of a partition.
        assert!(!is_vp8_keyframe(&[0x00, 0x00]));
        // Extended, with a 15-bit PictureID, TL0PICIDX and TID: the header comes later.
        assert!(is_vp8_keyframe(&[0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x00]));
        assert!(!is_vp8_keyframe(&[
            0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x01
        ]));
        // Extended with a 7-bit PictureID only.
        assert!(is_vp8_keyframe(&[0x90, 0x80, 0x05, 0x00]));
        assert!(!is_vp8_keyframe(&[]));
        assert!(!is_vp8_keyframe(&[0x90]));
    }

    #[test]
    fn keyframe_requests_are_throttled_but_never_lost() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut gate = KeyframeGate::default();
        assert!(gate.request(t0));
        assert!(!gate.request(ms(100)));
        assert!(!gate.request(ms(200)));
        assert_eq!(gate.due(), Some(t0 + KEYFRAME_EVERY));
        assert!(!gate.poll(ms(250)));
        assert!(
            gate.poll(t0 + KEYFRAME_EVERY),
            "no keyframe came: the held request goes out once"
        );
        assert!(!gate.poll(ms(900)));
        assert_eq!(gate.due(), None);
        assert!(gate.request(ms(1000)));
    }

    #[test]
    fn a_keyframe_serves_held_requests() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut gate = KeyframeGate::default();
        assert!(gate.request(t0));
        assert!(!gate.request(ms(20)), "too soon: held");
        gate.keyframe();
        assert_eq!(gate.due(), None, "the keyframe served the held request");
        assert!(!gate.poll(ms(400)));
        // Asked again before the interval is over: held, and sent when it is.
        assert!(!gate.request(ms(200)));
        assert_eq!(gate.due(), Some(t0 + KEYFRAME_EVERY));
        assert!(gate.poll(t0 + KEYFRAME_EVERY));
    }
}
