//! The media seam. The meeting actor tells the media layer only *who may receive whom* — the
//! engine's `MediaMap` — after every change, and hands it each participant's signalling; the
//! media layer (a WebRTC SFU built on the `webrtc` crate, which nothing outside this module
//! imports) forwards packets accordingly. `NoMedia` stands in where no media is wanted.

mod peer;
mod sfu;

pub use plenary_shared::meeting::media::MediaMap;
pub use sfu::Sfu;

use axum::extract::ws::Utf8Bytes;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ClientSignal, MediaProblem};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use thiserror::Error;
use tokio::sync::mpsc;

/// Where the media layer sends a participant's signalling (their connection's outbox).
pub type Outbox = mpsc::Sender<Utf8Bytes>;

/// What the meeting actor needs from a media layer.
pub trait MediaRouter: Send {
    /// Re-points forwarding to match `map`: called whenever it changes. People no longer in
    /// the map lose their media connection.
    fn update(&mut self, map: &MediaMap);
    /// `who` is (again) reachable through `outbox`.
    fn connected(&mut self, who: ParticipantId, outbox: Outbox);
    /// Signalling from `from`.
    fn signal(&mut self, from: ParticipantId, signal: ClientSignal);
}

/// A media layer that forwards nothing and refuses to set up media.
#[derive(Debug, Default)]
pub struct NoMedia;

impl MediaRouter for NoMedia {
    fn update(&mut self, _map: &MediaMap) {}
    fn connected(&mut self, _who: ParticipantId, _outbox: Outbox) {}
    fn signal(&mut self, _from: ParticipantId, _signal: ClientSignal) {}
}

/// Why media could not be set up.
#[derive(Debug, Error)]
pub enum MediaError {
    #[error("WebRTC: {0}")]
    WebRtc(#[from] webrtc::error::Error),
    #[error("no UDP port could be bound for media: {0}")]
    NoPort(String),
    #[error("the browser's answer was not usable: {0}")]
    BadAnswer(String),
    #[error("no offer is waiting for an answer")]
    NoOfferPending,
    #[error("gathering network candidates took too long")]
    GatheringTimeout,
    #[error("the media connection was lost")]
    ConnectionLost,
}

impl MediaError {
    /// What the client is told.
    pub fn problem(&self) -> MediaProblem {
        match self {
            MediaError::BadAnswer(_) => MediaProblem::BadAnswer,
            MediaError::NoOfferPending => MediaProblem::NoOfferPending,
            MediaError::ConnectionLost => MediaProblem::ConnectionLost,
            MediaError::WebRtc(_) | MediaError::NoPort(_) | MediaError::GatheringTimeout => {
                MediaProblem::ServerError
            }
        }
    }
}

/// How media connections reach the network.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// The address media sockets bind to.
    pub bind: IpAddr,
    /// The address put in candidates instead, when the server is behind a 1:1 NAT.
    pub announce: Option<IpAddr>,
    /// Which UDP ports media may use (one per participant).
    pub ports: Arc<PortRange>,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            announce: None,
            ports: Arc::new(PortRange::any()),
        }
    }
}

/// A range of UDP ports handed out round-robin (port 0 means "any free port").
#[derive(Debug)]
pub struct PortRange {
    first: u16,
    last: u16,
    next: AtomicU32,
}

impl PortRange {
    /// Any port the system picks.
    pub fn any() -> Self {
        PortRange::new(0, 0)
    }

    /// Ports `first..=last` (swapped if given the wrong way round).
    pub fn new(first: u16, last: u16) -> Self {
        PortRange {
            first: first.min(last),
            last: first.max(last),
            next: AtomicU32::new(0),
        }
    }

    /// Parses `40000-40999` (or a single port).
    pub fn parse(text: &str) -> Result<Self, String> {
        let port = |s: &str| {
            s.trim()
                .parse::<u16>()
                .map_err(|_| format!("{s:?} is not a port number"))
        };
        match text.split_once('-') {
            Some((a, b)) => Ok(PortRange::new(port(a)?, port(b)?)),
            None => {
                let p = port(text)?;
                Ok(PortRange::new(p, p))
            }
        }
    }

    /// How many ports to try before giving up.
    pub fn attempts(&self) -> u32 {
        u32::from(self.last - self.first) + 1
    }

    /// The next port to try.
    pub fn next(&self) -> u16 {
        let offset = self.next.fetch_add(1, Ordering::Relaxed) % self.attempts();
        // offset < attempts <= 65536 and first + offset <= last, so this fits.
        u16::try_from(u32::from(self.first) + offset).unwrap_or(self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_parse_and_wrap() {
        let r = PortRange::parse("40000-40002").expect("range");
        assert_eq!(r.attempts(), 3);
        let ports: Vec<u16> = (0..4).map(|_| r.next()).collect();
        assert_eq!(ports, [40000, 40001, 40002, 40000]);
        assert_eq!(PortRange::parse("5000").expect("one").attempts(), 1);
        assert!(PortRange::parse("x-2").is_err());
        assert_eq!(PortRange::any().next(), 0);
    }
}
