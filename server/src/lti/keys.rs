//! The tool's own keys, kept in the data directory: the RSA key it signs LTI messages with
//! (deep-linking responses, service token assertions), published at `/lti/jwks`, and the
//! secret that signs launch tickets, the short-lived tokens a launched page joins with.
//! Both are made on first start and read back afterwards, so registrations and open pages
//! survive a restart.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use std::path::Path;
use thiserror::Error;

/// Bits of the tool's RSA key.
pub const RSA_BITS: usize = 2048;
const RSA_FILE: &str = "lti-tool-key.der";
const TICKET_FILE: &str = "lti-ticket.key";

/// Why the keys cannot be had.
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("cannot read or write {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path} does not hold a key this tool made: {detail}")]
    Corrupt { path: String, detail: String },
    #[error("cannot make a key: {0}")]
    Make(String),
    #[error("cannot sign: {0}")]
    Sign(String),
}

/// The tool's RSA key.
#[derive(Clone)]
pub struct ToolKey {
    kid: String,
    encoding: EncodingKey,
    /// The public key as a JWK (`n`, `e`, base64url).
    n: String,
    e: String,
}

impl std::fmt::Debug for ToolKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ToolKey({})", self.kid)
    }
}

impl ToolKey {
    /// Reads the key from `dir`, making and saving one if there is none. Making a key takes a
    /// while (a fraction of a second optimised): call it off the async threads.
    pub fn load_or_make(dir: &Path) -> Result<ToolKey, KeyError> {
        let path = dir.join(RSA_FILE);
        let der = match std::fs::read(&path) {
            Ok(der) => der,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, RSA_BITS)
                    .map_err(|e| KeyError::Make(e.to_string()))?;
                let der = key
                    .to_pkcs1_der()
                    .map_err(|e| KeyError::Make(e.to_string()))?
                    .as_bytes()
                    .to_vec();
                write_private(&path, &der)?;
                tracing::info!(path = %path.display(), "made the tool's LTI signing key");
                der
            }
            Err(error) => return Err(io(&path, error)),
        };
        ToolKey::from_der(&der).map_err(|detail| KeyError::Corrupt {
            path: path.display().to_string(),
            detail,
        })
    }

    /// The key from its PKCS#1 DER form.
    pub fn from_der(der: &[u8]) -> Result<ToolKey, String> {
        let key = rsa::RsaPrivateKey::from_pkcs1_der(der).map_err(|e| e.to_string())?;
        let n = key.n().to_bytes_be();
        let e = key.e().to_bytes_be();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(&n)[..12]);
        Ok(ToolKey {
            kid,
            encoding: EncodingKey::from_rsa_der(der),
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
        })
    }

    /// The key's id, as put in every header it signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key set published at `/lti/jwks`.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "kid": self.kid,
                "n": self.n,
                "e": self.e,
            }]
        })
    }

    /// Signs `claims` as an RS256 JWT with this key's id.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }
}

/// The secret launch tickets are signed with (HS256).
#[derive(Clone)]
pub struct TicketKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketKey(..)")
    }
}

/// The audience every ticket names, so no other token of ours passes as one.
const TICKET_AUDIENCE: &str = "plenary-launch";

impl TicketKey {
    /// Reads the secret from `dir`, making one (256 random bits) if there is none.
    pub fn load_or_make(dir: &Path) -> Result<TicketKey, KeyError> {
        let path = dir.join(TICKET_FILE);
        let secret = match std::fs::read(&path) {
            Ok(secret) if secret.len() == 32 => secret,
            Ok(_) => {
                return Err(KeyError::Corrupt {
                    path: path.display().to_string(),
                    detail: "not 32 bytes".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = vec![0u8; 32];
                getrandom::fill(&mut secret).map_err(|e| KeyError::Make(e.to_string()))?;
                write_private(&path, &secret)?;
                secret
            }
            Err(error) => return Err(io(&path, error)),
        };
        Ok(TicketKey::from_secret(&secret))
    }

    /// A key from raw secret bytes.
    pub fn from_secret(secret: &[u8]) -> TicketKey {
        TicketKey {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Signs a ticket. `claims` must carry `exp` (seconds since the epoch).
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let mut value = serde_json::to_value(claims).map_err(|e| KeyError::Sign(e.to_string()))?;
        if let Some(map) = value.as_object_mut() {
            map.insert("aud".into(), TICKET_AUDIENCE.into());
        }
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &value, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Reads a ticket this key signed, if it did and `exp` is after `now_secs`.
    pub fn open<T: DeserializeOwned>(&self, ticket: &str, now_secs: u64) -> Option<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[TICKET_AUDIENCE]);
        validation.validate_exp = false;
        validation.leeway = 0;
        let data =
            jsonwebtoken::decode::<serde_json::Value>(ticket, &self.decoding, &validation).ok()?;
        let exp = data.claims.get("exp")?.as_u64()?;
        if exp <= now_secs {
            return None;
        }
        serde_json::from_value(data.claims).ok()
    }
}

fn io(path: &Path, error: std::io::Error) -> KeyError {
    KeyError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// Writes a secret file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| io(path, e))?;
    file.write_all(bytes).map_err(|e| io(path, e))?;
    file.sync_all().map_err(|e| io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tool_key_is_made_once_and_verifies_against_its_jwks() {
        let dir = std::env::temp_dir().join(format!("plenary-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let key = ToolKey::load_or_make(&dir).expect("made");
        let again = ToolKey::load_or_make(&dir).expect("read back");
        assert_eq!(key.kid(), again.kid());
        let token = key
            .sign(&serde_json::json!({"hello": "world", "exp": 4_000_000_000u64}))
            .expect("signed");
        let jwks = key.jwks();
        let jwk = &jwks["keys"][0];
        let decoding = DecodingKey::from_rsa_components(
            jwk["n"].as_str().expect("n"),
            jwk["e"].as_str().expect("e"),
        )
        .expect("public key");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &decoding,
            &Validation::new(Algorithm::RS256),
        )
        .expect("verifies");
        assert_eq!(data.claims["hello"], "world");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tickets_open_only_with_their_key_and_before_expiry() {
        let key = TicketKey::from_secret(&[7u8; 32]);
        let ticket = key
            .sign(&serde_json::json!({"who": "ada", "exp": 1_000u64}))
            .expect("signed");
        let opened: Option<serde_json::Value> = key.open(&ticket, 999);
        assert_eq!(opened.expect("valid")["who"], "ada");
        assert!(key.open::<serde_json::Value>(&ticket, 1_000).is_none());
        let other = TicketKey::from_secret(&[8u8; 32]);
        assert!(other.open::<serde_json::Value>(&ticket, 999).is_none());
        let mut forged = ticket.clone();
        forged.pop();
        assert!(key.open::<serde_json::Value>(&forged, 999).is_none());
    }
}
