//! The course's services, called for a host who clicks **Use course roster** or **Use course
//! groups**: an OAuth2 access token by client credentials with a client assertion signed by
//! the tool's key (1EdTech Security Framework §4.1), cached until shortly before it expires;
//! then the names-and-roles service (NRPS 2.0) and the course groups service, page by page
//! along `Link: rel="next"`. Every answer is bounded (pages, members, groups).

use super::Lti;
use super::client::FetchError;
use plenary_shared::lms::{CourseGroup, CourseMember};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use thiserror::Error;

pub const NRPS_SCOPE: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
pub const GROUPS_SCOPE: &str = "https://purl.imsglobal.org/spec/lti-gs/scope/contextgroup.readonly";

/// One paged course service: its scope, media type, the array each page holds, and a bound.
struct Service {
    scope: &'static str,
    accept: &'static str,
    field: &'static str,
    what: &'static str,
    max: usize,
}

const ROSTER: Service = Service {
    scope: NRPS_SCOPE,
    accept: "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
    field: "members",
    what: "roster",
    max: MAX_MEMBERS,
};

const GROUPS: Service = Service {
    scope: GROUPS_SCOPE,
    accept: "application/vnd.ims.lti-gs.v1.contextgroupcontainer+json",
    field: "groups",
    what: "groups",
    max: MAX_GROUPS,
};

/// Most pages of one service read.
pub const MAX_PAGES: usize = 100;
/// Most members and groups read.
pub const MAX_MEMBERS: usize = plenary_shared::meeting::plan::MAX_PLANNED_PEOPLE;
pub const MAX_GROUPS: usize = 200;

/// Why a course service gave nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ServiceError {
    #[error("the learning platform offers no {0} for this course")]
    NotOffered(&'static str),
    #[error("the learning platform refused a token: {0}")]
    Token(String),
    #[error("the learning platform's {what} could not be read: {error}")]
    Fetch {
        what: &'static str,
        error: FetchError,
    },
    #[error("cannot sign the token request: {0}")]
    Sign(String),
}

/// Access tokens by (platform, scope), with when they stop being used.
#[derive(Default)]
pub struct Tokens {
    cached: tokio::sync::Mutex<HashMap<(usize, String), (String, Instant)>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens")
    }
}

impl Lti {
    /// An access token for `scope` at platform `index`.
    async fn access_token(&self, index: usize, scope: &str) -> Result<String, ServiceError> {
        let mut cached = self.tokens.cached.lock().await;
        let key = (index, scope.to_owned());
        if let Some((token, until)) = cached.get(&key)
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let platform = self
            .registration
            .platforms
            .get(index)
            .ok_or(ServiceError::NotOffered("platform"))?;
        let now = super::now_secs();
        let jti = crate::secrets::token_256().map_err(|e| ServiceError::Sign(e.to_string()))?;
        let assertion = self
            .tool_key()
            .sign(&serde_json::json!({
                "iss": platform.client_id,
                "sub": platform.client_id,
                "aud": platform.token_url.as_str(),
                "iat": now,
                "exp": now + 300,
                "jti": jti,
            }))
            .map_err(|e| ServiceError::Sign(e.to_string()))?;
        let answer = self
            .client
            .post_form(
                platform.token_url.as_str(),
                &[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                    ("scope", scope),
                ],
            )
            .await
            .map_err(|e| ServiceError::Token(e.to_string()))?;
        let token = answer
            .json
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| ServiceError::Token("the answer has no access_token".into()))?
            .to_owned();
        let lifetime = answer
            .json
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(3600);
        // Used until a minute before it runs out.
        let until = Instant::now() + Duration::from_secs(lifetime.saturating_sub(60));
        cached.insert(key, (token.clone(), until));
        Ok(token)
    }

    /// Every page of a service, each page's `field` array joined, within the bounds.
    async fn pages(
        &self,
        index: usize,
        first: &str,
        service: &Service,
    ) -> Result<Vec<Value>, ServiceError> {
        let Service {
            scope,
            accept,
            field,
            what,
            max,
        } = *service;
        let token = self.access_token(index, scope).await?;
        let mut all = Vec::new();
        let mut next = Some(first.to_owned());
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            let answer = self
                .client
                .get_json(&url, Some(&token), accept)
                .await
                .map_err(|error| ServiceError::Fetch { what, error })?;
            if let Some(items) = answer.json.get(field).and_then(Value::as_array) {
                all.extend(items.iter().take(max.saturating_sub(all.len())).cloned());
            }
            if pages < MAX_PAGES && all.len() < max {
                next = answer.next;
            }
        }
        Ok(all)
    }

    /// The course's members (NRPS), when the launch offered the service.
    pub async fn roster(
        &self,
        index: usize,
        memberships_url: Option<&str>,
    ) -> Result<Vec<CourseMember>, ServiceError> {
        let url = memberships_url.ok_or(ServiceError::NotOffered("roster"))?;
        let issuer = self
            .registration
            .platforms
            .get(index)
            .map(|p| p.issuer.clone())
            .unwrap_or_default();
        let members = self.pages(index, url, &ROSTER).await?;
        Ok(members.iter().filter_map(|m| member(&issuer, m)).collect())
    }

    /// The course's groups, when the launch offered the service.
    pub async fn groups(
        &self,
        index: usize,
        groups_url: Option<&str>,
    ) -> Result<Vec<CourseGroup>, ServiceError> {
        let url = groups_url.ok_or(ServiceError::NotOffered("groups service"))?;
        let groups = self.pages(index, url, &GROUPS).await?;
        Ok(groups
            .iter()
            .filter_map(|g| {
                Some(CourseGroup {
                    id: g.get("id")?.as_str()?.to_owned(),
                    name: g.get("name")?.as_str()?.to_owned(),
                })
            })
            .collect())
    }
}

/// One NRPS member, if it has an id (`user_id`) and is active.
fn member(issuer: &str, m: &Value) -> Option<CourseMember> {
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    let status = text("status").unwrap_or_else(|| "Active".into());
    if status != "Active" {
        return None;
    }
    let user = text("user_id")?;
    let name = text("name")
        .or_else(|| {
            let n = format!(
                "{} {}",
                text("given_name").unwrap_or_default(),
                text("family_name").unwrap_or_default()
            );
            Some(n.trim().to_owned()).filter(|n| !n.is_empty())
        })
        .or_else(|| text("email"))
        .unwrap_or_else(|| user.clone());
    let list = |k: &str| -> Vec<String> {
        m.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().take(64).cloned().collect::<Vec<Value>>())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("group_id")?.as_str().map(str::to_owned),
                _ => None,
            })
            .collect()
    };
    Some(CourseMember {
        subject: format!("{issuer}#{user}"),
        name,
        roles: list("roles"),
        groups: list("group_enrollments"),
    })
}
