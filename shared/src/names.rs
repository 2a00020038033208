//! Validation of human-entered text (display names, room names, messages), shared by the server
//! (which enforces it) and the frontend (which can say what is wrong before sending).
//!
//! Text that people read must not deceive them: invisible characters (zero-width spaces, Hangul
//! fillers, soft hyphens, byte-order marks) and bidirectional overrides and isolates (which turn
//! `\u{202e}NIMDA tsoH` into "Host ADMIN" on screen) are stripped, and a name must keep at least
//! one visible character. Letters of every script, combining accents and emoji stay: a zero-width
//! joiner or non-joiner is kept between two visible characters (emoji sequences like 👩‍💻,
//! Persian words), variation selectors after a visible character (❤️), and tag characters only
//! inside a flag's tag sequence (🏴 followed by tags).
//!
//! The list of invisible characters is written out here rather than taken from a Unicode-table
//! crate: this module also runs in the browser, and a general-category table would cost more of
//! the frontend's size budget than the twenty ranges below.

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
    #[error("it has no visible characters")]
    NothingVisible,
}

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';
const BLACK_FLAG: char = '\u{1F3F4}';

/// Characters that render as nothing (format characters, fillers, blanks) or reorder text.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{0600}'..='\u{0605}' | '\u{06DD}' | '\u{070F}' | '\u{0890}' | '\u{0891}' | '\u{08E2}'
        | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

fn is_tag(c: char) -> bool {
    matches!(c, '\u{E0020}'..='\u{E007F}')
}

/// Whether `c` shows something on screen by itself.
fn is_visible(c: char) -> bool {
    !c.is_whitespace()
        && !c.is_control()
        && !is_invisible(c)
        && !is_variation_selector(c)
        && c != ZWJ
        && c != ZWNJ
}

/// Removes invisible and reordering characters, keeping joiners, variation selectors and flag
/// tags where they belong to what is around them.
pub fn strip_invisible(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len());
    let mut last_kept: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        let keep = if c == ZWJ || c == ZWNJ {
            let before = last_kept.is_some_and(|p| is_visible(p) || is_variation_selector(p));
            let after = chars.get(i + 1).is_some_and(|n| is_visible(*n));
            before && after
        } else if is_variation_selector(c) {
            last_kept.is_some_and(is_visible)
        } else if is_tag(c) {
            last_kept.is_some_and(|p| p == BLACK_FLAG || is_tag(p))
        } else {
            !is_invisible(c)
        };
        if keep {
            out.push(c);
            last_kept = Some(c);
        }
    }
    out
}

/// Strips invisible characters, trims, and checks `raw` is 1..=`max` characters with something
/// visible and no control characters.
pub fn clean_text(raw: &str, max: usize) -> Result<String, TextError> {
    let stripped = strip_invisible(raw);
    let trimmed = stripped.trim();
    if trimmed.is_empty() {
        return Err(if raw.trim().is_empty() {
            TextError::Empty
        } else {
            TextError::NothingVisible
        });
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacters);
    }
    if !trimmed.chars().any(is_visible) {
        return Err(TextError::NothingVisible);
    }
    Ok(trimmed.to_owned())
}

/// Cleans text of several lines (a topic, a chat message): strips invisible characters, makes
/// every line break a `\n`, trims each line's end, collapses runs of blank lines into one, and
/// trims the whole. May come out empty; at most `max` characters.
pub fn clean_topic(raw: &str, max: usize) -> Result<String, TextError> {
    let unified = raw
        .replace("\r\n", "\n")
        .replace(['\r', '\u{2028}', '\u{2029}', '\u{85}'], "\n");
    let stripped = strip_invisible(&unified);
    let mut out = String::with_capacity(stripped.len());
    let mut blank_run = 0usize;
    for line in stripped.split('\n') {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(line);
    }
    let out = out.trim().to_owned();
    if out.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if out.chars().any(|c| c.is_control() && c != '\n') {
        return Err(TextError::ControlCharacters);
    }
    Ok(out)
}

