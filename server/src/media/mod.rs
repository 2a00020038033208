//! The media seam. The meeting actor tells the media layer only *who may receive whom* — the
//! engine's `MediaMap` — after every change, and hands it each participant's signalling; the
//! media layer forwards packets accordingly and gives signals back to the actor, which owns the
//! participant's WebSocket. Nothing outside this module imports `rtc`.
//!
//! - `core.rs`, `slots.rs` and `connections.rs`: the forwarding core, a pure value fed inputs
//!   (datagrams, maps, signalling, timeouts) that yields outputs (datagrams, signals);
//!   `forward.rs` holds its rules apart from any WebRTC machinery, `peer.rs` one connection,
//!   `demux.rs` which connection a datagram is for;
//! - `engine.rs`: the one socket loop around it, with batched I/O from `udp.rs`;
//! - `select.rs` and `speakers.rs`: the loudest voices, the active speaker and the videos each
//!   page shows (last-N), within fixed pools of slots;
//! - `tcp.rs`: ICE-TCP connections, for networks that block UDP;
//! - `turn.rs`: the TURN servers and short-lived credentials each offer carries.

mod connections;
mod core;
mod demux;
mod engine;
mod forward;
mod peer;
pub mod select;
mod slots;
mod speakers;
mod tcp;
#[cfg(test)]
mod tests;
pub mod turn;
mod udp;

pub use engine::{Media, MeetingMedia, Signals};
pub use plenary_shared::meeting::media::MediaMap;

use plenary_shared::media::MediaProblem;
use std::net::{IpAddr, Ipv4Addr};
use thiserror::Error;

/// The UDP port media uses by default (open it in the firewall).
pub const DEFAULT_MEDIA_PORT: u16 = 10_000;

/// The ICE-TCP port by default (open it too, for networks that block UDP).
pub const DEFAULT_MEDIA_TCP_PORT: u16 = 4443;

/// Why media could not be set up.
#[derive(Debug, Error)]
pub enum MediaError {
    #[error("WebRTC: {0}")]
    WebRtc(#[from] rtc::shared::error::Error),
    #[error("the media port could not be opened: {0}")]
    NoPort(String),
    #[error("the browser's answer was not usable: {0}")]
    BadAnswer(String),
    #[error("no offer is waiting for an answer")]
    NoOfferPending,
    #[error("the browser did not answer the media offer")]
    NoAnswer,
    #[error("the media connection was lost")]
    ConnectionLost,
    #[error("media: {0}")]
    Internal(String),
}

impl From<rtc::crypto::CryptoError> for MediaError {
    fn from(e: rtc::crypto::CryptoError) -> Self {
        MediaError::Internal(e.to_string())
    }
}

impl MediaError {
    /// What the client is told.
    pub fn problem(&self) -> MediaProblem {
        match self {
            MediaError::BadAnswer(_) => MediaProblem::BadAnswer,
            MediaError::NoOfferPending => MediaProblem::NoOfferPending,
            MediaError::NoAnswer => MediaProblem::NoAnswer,
            MediaError::ConnectionLost => MediaProblem::ConnectionLost,
            MediaError::WebRtc(_) | MediaError::NoPort(_) | MediaError::Internal(_) => {
                MediaProblem::ServerError
            }
        }
    }
}

/// How media reaches the network.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// The address the media socket binds to.
    pub bind: IpAddr,
    /// Its UDP port (0: any free one, for tests).
    pub port: u16,
    /// The address put in candidates instead, when the server is behind a 1:1 NAT.
    pub announce: Option<IpAddr>,
    /// The ICE-TCP listener's port (0: any free one), or none.
    pub tcp_port: Option<u16>,
    /// Whether offers carry the UDP candidate (tests turn it off to force TCP).
    pub offer_udp: bool,
    /// TURN servers and the ICE policy browsers are told.
    pub ice: turn::IceSettings,
    /// How many voices and videos each receiver gets at most.
    pub selection: select::Selection,
}

impl Default for MediaConfig {
    /// Loopback on a free port: what tests want.
    fn default() -> Self {
        MediaConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            announce: None,
            tcp_port: None,
            offer_udp: true,
            ice: turn::IceSettings::default(),
            selection: select::Selection::default(),
        }
    }
}
