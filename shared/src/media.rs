//! Media signalling: the messages that set up and re-point each participant's one WebRTC
//! connection to the server. The server always makes the offer (so there is never glare): its
//! first offer has three receive-only slots for what the participant publishes (microphone,
//! camera, screen), and every later offer adds or parks the tracks they receive as people move.
//! Each offer names, by `mid`, which slot is which and whose media every received track carries,
//! so a client never has to guess from stream ids.

use crate::ids::ParticipantId;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a participant's media is: one slot each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Microphone,
    Camera,
    Screen,
}

impl Source {
    /// All slots, in the order the server offers them.
    pub const ALL: [Source; 3] = [Source::Microphone, Source::Camera, Source::Screen];

    /// Whether this slot carries audio (else video).
    pub fn is_audio(self) -> bool {
        self == Source::Microphone
    }
}

/// Which `mid` of the offer carries each of the participant's own sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishSlots {
    pub microphone: String,
    pub camera: String,
    pub screen: String,
}

impl PublishSlots {
    /// The mid of one source's slot.
    pub fn mid(&self, source: Source) -> &str {
        match source {
            Source::Microphone => &self.microphone,
            Source::Camera => &self.camera,
            Source::Screen => &self.screen,
        }
    }
}

/// One track the participant receives: on `mid`, `from`'s `source`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedTrack {
    pub mid: String,
    pub from: ParticipantId,
    pub source: Source,
}

/// How big a receiver shows someone's video: the server sends the layer that size needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TileSize {
    /// A gallery thumbnail (up to about 320×180).
    Thumbnail,
    /// A tile of a small gallery (up to about 640×360).
    Medium,
    /// The speaker view's stage, a pinned tile or a shared screen.
    Large,
}

/// One tile a page shows: whose video, and how big.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tile {
    pub who: ParticipantId,
    pub size: TileSize,
}

/// A `View` names at most this many tiles (a gallery page of 49 and then some); a longer one
/// is refused.
pub const MAX_VIEW_TILES: usize = 100;

/// A STUN or TURN server the browser may use, as `RTCIceServer` has it. TURN credentials are
/// short-lived (the coturn "TURN REST API" scheme) and come again with every offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: String,
    pub credential: String,
}

/// Which candidates the browser may use (`RTCIceTransportPolicy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IcePolicy {
    /// Direct paths (UDP, then TCP) and relays alike; the browser prefers the direct ones.
    #[default]
    All,
    /// Only through a TURN relay (a test setting: it forces the relay path).
    Relay,
}

/// How the browser should reach the server's media port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceConfig {
    pub servers: Vec<IceServer>,
    pub policy: IcePolicy,
}

/// Client → server media messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSignal {
    /// Set up (or set up afresh, after a reload) this participant's connection: the server
    /// answers with an `Offer`.
    Start,
    /// The answer to the server's latest offer.
    Answer { sdp: String },
    /// Whether we send on `source`'s slot now (a camera turned off, a screen share ended):
    /// the others' tiles follow it.
    Sending { source: Source, on: bool },
    /// The tiles this page shows now, most important first (the pinned or stage tile, then
    /// the gallery page in order). The server sends video only for these (as many as the
    /// receiver's video slots hold), always adding the active speaker and shared screens.
    /// Until a page sends one, it gets every camera of its place its slots hold.
    View { tiles: Vec<Tile> },
    /// Tear down this participant's media (they stay in the meeting).
    Stop,
}

/// Server → client media messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerSignal {
    /// A new description to answer. `version` counts offers on this connection. `ice` is the
    /// configuration to set before answering (fresh TURN credentials each time).
    Offer {
        version: u32,
        ice: IceConfig,
        sdp: String,
        publish: PublishSlots,
        receive: Vec<ReceivedTrack>,
    },
    /// What the already negotiated slots carry now (the server re-points slots without a new
    /// offer when people move, speak or come into view). Lists every slot that carries media;
    /// a video slot is listed from the keyframe its new feed starts with.
    Receiving { receive: Vec<ReceivedTrack> },
    /// Who speaks in the participant's place, by the server's audio levels: the active speaker
    /// (kept at least a second, so it does not flap) and everyone audible now, in id order.
    Speakers {
        active: Option<ParticipantId>,
        speaking: Vec<ParticipantId>,
    },
    /// The connection could not be set up or broke; `Start` again to retry. `message` is
    /// `problem` in words, with detail.
    Failed {
        problem: MediaProblem,
        message: String,
    },
}

/// Why a media connection could not be set up or kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaProblem {
    #[error("the browser's answer could not be used")]
    BadAnswer,
    #[error("no offer is waiting for an answer")]
    NoOfferPending,
    #[error("the media connection was lost")]
    ConnectionLost,
    #[error("the browser did not answer the media offer")]
    NoAnswer,
    #[error("the server could not set up audio and video; please try again")]
    ServerError,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_tagged_json() {
        let json =
            serde_json::to_string(&ClientSignal::Answer { sdp: "v=0".into() }).expect("serialise");
        assert_eq!(json, r#"{"answer":{"sdp":"v=0"}}"#);
        let offer = ServerSignal::Offer {
            version: 1,
            ice: IceConfig {
                servers: vec![IceServer {
                    urls: vec!["turn:turn.example.org:3478?transport=udp".into()],
                    username: "1700000000:7".into(),
                    credential: "c2VjcmV0".into(),
                }],
                policy: IcePolicy::Relay,
            },
            sdp: "v=0".into(),
            publish: PublishSlots {
                microphone: "0".into(),
                camera: "1".into(),
                screen: "2".into(),
            },
            receive: vec![ReceivedTrack {
                mid: "3".into(),
                from: ParticipantId(7),
                source: Source::Camera,
            }],
        };
        let back: ServerSignal =
            serde_json::from_str(&serde_json::to_string(&offer).expect("serialise"))
                .expect("parse");
        assert_eq!(back, offer);
        assert!(Source::Microphone.is_audio() && !Source::Screen.is_audio());
    }
}
