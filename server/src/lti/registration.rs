//! The platforms this tool is registered with, read from the `--lti-config` TOML file, checked
//! once at start so a typo stops the server with its reason instead of failing a class later.
//!
//! ```toml
//! tool_url = "https://plenary.school.example"
//!
//! [[platform]]
//! name = "School Moodle"
//! issuer = "https://moodle.school.example"
//! client_id = "Xq3…"
//! deployment_ids = ["1"]
//! auth_url = "https://moodle.school.example/mod/lti/auth.php"
//! token_url = "https://moodle.school.example/mod/lti/token.php"
//! jwks_url = "https://moodle.school.example/mod/lti/certs.php"
//! ```

use serde::Deserialize;
use std::path::Path;
use thiserror::Error;
use url::Url;

/// Most platforms one file may register.
pub const MAX_PLATFORMS: usize = 100;
/// Most deployments of one platform.
pub const MAX_DEPLOYMENTS: usize = 100;

/// Why the registration file cannot be used.
#[derive(Debug, Error)]
pub enum RegistrationError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path} is not valid TOML for LTI: {error}")]
    Parse { path: String, error: String },
    #[error("{0}")]
    Invalid(String),
}

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tool_url: String,
    #[serde(default, rename = "platform")]
    platforms: Vec<PlatformFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformFile {
    name: String,
    issuer: String,
    client_id: String,
    deployment_ids: Vec<String>,
    auth_url: String,
    token_url: String,
    jwks_url: String,
    /// Audiences besides our client id the platform's tokens may name (rare).
    #[serde(default)]
    trusted_audiences: Vec<String>,
}

/// One registered platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub deployment_ids: Vec<String>,
    pub auth_url: Url,
    pub token_url: Url,
    pub jwks_url: Url,
    pub trusted_audiences: Vec<String>,
}

impl Platform {
    /// The origin the platform's pages are served from (its issuer's), for `frame-ancestors`.
    pub fn origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = [Url::parse(&self.issuer).ok(), Some(self.auth_url.clone())]
            .into_iter()
            .flatten()
            .filter(|u| u.scheme() == "https" || u.scheme() == "http")
            .map(|u| u.origin().ascii_serialization())
            .collect();
        origins.dedup();
        origins
    }
}

/// The tool's registration: where it is reached and with which platforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The tool's public base URL, without a trailing slash.
    pub tool_url: Url,
    pub platforms: Vec<Platform>,
}

impl Registration {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Registration, RegistrationError> {
        let text = std::fs::read_to_string(path).map_err(|error| RegistrationError::Read {
            path: path.display().to_string(),
            error,
        })?;
        Registration::parse(&text).map_err(|e| match e {
            RegistrationError::Parse { error, .. } => RegistrationError::Parse {
                path: path.display().to_string(),
                error,
            },
            other => other,
        })
    }

    /// Parses and checks a registration file's text.
    pub fn parse(text: &str) -> Result<Registration, RegistrationError> {
        let file: File = toml::from_str(text).map_err(|e| RegistrationError::Parse {
            path: "the LTI configuration".into(),
            error: e.to_string(),
        })?;
        let tool_url = web_url("tool_url", file.tool_url.trim_end_matches('/'))?;
        if file.platforms.len() > MAX_PLATFORMS {
            return Err(RegistrationError::Invalid(format!(
                "at most {MAX_PLATFORMS} platforms may be registered"
            )));
        }
        let mut platforms: Vec<Platform> = Vec::with_capacity(file.platforms.len());
        for p in file.platforms {
            let field = |what: &str| format!("platform `{}`: {what}", p.name);
            if p.issuer.trim().is_empty() || p.client_id.trim().is_empty() {
                return Err(RegistrationError::Invalid(field(
                    "issuer and client_id must not be empty",
                )));
            }
            if p.deployment_ids.is_empty() || p.deployment_ids.len() > MAX_DEPLOYMENTS {
                return Err(RegistrationError::Invalid(field(&format!(
                    "deployment_ids must list 1 to {MAX_DEPLOYMENTS} deployments"
                ))));
            }
            if platforms
                .iter()
                .any(|q| q.issuer == p.issuer && q.client_id == p.client_id)
            {
                return Err(RegistrationError::Invalid(field(
                    "registered twice (same issuer and client_id)",
                )));
            }
            platforms.push(Platform {
                auth_url: web_url(&field("auth_url"), &p.auth_url)?,
                token_url: web_url(&field("token_url"), &p.token_url)?,
                jwks_url: web_url(&field("jwks_url"), &p.jwks_url)?,
                name: p.name,
                issuer: p.issuer,
                client_id: p.client_id,
                deployment_ids: p.deployment_ids,
                trusted_audiences: p.trusted_audiences,
            });
        }
        Ok(Registration {
            tool_url,
            platforms,
        })
    }

