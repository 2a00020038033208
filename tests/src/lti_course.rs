//! Driving the tool as a learning platform does, for the LTI tests: a simulated platform and
//! the real server registered with it, logins and launches over plain HTTP, and the session a
//! launch ticket opens.

use crate::client::Client;
use crate::lti::{Person, Platform};
use crate::{HarnessError, Result, TestServer, header_of, http_full};
use plenary_shared::api::LtiSession;
use serde_json::Value;
use std::collections::HashMap;

/// A platform and the tool registered with it.
pub struct Course {
    pub platform: Platform,
    pub server: TestServer,
    pub tool_url: String,
}

/// Starts both.
pub async fn course() -> Result<Course> {
    let platform = Platform::start().await?;
    let (server, tool_url) = crate::lti::start_tool(&platform).await?;
    Ok(Course {
        platform,
        server,
        tool_url,
    })
}

/// Someone of `course-1` launching `link`.
pub fn person(sub: &str, name: &str, role: &str, link: &str) -> Person {
    Person {
        sub: sub.into(),
        name: name.into(),
        roles: vec![role.into()],
        context: "course-1".into(),
        resource_link: link.into(),
    }
}

impl Course {
    /// Starts a login as the platform would; returns the authorisation request's query.
    pub async fn login(&self, hint: &str) -> Result<HashMap<String, String>> {
        let url = self.platform.login_url(&self.tool_url, hint);
        let path = &url[self.tool_url.len()..];
        let (status, head, _) = http_full(self.server.addr, "GET", path, &[], b"").await?;
        assert_eq!(status, 303, "a login redirects: {head}");
        let location = header_of(&head, "location").expect("a Location");
        let auth = url::Url::parse(&location).map_err(|e| HarnessError::Other(e.to_string()))?;
        assert_eq!(
            auth.as_str().split('?').next(),
            Some(format!("{}/auth", self.platform.issuer()).as_str())
        );
        Ok(auth.query_pairs().into_owned().collect())
    }

    /// Posts a launch; returns status, headers and body.
    pub async fn launch(&self, id_token: &str, state: &str) -> Result<(u16, String, String)> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token", id_token)
            .append_pair("state", state)
            .finish();
        http_full(
            self.server.addr,
            "POST",
            "/lti/launch",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
        .await
    }

    /// Logs in and launches as `who` with claims changed by `change`; returns the launch's
    /// answer.
    pub async fn launch_as(
        &self,
        who: &Person,
        change: impl FnOnce(&mut Value),
    ) -> Result<(u16, String, String)> {
        let auth = self.login(&who.sub).await?;
        let mut claims = self.platform.claims(who, &auth["nonce"]);
        change(&mut claims);
        let token = self.platform.key()?.sign(&claims)?;
        self.launch(&token, &auth["state"]).await
    }

    /// The ticket of a good launch.
    pub async fn ticket(&self, who: &Person) -> Result<String> {
        let (status, head, body) = self.launch_as(who, |_| {}).await?;
        assert_eq!(status, 303, "a good launch goes to the meeting: {body}");
        let location = header_of(&head, "location").expect("a Location");
        let ticket = location
            .strip_prefix("/lti/join#ticket=")
            .unwrap_or_else(|| panic!("to the join page: {location}"));
        Ok(ticket.to_owned())
    }

    pub async fn session(&self, ticket: &str) -> Result<(u16, String)> {
        let auth = format!("Bearer {ticket}");
        let (status, _, body) = http_full(
            self.server.addr,
            "GET",
            "/api/lti/session",
            &[("Authorization", &auth)],
            b"",
        )
        .await?;
        Ok((status, body))
    }

    /// The session of a ticket, which must be readable.
    pub async fn session_of(&self, ticket: &str) -> Result<LtiSession> {
        let (status, body) = self.session(ticket).await?;
        assert_eq!(status, 200, "{body}");
        Ok(serde_json::from_str(&body)?)
    }

    /// A bad launch: refused with 4xx and `why` on the page.
    pub async fn refused(&self, what: &str, answer: (u16, String, String), why: &str) {
        let (status, _, body) = answer;
        assert!(
            (400..500).contains(&status),
            "{what}: refused with a 4xx, not {status}: {body}"
        );
        assert!(
            body.contains(why),
            "{what}: the page says `{why}`; it says: {body}"
        );
    }
}

impl Course {
    /// How many meetings the server holds.
    pub fn server_meetings(&self) -> usize {
        self.server.meetings()
    }
}

/// Our own entry in a client's view.
pub fn me_in(c: &Client) -> plenary_shared::meeting::view::ParticipantView {
    c.view
        .participants
        .iter()
        .find(|p| Some(p.id) == c.me)
        .cloned()
        .expect("we are in our view")
}