/// A chat message or broadcast of several lines: like `clean_topic`, and it must show something.
pub fn clean_message(raw: &str, max: usize) -> Result<String, TextError> {
    let text = clean_topic(raw, max)?;
    if text.is_empty() {
        return Err(if raw.trim().is_empty() {
            TextError::Empty
        } else {
            TextError::NothingVisible
        });
    }
    if !text.chars().any(is_visible) {
        return Err(TextError::NothingVisible);
    }
    Ok(text)
}

/// Collapses runs of inner whitespace so "Ada   Lovelace" and "Ada Lovelace" are the same name.
pub fn clean_name(raw: &str) -> Result<String, TextError> {
    let stripped = strip_invisible(raw);
    let collapsed = stripped.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() && !raw.trim().is_empty() {
        return Err(TextError::NothingVisible);
    }
    clean_text(&collapsed, MAX_NAME_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_collapsed() {
        assert_eq!(clean_name("  Ada \t Lovelace "), Ok("Ada Lovelace".into()));
        assert_eq!(clean_name("Ada\u{3000}Lovelace"), Ok("Ada Lovelace".into()));
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

    #[test]
    fn invisible_only_names_are_refused() {
        for raw in [
            "\u{200B}\u{200B}",
            "\u{3164}",
            "\u{2800}\u{2800}",
            "\u{FEFF}",
            "\u{200D}",
            "\u{115F}\u{1160}",
            " \u{00AD} ",
            "\u{FE0F}",
        ] {
            assert_eq!(clean_name(raw), Err(TextError::NothingVisible), "{raw:?}");
            assert_eq!(clean_message(raw, 100), Err(TextError::NothingVisible));
        }
    }

    #[test]
    fn bidi_overrides_and_hidden_characters_are_stripped() {
        assert_eq!(clean_name("\u{202E}NIMDA tsoH"), Ok("NIMDA tsoH".into()));
        assert_eq!(clean_name("Ho\u{200B}st"), Ok("Host".into()));
        assert_eq!(clean_name("\u{2066}Kari\u{2069}"), Ok("Kari".into()));
        assert_eq!(clean_name("Per\u{200F}"), Ok("Per".into()));
        assert_eq!(clean_text("Room\u{00AD} 1", 64), Ok("Room 1".into()));
    }

    #[test]
    fn letters_of_every_script_and_emoji_stay() {
        for name in [
            "Åse Ødegård",
            "Nguyễn Văn An",
            "محمد",
            "שרה",
            "王小明",
            "Ольга",
            "می\u{200C}خواهم",
            "👩\u{200D}💻 Ada",
            "❤\u{FE0F} Kari",
            "🇳🇴 Ola",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Iain",
            "e\u{0301}mile",
        ] {
            assert_eq!(clean_name(name), Ok(name.to_owned()), "{name:?}");
        }
    }

    #[test]
    fn stray_joiners_and_tags_go() {
        assert_eq!(clean_name("\u{200D}Ada\u{200D}"), Ok("Ada".into()));
        assert_eq!(clean_name("A\u{E0041}da"), Ok("Ada".into()));
        assert_eq!(
            clean_name("Ada \u{200C} Lovelace"),
            Ok("Ada Lovelace".into())
        );
    }

    #[test]
    fn messages_collapse_blank_lines() {
        let spam = format!("hi{}there", "\n".repeat(999));
        assert_eq!(clean_message(&spam, 1000), Ok("hi\n\nthere".into()));
        assert_eq!(
            clean_message("a\r\n \r\n\u{200B}\n\nb\nc  \n", 100),
            Ok("a\n\nb\nc".into())
        );
        assert_eq!(clean_message("\n\n\n", 100), Err(TextError::Empty));
        assert_eq!(clean_topic("", 10), Ok(String::new()));
        assert_eq!(clean_message("x\u{2028}y", 10), Ok("x\ny".into()));
    }
}
