//! What the browser is told about ICE: the TURN servers it may relay through, with credentials
//! made for one participant and a few hours, never a long-lived password in the page. The
//! scheme is coturn's `use-auth-secret` ("TURN REST API"): the username is
//! `expiry:participant` (expiry in Unix seconds), the password the base64 HMAC-SHA1 of the
//! username under a secret the TURN server shares. Pure: the time is passed in.

use hmac::{Hmac, Mac};
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{IceConfig, IcePolicy, IceServer};
use sha1::Sha1;
use std::time::Duration;

/// How long a credential is good for by default: a school day. Every offer (each room move,
/// each reconnect) brings a fresh one; coturn checks it when an allocation is made.
pub const DEFAULT_TTL: Duration = Duration::from_secs(12 * 3600);

/// Most TURN URLs the server hands out (a browser tries each).
pub const MAX_URLS: usize = 8;

/// The TURN servers and the secret they share with this server.
#[derive(Debug, Clone)]
pub struct Turn {
    pub urls: Vec<String>,
    pub secret: String,
    pub ttl: Duration,
}

/// Everything the browser is told about ICE.
#[derive(Debug, Clone, Default)]
pub struct IceSettings {
    pub turn: Option<Turn>,
    /// `Relay` only in tests, to force the relay path.
    pub policy: IcePolicy,
}

impl IceSettings {
    /// The configuration for `who`'s next offer, at `unix_now` seconds.
    pub fn config_for(&self, who: ParticipantId, unix_now: u64) -> IceConfig {
        let servers = self
            .turn
            .iter()
            .filter(|t| !t.urls.is_empty())
            .map(|t| credentials(t, who, unix_now + t.ttl.as_secs()))
            .collect();
        IceConfig {
            servers,
            policy: self.policy,
        }
    }
}

/// The credential for `who`, good until `expiry` (Unix seconds).
pub fn credentials(turn: &Turn, who: ParticipantId, expiry: u64) -> IceServer {
    let username = format!("{expiry}:{}", who.0);
    IceServer {
        urls: turn.urls.clone(),
        credential: password(&turn.secret, &username),
        username,
    }
}

/// base64(HMAC-SHA1(secret, username)), as coturn computes it.
pub fn password(secret: &str, username: &str) -> String {
    use base64::Engine;
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a `--turn-url`: one of the schemes browsers accept, and a host.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = ["turn:", "turns:", "stun:"]
        .iter()
        .find_map(|s| url.strip_prefix(s))
        .ok_or_else(|| format!("{url}: a TURN URL starts with turn:, turns: or stun:"))?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(format!("{url}: no host after the scheme"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_coturns_hmac_sha1() {
        // RFC 2202's test case 2 for HMAC-SHA1, in base64.
        assert_eq!(
            password("Jefe", "what do ya want for nothing?"),
            "7/zfauXrL6LSdBbV8YTfnCWafHk="
        );
    }

    #[test]
    fn credentials_name_the_participant_and_their_expiry() {
        let turn = Turn {
            urls: vec!["turn:127.0.0.1:3478".into()],
            secret: "s3cret".into(),
            ttl: Duration::from_secs(600),
        };
        let settings = IceSettings {
            turn: Some(turn),
            policy: IcePolicy::All,
        };
        let ice = settings.config_for(ParticipantId(42), 1_000);
        assert_eq!(ice.servers.len(), 1);
        assert_eq!(ice.servers[0].username, "1600:42");
        assert_eq!(ice.servers[0].credential, password("s3cret", "1600:42"));
        assert_ne!(
            settings.config_for(ParticipantId(43), 1_000).servers[0].credential,
            ice.servers[0].credential
        );
        assert!(
            IceSettings::default()
                .config_for(ParticipantId(1), 0)
                .servers
                .is_empty()
        );
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("turn:turn.example.org:3478?transport=tcp").is_ok());
        assert!(check_url("turns:turn.example.org:443").is_ok());
        assert!(check_url("http://turn.example.org").is_err());
        assert!(check_url("turn:").is_err());
    }
}
