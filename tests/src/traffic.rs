//! Synthetic media traffic: what a simulated publisher sends and what a receiver learns from it.
//! Every packet's payload starts with the publisher's id, its source, a per-stream counter and the
//! time it was sent, so a receiver knows exactly whose media reached it (whatever the signalling
//! said), how many packets went missing and how long each took. The media tests, the SFU
//! benchmark and its plain-UDP baseline all use this one layout.

use plenary_shared::ids::ParticipantId;
use plenary_shared::media::Source;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Bytes of the header every synthetic payload starts with: a VP8 payload descriptor and
/// payload header (so the SFU can tell keyframes, on which it switches a slot), then id,
/// source, counter, send time.
pub const HEADER: usize = VP8 + 4 + 1 + 4 + 8;

/// The VP8 part: the descriptor (start of partition 0) and the first payload-header byte.
const VP8: usize = 2;

/// Every this many packets of a stream is a keyframe (and the first).
pub const KEYFRAME_EVERY: u32 = 25;

/// An RTP packet's bytes besides its payload: the 12-byte header and the 10-byte SRTP tag.
const RTP_OVERHEAD: u64 = 12 + 10;

/// Latency samples kept per receiver at most (a 10 s window of 40k packets/s fits).
const MAX_SAMPLES: usize = 1 << 20;

/// The byte a packet of `source` carries after the publisher's id.
pub fn tag(source: Source) -> u8 {
    match source {
        Source::Microphone => 0,
        Source::Camera => 1,
        Source::Screen => 2,
    }
}

/// What each publisher sends: which sources, packets of what size, how often.
#[derive(Debug, Clone, Copy)]
pub struct Traffic {
    pub sources: &'static [Source],
    /// Payload bytes per packet (at least `HEADER`).
    pub size: usize,
    /// Time between two packets of one source.
    pub interval: Duration,
    /// The clock all stamps count from; senders and receivers must share it.
    pub epoch: Instant,
}

impl Traffic {
    /// What the media tests send: 100-byte microphone and camera packets every 20 ms.
    pub fn test(epoch: Instant) -> Traffic {
        Traffic {
            sources: &Source::ALL[..2],
            size: 100,
            interval: Duration::from_millis(20),
            epoch,
        }
    }

    /// Like `test`, with a screen share as well.
    pub fn test_sharing(epoch: Instant) -> Traffic {
        Traffic {
            sources: &Source::ALL,
            ..Traffic::test(epoch)
        }
    }

    /// Audio-like: 50 packets a second of 100 bytes, from the microphone only.
    pub fn audio(epoch: Instant) -> Traffic {
        Traffic {
            sources: &Source::ALL[..1],
            ..Traffic::test(epoch)
        }
    }

    /// Video-like: about 1 Mbit/s in 1,100-byte packets (one every 8.8 ms), camera only.
    pub fn video(epoch: Instant) -> Traffic {
        Traffic {
            sources: &Source::ALL[1..2],
            size: 1_100,
            interval: Duration::from_micros(8_800),
            epoch,
        }
    }

    /// Where in each interval publisher `from` sends: the fractional parts of `from` times the
    /// golden ratio, which stay evenly spread for any number of publishers. Publishers started
    /// together would otherwise send in step, and a relay would get every packet in one burst.
    pub fn phase(&self, from: u32) -> Duration {
        self.interval
            .mul_f64((f64::from(from) * 0.618_033_988_749_895).fract())
    }

    /// Publisher `from`'s clock: ticks every `interval`, at its `phase` past the `epoch`,
    /// starting at the next such instant. Every simulated publisher sends by this, so the SFU
    /// and the null relay get the same packet pattern.
    pub fn ticks(&self, from: u32) -> tokio::time::Interval {
        let phase = self.phase(from);
        let since = self.epoch.elapsed().saturating_sub(phase);
        let periods = since.as_nanos() / self.interval.as_nanos().max(1) + 1;
        let start = self.epoch + phase + self.interval.mul_f64(periods as f64);
        tokio::time::interval_at(start.into(), self.interval)
    }

    /// Packets a second one publisher sends.
    pub fn packets_per_second(&self) -> f64 {
        self.sources.len() as f64 / self.interval.as_secs_f64()
    }

    /// The payload of packet number `counter` of `from`'s `source`, stamped now.
    pub fn payload(&self, from: u32, source: Source, counter: u32) -> Vec<u8> {
        let mut p = Vec::with_capacity(self.size.max(HEADER));
        let keyframe = counter % KEYFRAME_EVERY == 1;
        p.extend_from_slice(&[0x10, if keyframe { 0x00 } else { 0x01 }]);
        p.extend_from_slice(&from.to_le_bytes());
        p.push(tag(source));
        p.extend_from_slice(&counter.to_le_bytes());
        let nanos = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        p.extend_from_slice(&nanos.to_le_bytes());
        p.resize(self.size.max(HEADER), 0);
        p
    }
}

/// What arrived of one stream (one publisher's source) at one receiver.
#[derive(Debug, Clone, Copy, Default)]
struct Stream {
    count: u64,
    first: u32,
    last: u32,
}

#[derive(Default)]
struct Tally {
    streams: HashMap<(u32, u8), Stream>,
    /// RTP bytes that arrived (payload, 12-byte header, 10-byte SRTP tag).
    bytes: u64,
    latencies_us: Vec<u32>,
}

/// What one receiver got, by publisher and source, with one-way latencies.
pub struct Received {
    epoch: Instant,
    tally: Mutex<Tally>,
}

