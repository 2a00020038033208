//! The checks of an LTI 1.3 `id_token` (1EdTech Security Framework §5.1.3 and LTI Core §5),
//! apart from where keys come from: the signature (RS256 only, by `jsonwebtoken`) and then each
//! claim, by hand where the library has no such check (several audiences and `azp`, `iat`, the
//! LTI claims). Time and the expected nonce are passed in, so every refusal is unit-tested.

use super::registration::Platform;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use thiserror::Error;

/// Seconds of clock difference allowed with the platform.
pub const LEEWAY_SECS: u64 = 60;
/// An `id_token` issued longer ago than this is refused even if its `exp` is far off.
pub const MAX_AGE_SECS: u64 = 3600;

const CLAIM: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const DEEP_LINKING: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
const NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
const GROUPS: &str = "https://purl.imsglobal.org/spec/lti-gs/claim/groupsservice";

/// Why a launch is refused. Each says what was wrong, for the page and the log.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LaunchError {
    #[error("the launch is not a signed token: {0}")]
    Malformed(String),
    #[error("the token is signed with {0}, but only RS256 is accepted")]
    WrongAlgorithm(String),
    #[error("the token's key `{0}` is not among the platform's published keys")]
    UnknownKey(String),
    #[error("the token names no key (`kid`)")]
    NoKeyId,
    #[error("the platform's keys could not be fetched: {0}")]
    KeysUnavailable(String),
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token is from `{found}`, not from the platform this login began with")]
    WrongIssuer { found: String },
    #[error("the token is not addressed to this tool (client id `{0}`)")]
    WrongAudience(String),
    #[error("the token names several audiences but no authorised party (`azp`)")]
    NoAuthorisedParty,
    #[error("the token's authorised party (`azp`) is not this tool")]
    WrongAuthorisedParty,
    #[error("the token is also addressed to `{0}`, which this tool does not trust")]
    UntrustedAudience(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued in the future (check the platform's clock)")]
    IssuedInFuture,
    #[error("the token was issued too long ago")]
    TooOld,
    #[error("the token lacks `{0}`")]
    Missing(&'static str),
    #[error("this launch was already used; launch again from the course")]
    Replayed,
    #[error("the token's nonce is not the one this login sent")]
    WrongNonce,
    #[error(
        "the login could not be matched (unknown or expired `state`); launch again from the course"
    )]
    BadState,
    #[error("deployment `{0}` is not registered with this tool")]
    UnknownDeployment(String),
    #[error("LTI version `{0}` is not 1.3.0")]
    WrongVersion(String),
    #[error("message type `{0}` is not one this tool handles")]
    UnknownMessageType(String),
    #[error("the launch is meant for `{0}`, not this tool")]
    WrongTarget(String),
    #[error("no platform is registered for issuer `{0}`")]
    UnknownPlatform(String),
    #[error("too many logins are in progress; try again in a minute")]
    Busy,
}

/// What a launch asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Open the meeting of a course's link.
    ResourceLink { id: String, title: Option<String> },
    /// An instructor is adding the tool to a course: pick what to add.
    DeepLinking {
        return_url: String,
        data: Option<String>,
    },
}

/// A checked launch: who, from where, asking what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub issuer: String,
    pub deployment_id: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub context_id: Option<String>,
    pub context_title: Option<String>,
    /// Earlier ids of this course (a copy's ancestors), from `$Context.id.history`.
    pub context_history: Vec<String>,
    pub message: Message,
    /// The names and roles service (NRPS) of the course, when offered.
    pub memberships_url: Option<String>,
    /// The course groups service, when offered.
    pub groups_url: Option<String>,
    /// The start the instructor picked when adding the link (ms since 1970, from deep linking).
    pub start_ms: Option<u64>,
    pub nonce: String,
}

/// The `alg` and `kid` of a token, read before anything is trusted.
pub fn key_id(token: &str) -> Result<String, LaunchError> {
    // `jsonwebtoken` knows no `none`: read the header ourselves to say what it was.
    let header_b64 = token
        .split('.')
        .next()
        .ok_or_else(|| LaunchError::Malformed("no header".into()))?;
    let header: Value = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        header_b64.trim_end_matches('='),
    )
    .ok()
    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
    .ok_or_else(|| LaunchError::Malformed("the header is not base64url JSON".into()))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != "RS256" {
        return Err(LaunchError::WrongAlgorithm(alg.to_owned()));
    }
    header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(LaunchError::NoKeyId)
}

/// Checks the signature with `key` and returns the claims (none checked yet).
pub fn verified_claims(token: &str, key: &DecodingKey) -> Result<Value, LaunchError> {
    let mut validation = Validation::new(Algorithm::RS256);
    // Every claim is checked below, against a passed-in clock.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => LaunchError::BadSignature,
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                LaunchError::WrongAlgorithm("another algorithm".into())
            }
            _ => LaunchError::Malformed(e.to_string()),
        })
}

