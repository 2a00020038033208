//! The media seam. The meeting actor tells the media layer only *who may receive whom* — the
//! engine's `MediaMap` — after every change; the media layer (a WebRTC SFU built on the `webrtc`
//! crate, which nothing outside this module imports) forwards packets accordingly. Until the SFU
//! lands, `NoMedia` stands in.

pub use plenary_shared::meeting::media::MediaMap;

/// What the meeting actor needs from a media layer.
pub trait MediaRouter: Send {
    /// Re-points forwarding to match `map`: called whenever it changes.
    fn update(&mut self, map: &MediaMap);
}

/// A media layer that forwards nothing (signalling only, until the SFU lands).
#[derive(Debug, Default)]
pub struct NoMedia;

impl MediaRouter for NoMedia {
    fn update(&mut self, _map: &MediaMap) {}
}