/// Totals over some receivers, from `Received::totals`.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub received: u64,
    /// RTP bytes received (payload, header and SRTP tag; no UDP/IP).
    pub bytes: u64,
    /// Packets that should have arrived: for each stream, last counter − first counter + 1.
    pub expected: u64,
    pub latencies_us: Vec<u32>,
}

impl Totals {
    /// The fraction of expected packets that never arrived.
    pub fn loss(&self) -> f64 {
        if self.expected == 0 {
            return 0.0;
        }
        1.0 - self.received as f64 / self.expected as f64
    }

    /// The `p`th percentile (0–100) of the latencies, nearest rank.
    pub fn latency(&mut self, p: f64) -> Duration {
        if self.latencies_us.is_empty() {
            return Duration::ZERO;
        }
        self.latencies_us.sort_unstable();
        let rank = ((p / 100.0) * self.latencies_us.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies_us.len()) - 1;
        Duration::from_micros(u64::from(self.latencies_us[i]))
    }
}

impl Received {
    /// Counts against the `epoch` the senders stamp with.
    pub fn new(epoch: Instant) -> Received {
        Received {
            epoch,
            tally: Mutex::default(),
        }
    }

    /// Counts one arrived payload; anything shorter than a header is not ours and is ignored.
    pub fn add(&self, payload: &[u8]) {
        let Some(h) = payload.get(VP8..HEADER) else {
            return;
        };
        let word = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let (from, tag, counter) = (word(0), h[4], word(5));
        let mut sent = [0u8; 8];
        sent.copy_from_slice(&h[9..17]);
        let sent = Duration::from_nanos(u64::from_le_bytes(sent));
        let latency = self.epoch.elapsed().saturating_sub(sent);
        let mut tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        tally.bytes += payload.len() as u64 + RTP_OVERHEAD;
        let stream = tally.streams.entry((from, tag)).or_insert(Stream {
            count: 0,
            first: counter,
            last: counter,
        });
        stream.count += 1;
        stream.first = stream.first.min(counter);
        stream.last = stream.last.max(counter);
        if tally.latencies_us.len() < MAX_SAMPLES {
            let us = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
            tally.latencies_us.push(us);
        }
    }

    fn of(&self, from: ParticipantId, source: Source) -> u64 {
        self.tally
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .streams
            .get(&(from.0, tag(source)))
            .map_or(0, |s| s.count)
    }

    /// How many of `from`'s microphone (`audio`) or camera packets arrived.
    pub fn count(&self, from: ParticipantId, audio: bool) -> u64 {
        let source = if audio {
            Source::Microphone
        } else {
            Source::Camera
        };
        self.of(from, source)
    }

    /// How many of `from`'s screen-share packets arrived.
    pub fn screen(&self, from: ParticipantId) -> u64 {
        self.of(from, Source::Screen)
    }

    /// How many distinct streams arrived at all.
    pub fn streams(&self) -> usize {
        self.tally
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .streams
            .len()
    }

    /// How many distinct audio (`true`) or video streams arrived.
    pub fn streams_of(&self, audio: bool) -> usize {
        let tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        let audio_tag = tag(Source::Microphone);
        tally
            .streams
            .keys()
            .filter(|(_, t)| (*t == audio_tag) == audio)
            .count()
    }

    /// Forgets everything counted so far.
    pub fn reset(&self) {
        let mut tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        tally.streams.clear();
        tally.latencies_us.clear();
        tally.bytes = 0;
    }

    /// Adds what this receiver got to `totals`.
    pub fn add_to(&self, totals: &mut Totals) {
        let tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        for s in tally.streams.values() {
            totals.received += s.count;
            totals.expected += u64::from(s.last - s.first) + 1;
        }
        totals.bytes += tally.bytes;
        totals.latencies_us.extend_from_slice(&tally.latencies_us);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receiver_counts_loss_and_latency_from_the_payload() {
        let epoch = Instant::now();
        let traffic = Traffic::audio(epoch);
        let got = Received::new(epoch);
        for counter in [3, 4, 6] {
            got.add(&traffic.payload(7, Source::Microphone, counter));
        }
        got.add(b"short");
        assert_eq!(got.count(ParticipantId(7), true), 3);
        assert_eq!(got.count(ParticipantId(7), false), 0);
        let mut totals = Totals::default();
        got.add_to(&mut totals);
        assert_eq!((totals.received, totals.expected), (3, 4));
        assert!((totals.loss() - 0.25).abs() < 1e-9);
        assert!(totals.latency(99.0) < Duration::from_secs(1));
        assert_eq!(traffic.payload(1, Source::Camera, 0).len(), 100);
        assert!((Traffic::video(epoch).packets_per_second() - 113.6).abs() < 0.1);
    }

    #[test]
    fn publishers_phases_spread_over_the_interval() {
        let traffic = Traffic::audio(Instant::now());
        for n in [2_u32, 8, 24, 48] {
            let mut phases: Vec<Duration> = (1..=n).map(|i| traffic.phase(i)).collect();
            phases.sort();
            phases.push(phases[0] + traffic.interval);
            let widest = phases.windows(2).map(|w| w[1] - w[0]).max();
            // Even spacing would be interval / n; the golden-ratio spread stays within 3x of it.
            assert!(widest <= Some(traffic.interval * 3 / n), "{n}: {widest:?}");
            assert!(phases.windows(2).all(|w| w[0] < w[1]), "{n}: two in step");
        }
    }
}
