//! How well each person's video reaches us, for the bars on their tile: from `getStats()`, the
//! packets lost against those received since the last reading, and the jitter, of each inbound
//! video stream (matched to its tile by track id). Judged per reading, so it follows the
//! network within a second.

use js_sys::Reflect;
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};

/// A stream's quality, as three bars, two or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    Good,
    Fair,
    Poor,
}

/// Loss under 2 % with jitter under 30 ms is good; loss under 8 % with jitter under 100 ms
/// fair; worse is poor. No packets at all in the interval (a frozen stream) is poor too.
pub fn judge(lost: u64, received: u64, jitter_seconds: f64) -> Quality {
    let total = lost + received;
    if received == 0 {
        return Quality::Poor;
    }
    let loss = lost as f64 / total as f64;
    if loss < 0.02 && jitter_seconds < 0.030 {
        Quality::Good
    } else if loss < 0.08 && jitter_seconds < 0.100 {
        Quality::Fair
    } else {
        Quality::Poor
    }
}

/// One inbound video stream's counters: packets lost and received so far, and its jitter now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    pub lost: u64,
    pub received: u64,
    pub jitter: f64,
}

/// The inbound video streams of a `getStats()` report, by track id.
pub fn inbound_video(report: &JsValue) -> HashMap<String, Counters> {
    let map: &js_sys::Map = report.unchecked_ref();
    let text = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).ok().and_then(|v| v.as_string());
    let number = |v: &JsValue, k: &str| {
        Reflect::get(v, &k.into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    };
    let mut out = HashMap::new();
    map.for_each(&mut |entry, _| {
        if text(&entry, "type").as_deref() == Some("inbound-rtp")
            && text(&entry, "kind").as_deref() == Some("video")
            && let Some(track) = text(&entry, "trackIdentifier")
        {
            out.insert(
                track,
                Counters {
                    lost: number(&entry, "packetsLost").max(0.0) as u64,
                    received: number(&entry, "packetsReceived").max(0.0) as u64,
                    jitter: number(&entry, "jitter"),
                },
            );
        }
    });
    out
}

/// The quality between two readings of a stream's counters.
pub fn between(before: Option<&Counters>, now: &Counters) -> Quality {
    let (lost0, received0) = before.map_or((0, 0), |b| (b.lost, b.received));
    judge(
        now.lost.saturating_sub(lost0),
        now.received.saturating_sub(received0),
        now.jitter,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_and_jitter_make_the_bars() {
        assert_eq!(judge(0, 500, 0.004), Quality::Good);
        assert_eq!(judge(5, 495, 0.004), Quality::Good);
        assert_eq!(judge(20, 480, 0.004), Quality::Fair);
        assert_eq!(judge(0, 500, 0.050), Quality::Fair);
        assert_eq!(judge(60, 440, 0.004), Quality::Poor);
        assert_eq!(judge(0, 500, 0.200), Quality::Poor);
        assert_eq!(judge(0, 0, 0.0), Quality::Poor, "nothing arrived: frozen");
    }

    #[test]
    fn only_the_packets_since_the_last_reading_count() {
        let before = Counters {
            lost: 100,
            received: 1000,
            jitter: 0.01,
        };
        let now = Counters {
            lost: 100,
            received: 1500,
            jitter: 0.01,
        };
        assert_eq!(between(Some(&before), &now), Quality::Good);
        assert_eq!(
            between(None, &now),
            Quality::Fair,
            "6 % lost since the start"
        );
    }
}
