//! Plans made ahead of a meeting: rooms with names and topics, and the people meant for each,
//! identified by name or email. People are matched when they join, case- and
//! whitespace-insensitively; a match that would fit two people present is flagged, not guessed.

use serde::{Deserialize, Serialize};

/// Rooms and who belongs in them, decided before the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    pub rooms: Vec<PlannedRoom>,
}

/// One planned room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRoom {
    pub name: String,
    #[serde(default)]
    pub topic: String,
    /// Names or emails of the people meant for this room.
    pub members: Vec<String>,
}

/// How a name or email is compared: lower case, inner whitespace collapsed, trimmed.
pub fn identity_key(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A plausible email address, trimmed: one `@` with text on both sides, no spaces, at most 254
/// characters. `None` if it is not one.
pub fn clean_email(raw: &str) -> Option<String> {
    let e = raw.trim();
    let (local, domain) = e.split_once('@')?;
    let plausible = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then(|| e.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_spacing() {
        assert_eq!(identity_key("  Ada   LOVELACE "), "ada lovelace");
        assert_eq!(identity_key("Åse@Skole.no"), "åse@skole.no");
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert_eq!(clean_email(" kari@skole.no "), Some("kari@skole.no".into()));
        for bad in ["", "kari", "@skole.no", "kari@", "ka ri@skole.no", "a@b@c"] {
            assert_eq!(clean_email(bad), None, "{bad}");
        }
    }
}