fn string(claims: &Value, key: &str) -> Option<String> {
    claims
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

fn lti(claims: &Value, name: &str) -> Option<Value> {
    claims.get(format!("{CLAIM}{name}")).cloned()
}

/// Checks the claims of a verified token from `platform`, at `now_secs`, for a login that sent
/// `nonce`, on a tool at `tool_url`. Whether the nonce was used before is the caller's check.
pub fn check_claims(
    claims: &Value,
    platform: &Platform,
    tool_url: &str,
    nonce: &str,
    now_secs: u64,
) -> Result<Launch, LaunchError> {
    let issuer = string(claims, "iss").ok_or(LaunchError::Missing("iss"))?;
    if issuer != platform.issuer {
        return Err(LaunchError::WrongIssuer { found: issuer });
    }
    let audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(all)) => all
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => return Err(LaunchError::Missing("aud")),
    };
    if !audiences.contains(&platform.client_id) {
        return Err(LaunchError::WrongAudience(platform.client_id.clone()));
    }
    match string(claims, "azp") {
        Some(azp) if azp != platform.client_id => return Err(LaunchError::WrongAuthorisedParty),
        None if audiences.len() > 1 => return Err(LaunchError::NoAuthorisedParty),
        _ => {}
    }
    if let Some(other) = audiences
        .iter()
        .find(|a| **a != platform.client_id && !platform.trusted_audiences.contains(a))
    {
        return Err(LaunchError::UntrustedAudience(other.clone()));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or(LaunchError::Missing("exp"))?;
    if exp.saturating_add(LEEWAY_SECS) <= now_secs {
        return Err(LaunchError::Expired);
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or(LaunchError::Missing("iat"))?;
    if iat > now_secs.saturating_add(LEEWAY_SECS) {
        return Err(LaunchError::IssuedInFuture);
    }
    if iat.saturating_add(MAX_AGE_SECS) < now_secs {
        return Err(LaunchError::TooOld);
    }
    let token_nonce = string(claims, "nonce").ok_or(LaunchError::Missing("nonce"))?;
    if !constant_time_eq(token_nonce.as_bytes(), nonce.as_bytes()) {
        return Err(LaunchError::WrongNonce);
    }
    let deployment_id = lti(claims, "deployment_id")
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or(LaunchError::Missing("deployment_id"))?;
    if !platform.deployment_ids.contains(&deployment_id) {
        return Err(LaunchError::UnknownDeployment(deployment_id));
    }
    let version = lti(claims, "version")
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or(LaunchError::Missing("version"))?;
    if version != "1.3.0" {
        return Err(LaunchError::WrongVersion(version));
    }
    let message_type = lti(claims, "message_type")
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or(LaunchError::Missing("message_type"))?;
    let target = lti(claims, "target_link_uri")
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or(LaunchError::Missing("target_link_uri"))?;
    if !is_under(&target, tool_url) {
        return Err(LaunchError::WrongTarget(target));
    }
    let message = match message_type.as_str() {
        "LtiResourceLinkRequest" => {
            let link = lti(claims, "resource_link").unwrap_or(Value::Null);
            let id = string(&link, "id").ok_or(LaunchError::Missing("resource_link.id"))?;
            Message::ResourceLink {
                id,
                title: string(&link, "title"),
            }
        }
        "LtiDeepLinkingRequest" => {
            let settings = claims.get(DEEP_LINKING).cloned().unwrap_or(Value::Null);
            Message::DeepLinking {
                return_url: string(&settings, "deep_link_return_url")
                    .ok_or(LaunchError::Missing("deep_link_return_url"))?,
                data: string(&settings, "data"),
            }
        }
        other => return Err(LaunchError::UnknownMessageType(other.to_owned())),
    };
    // An anonymous launch cannot be planned or given a role: this tool needs who it is.
    let subject = string(claims, "sub").ok_or(LaunchError::Missing("sub"))?;
    let roles = lti(claims, "roles")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .take(plenary_shared::lms::MAX_ROLES)
        .map(str::to_owned)
        .collect();
    let context = lti(claims, "context").unwrap_or(Value::Null);
    let custom = lti(claims, "custom").unwrap_or(Value::Null);
    let context_history = string(&custom, "context_history")
        .filter(|h| !h.starts_with('$'))
        .map(|h| {
            h.split(',')
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .take(32)
                .collect()
        })
        .unwrap_or_default();
    let name = string(claims, "name")
        .or_else(|| {
            let given = string(claims, "given_name").unwrap_or_default();
            let family = string(claims, "family_name").unwrap_or_default();
            Some(format!("{given} {family}").trim().to_owned()).filter(|n| !n.is_empty())
        })
        .unwrap_or_else(|| "Guest".to_owned());
    let service = |claim: &str, field: &str| {
        claims
            .get(claim)
            .and_then(|s| string(s, field))
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    };
    Ok(Launch {
        issuer,
        deployment_id,
        subject,
        name,
        email: string(claims, "email"),
        roles,
        context_id: string(&context, "id"),
        context_title: string(&context, "title"),
        context_history,
        message,
        memberships_url: service(NRPS, "context_memberships_url"),
        groups_url: service(GROUPS, "context_groups_url"),
        start_ms: string(&custom, "start_ms").and_then(|ms| ms.trim().parse().ok()),
        nonce: token_nonce,
    })
}

/// Whether `target` is `tool_url` or a path under it.
pub(super) fn is_under(target: &str, tool_url: &str) -> bool {
    let base = tool_url.trim_end_matches('/');
    target == base
        || target
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
