//! The media seam. The meeting actor tells the media layer only *who may receive whom*; the media
//! layer (a WebRTC SFU built on the `webrtc` crate, which nothing outside this module imports)
//! forwards packets accordingly. Media itself arrives with the media issue; the seam is fixed now
//! so the actor's side does not change when it does.

use plenary_shared::ids::ParticipantId;

/// Which participants share a place (the main session or one breakout room) and so exchange media.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    /// Each group receives only its own members' media.
    pub groups: Vec<Vec<ParticipantId>>,
}

/// What the meeting actor needs from a media layer.
pub trait MediaRouter: Send {
    /// Re-points forwarding to match `membership`.
    fn set_membership(&mut self, membership: &Membership);
}
