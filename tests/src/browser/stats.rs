//! What a page's media shows, read from inside the page: frames each video tile decoded, and
//! `getStats()` for every inbound stream, so tests can tell media that flows from media that
//! is merely negotiated.

use super::{Page, wd};
use crate::{HarnessError, Result};
use std::time::{Duration, Instant};

/// How often `until_media` reads the stats again (often: the browser timings are read by it).
const MEDIA_POLL: Duration = Duration::from_millis(10);

/// Records each `RTCPeerConnection` in `window.__pcs`, before any page script runs, so
/// `media_stats` can read them.
pub(super) const CAPTURE_CONNECTIONS: &str = "(() => { const P = window.RTCPeerConnection; \
    if (!P) return; window.__pcs = []; window.RTCPeerConnection = function (...args) { \
    const pc = new P(...args); window.__pcs.push(pc); return pc; }; \
    window.RTCPeerConnection.prototype = P.prototype; })();";

/// What a page receives: per tile (by its accessible name) the video frames its `<video>` has
/// decoded, and from `getStats()` each inbound stream's frames decoded (video) or bytes
/// received (audio), by stats id.
#[derive(Debug, Default, Clone)]
pub struct MediaStats {
    pub tiles: std::collections::BTreeMap<String, u64>,
    pub inbound: std::collections::BTreeMap<String, (bool, u64)>,
}

impl MediaStats {
    /// Video frames decoded for the tile `label`.
    pub fn frames(&self, label: &str) -> u64 {
        self.tiles.get(label).copied().unwrap_or(0)
    }

    /// How many inbound streams of this kind grew between `before` and `self`.
    pub fn growing(&self, before: &MediaStats, audio: bool) -> usize {
        self.inbound
            .iter()
            .filter(|(id, (is_audio, n))| {
                *is_audio == audio && before.inbound.get(*id).map_or(0, |b| b.1) < *n
            })
            .count()
    }
}

const READ_STATS: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const tiles = [...document.querySelectorAll('figure.tile')].map(fig => ({
    label: fig.getAttribute('aria-label'),
    frames: fig.querySelector('video')?.webkitDecodedFrameCount || 0 }));
  const inbound = [];
  for (const pc of (window.__pcs || [])) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach(r => {
      if (r.type === 'inbound-rtp') inbound.push({ id: r.id, audio: r.kind === 'audio',
        n: (r.kind === 'audio' ? r.bytesReceived : r.framesDecoded) || 0 });
    });
  }
  done({ tiles, inbound });
})().catch(e => done({ error: String(e) }));
"#;

impl Page {
    /// Reads what this page receives (see `MediaStats`).
    pub async fn media_stats(&self) -> Result<MediaStats> {
        let v = self
            .client()?
            .execute_async(READ_STATS, vec![])
            .await
            .map_err(wd)?;
        if let Some(e) = v.get("error") {
            return Err(HarnessError::WebDriver(format!("getStats: {e}")));
        }
        let mut stats = MediaStats::default();
        for t in v["tiles"].as_array().cloned().unwrap_or_default() {
            let label = t["label"].as_str().unwrap_or_default().to_owned();
            stats.tiles.insert(label, t["frames"].as_u64().unwrap_or(0));
        }
        for r in v["inbound"].as_array().cloned().unwrap_or_default() {
            let id = r["id"].as_str().unwrap_or_default().to_owned();
            let audio = r["audio"].as_bool().unwrap_or(false);
            stats
                .inbound
                .insert(id, (audio, r["n"].as_u64().unwrap_or(0)));
        }
        Ok(stats)
    }

    /// Reads the stats until `done` holds for them, within `within`; the stats that did.
    pub async fn until_media(
        &self,
        what: &str,
        within: Duration,
        done: impl Fn(&MediaStats) -> bool,
    ) -> Result<MediaStats> {
        let start = Instant::now();
        loop {
            let stats = self.media_stats().await?;
            if done(&stats) {
                return Ok(stats);
            }
            if start.elapsed() > within {
                return Err(HarnessError::Timeout(format!("{what}: {stats:?}")));
            }
            tokio::time::sleep(MEDIA_POLL).await;
        }
    }
}