    /// The platform with this issuer (and client id, when the platform names it: one issuer may
    /// register the tool more than once).
    pub fn platform(&self, issuer: &str, client_id: Option<&str>) -> Option<(usize, &Platform)> {
        let mut matching = self
            .platforms
            .iter()
            .enumerate()
            .filter(|(_, p)| p.issuer == issuer)
            .filter(|(_, p)| client_id.is_none_or(|c| p.client_id == c));
        let first = matching.next()?;
        // Ambiguous without a client id: refuse rather than guess.
        match matching.next() {
            Some(_) => None,
            None => Some(first),
        }
    }

    /// A URL of the tool: `path` (starting with `/`) under `tool_url`.
    pub fn tool(&self, path: &str) -> String {
        format!("{}{path}", self.tool_url.as_str().trim_end_matches('/'))
    }

    /// Every registered platform's origins, for `frame-ancestors`.
    pub fn origins(&self) -> Vec<String> {
        let mut all: Vec<String> = self.platforms.iter().flat_map(Platform::origins).collect();
        all.sort();
        all.dedup();
        all
    }
}

fn web_url(what: &str, raw: &str) -> Result<Url, RegistrationError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| RegistrationError::Invalid(format!("{what}: `{raw}` is not a URL ({e})")))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(RegistrationError::Invalid(format!(
            "{what}: `{raw}` must be an https:// URL"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
tool_url = "https://plenary.example/"

[[platform]]
name = "Moodle"
issuer = "https://moodle.example"
client_id = "abc"
deployment_ids = ["1"]
auth_url = "https://moodle.example/mod/lti/auth.php"
token_url = "https://moodle.example/mod/lti/token.php"
jwks_url = "https://moodle.example/mod/lti/certs.php"
"#;

    #[test]
    fn a_good_file_is_read() {
        let r = Registration::parse(GOOD).expect("parses");
        assert_eq!(r.tool("/lti/launch"), "https://plenary.example/lti/launch");
        assert_eq!(r.platforms.len(), 1);
        assert_eq!(r.origins(), vec!["https://moodle.example".to_owned()]);
        assert!(r.platform("https://moodle.example", None).is_some());
        assert!(r.platform("https://moodle.example", Some("abc")).is_some());
        assert!(r.platform("https://moodle.example", Some("xyz")).is_none());
        assert!(r.platform("https://other.example", None).is_none());
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let typo = GOOD.replace("jwks_url", "jwks_uri");
        let e = Registration::parse(&typo).expect_err("unknown field");
        assert!(e.to_string().contains("jwks_uri"), "{e}");
        let no_deployment = GOOD.replace(r#"["1"]"#, "[]");
        let e = Registration::parse(&no_deployment).expect_err("no deployments");
        assert!(e.to_string().contains("deployment_ids"), "{e}");
        let bad_url = GOOD.replace("https://moodle.example/mod/lti/auth.php", "moodle auth");
        let e = Registration::parse(&bad_url).expect_err("bad url");
        assert!(e.to_string().contains("auth_url"), "{e}");
        let twice = format!(
            "{GOOD}{}",
            &GOOD[GOOD.find("[[platform]]").expect("has one")..]
        );
        let e = Registration::parse(&twice).expect_err("twice");
        assert!(e.to_string().contains("twice"), "{e}");
    }
}
