//! Newtype identifiers, so a participant id can never be passed where a room id is expected.
//!
//! Identifiers are minted outside this crate (the server owns randomness); here they are only
//! carried, compared and serialised.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A participant inside one meeting. Assigned by the meeting in join order; never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParticipantId(pub u32);

/// A breakout room inside one meeting. Assigned by the meeting; never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoomId(pub u32);

/// A help request raised by a participant in a breakout room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HelpRequestId(pub u32);

/// The public identifier of a meeting, as it appears in the participant link.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MeetingId(pub String);

/// The host capability: whoever presents it joins as host. Never shown to participants.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HostSecret(pub String);

/// A per-participant resume capability, handed out on join.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionToken(pub String);

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Secrets must never end up in logs through a stray `{:?}`.
impl fmt::Debug for HostSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HostSecret(..)")
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

impl HostSecret {
    /// Compares in time independent of where the first difference is.
    pub fn matches(&self, other: &HostSecret) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl SessionToken {
    /// Compares in time independent of where the first difference is.
    pub fn matches(&self, other: &SessionToken) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_value_and_never_print() {
        let a = HostSecret("abc".into());
        assert!(a.matches(&HostSecret("abc".into())));
        assert!(!a.matches(&HostSecret("abd".into())));
        assert!(!a.matches(&HostSecret("ab".into())));
        assert_eq!(format!("{a:?}"), "HostSecret(..)");
        assert_eq!(
            format!("{:?}", SessionToken("t".into())),
            "SessionToken(..)"
        );
    }

    #[test]
    fn ids_serialise_transparently() {
        assert_eq!(
            serde_json::to_string(&ParticipantId(7)).ok().as_deref(),
            Some("7")
        );
        assert_eq!(
            serde_json::to_string(&MeetingId("x".into()))
                .ok()
                .as_deref(),
            Some("\"x\"")
        );
    }
}
