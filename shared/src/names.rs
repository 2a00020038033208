//! Validation of human-entered text (display names, room names, messages), shared by the server
//! (which enforces it) and the frontend (which can say what is wrong before sending).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest room name, in characters.
pub const MAX_ROOM_NAME_CHARS: usize = 64;

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextError {
    #[error("it is empty")]
    Empty,
    #[error("it is longer than {max} characters")]
    TooLong { max: usize },
    #[error("it contains control characters")]
    ControlCharacters,
}

/// Trims `raw` and checks it is 1..=`max` characters with no control characters.
pub fn clean_text(raw: &str, max: usize) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacters);
    }
    Ok(trimmed.to_owned())
}

/// Trims a topic or prompt: may be empty, up to `max` characters, line breaks allowed.
pub fn clean_topic(raw: &str, max: usize) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(TextError::ControlCharacters);
    }
    Ok(trimmed.to_owned())
}

/// Collapses runs of inner whitespace so "Ada   Lovelace" and "Ada Lovelace" are the same name.
pub fn clean_name(raw: &str) -> Result<String, TextError> {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    clean_text(&collapsed, MAX_NAME_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_collapsed() {
        assert_eq!(clean_name("  Ada \t Lovelace "), Ok("Ada Lovelace".into()));
    }

    #[test]
    fn empty_long_and_control_names_are_refused() {
        assert_eq!(clean_name("   "), Err(TextError::Empty));
        assert_eq!(
            clean_name(&"x".repeat(MAX_NAME_CHARS + 1)),
            Err(TextError::TooLong {
                max: MAX_NAME_CHARS
            })
        );
        assert_eq!(clean_text("a\u{7}b", 10), Err(TextError::ControlCharacters));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let name = "æ".repeat(MAX_NAME_CHARS);
        assert_eq!(clean_name(&name), Ok(name.clone()));
    }
}
