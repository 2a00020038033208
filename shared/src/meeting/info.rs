//! What a meeting is called and who may walk in: its title, planned start, optional passcode and
//! the people the organiser wants as co-hosts. Set ahead of time on the planning page (or later by
//! the host); the passcode is checked on every join that lacks the host capability.
//!
//! Designated co-hosts are *suggested*, never promoted automatically: a typed name or email is not
//! proof of identity, so the host confirms with one click (`MakeCoHost`).

use super::command::CommandError;
use super::event::{Audience, Event};
use super::plan::identity_key;
use super::{Credential, Meeting};
use crate::ids::{ParticipantId, constant_time_eq};
use crate::names::{MAX_NAME_CHARS, clean_text};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest meeting title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Passcode length bounds, in characters, for a new passcode (a meeting saved with a shorter one
/// before this bound keeps working). Six characters at least: with the guessing throttle
/// (`throttle.rs`) a 6-digit code takes over a year to exhaust.
pub const PASSCODE_CHARS: std::ops::RangeInclusive<usize> = 6..=32;
/// Most designated co-hosts.
pub const MAX_CO_HOSTS: usize = 20;

/// The organiser's settings for a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MeetingInfo {
    /// May be empty (the app then shows its own name).
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub starts_at: Option<Timestamp>,
    /// Participants must give it to join; the host link does not need it.
    #[serde(default)]
    pub passcode: Option<String>,
    /// Names or emails of people the host means to make co-hosts.
    #[serde(default)]
    pub co_hosts: Vec<String>,
}

/// What anyone with the link may know before joining.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PublicInfo {
    pub title: String,
    pub starts_at: Option<Timestamp>,
    pub passcode_required: bool,
    /// The host ended the meeting: the join page says so instead of asking for a name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ended: bool,
}

impl MeetingInfo {
    /// Trims and checks every field; the error names the field in words.
    pub fn cleaned(&self) -> Result<MeetingInfo, CommandError> {
        let invalid = |reason: &str| CommandError::InvalidInfo {
            reason: reason.to_owned(),
        };
        let title = match self.title.trim() {
            "" => String::new(),
            t => clean_text(t, MAX_TITLE_CHARS).map_err(|p| invalid(&format!("the title: {p}")))?,
        };
        let passcode = match self.passcode.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => {
                let len = p.chars().count();
                if !PASSCODE_CHARS.contains(&len) || p.chars().any(char::is_whitespace) {
                    return Err(invalid(&format!(
                        "the passcode must be {} to {} characters without spaces",
                        PASSCODE_CHARS.start(),
                        PASSCODE_CHARS.end()
                    )));
                }
                Some(p.to_owned())
            }
        };
        let mut co_hosts: Vec<String> = Vec::new();
        for raw in &self.co_hosts {
            if raw.trim().is_empty() {
                continue;
            }
            let c = clean_text(raw, 254).map_err(|p| invalid(&format!("a co-host entry: {p}")))?;
            if !c.contains('@') && c.chars().count() > MAX_NAME_CHARS {
                return Err(invalid("a co-host name is too long"));
            }
            if !co_hosts.iter().any(|k| identity_key(k) == identity_key(&c)) {
                co_hosts.push(c);
            }
        }
        if co_hosts.len() > MAX_CO_HOSTS {
            return Err(invalid(&format!("at most {MAX_CO_HOSTS} co-hosts")));
        }
        Ok(MeetingInfo {
            title,
            starts_at: self.starts_at,
            passcode,
            co_hosts,
        })
    }

    /// The part everyone may see.
    pub fn public(&self) -> PublicInfo {
        PublicInfo {
            title: self.title.clone(),
            starts_at: self.starts_at,
            passcode_required: self.passcode.is_some(),
            ended: false,
        }
    }

    /// Whether someone with these identity keys is a designated co-host.
    fn designates(&self, keys: &[String]) -> bool {
        self.co_hosts
            .iter()
            .any(|c| keys.contains(&identity_key(c)))
    }
}

impl Meeting {
    /// The organiser's settings, for the holder of the host secret.
    pub fn info(&self) -> &MeetingInfo {
        &self.info
    }

    /// The settings anyone may see.
    pub fn public_info(&self) -> PublicInfo {
        PublicInfo {
            ended: self.ended,
            ..self.info.public()
        }
    }

    /// Refuses a participant without the right passcode. Hosts (by secret) need none.
    pub(super) fn check_passcode(
        &self,
        credential: &Credential,
        given: Option<&str>,
    ) -> Result<(), CommandError> {
        let (Some(expected), Credential::Participant) = (&self.info.passcode, credential) else {
            return Ok(());
        };
        match given.map(str::trim) {
            None | Some("") => Err(CommandError::PasscodeRequired),
            Some(g) if constant_time_eq(g.as_bytes(), expected.as_bytes()) => Ok(()),
            Some(_) => Err(CommandError::WrongPasscode),
        }
    }

    /// Whether someone with these identity keys was designated as a co-host. The flag is about
    /// identity, not role: the UI offers `Make co-host` only while they are a participant.
    pub(super) fn suggests(&self, keys: &[String]) -> bool {
        self.info.designates(keys)
    }

    /// Replaces the settings and tells everyone what they may see, with the new co-host
    /// suggestions.
    pub(super) fn set_info(&mut self, info: &MeetingInfo) -> Result<(), CommandError> {
        self.info = info.cleaned()?;
        let mut suggested: Vec<ParticipantId> = Vec::new();
        for (id, p) in &mut self.participants {
            p.suggested_co_host = self.info.designates(&p.keys);
            if p.suggested_co_host {
                suggested.push(*id);
            }
        }
        self.emit(
            Audience::Everyone,
            Event::InfoChanged {
                info: self.info.public(),
                suggested_co_hosts: suggested,
            },
        );
        Ok(())
    }
}
