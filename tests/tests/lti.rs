//! LTI 1.3 over HTTP against the platform simulator: the login redirect, a launch as
//! Instructor and as Learner into the course's meeting (with the LMS name and role, no join
//! form), the learner who comes first and waits, and every bad token the Security Framework
//! says to refuse, each with the reason on the page.

use plenary_e2e::client::Client;
use plenary_e2e::lti::{INSTRUCTOR, LEARNER, Person, Platform};
use plenary_e2e::{HarnessError, Result, TestServer, header_of, http_full};
use plenary_shared::api::LtiSession;
use plenary_shared::meeting::{Credential, Role};
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A change to good launch claims that makes them bad.
type Change = Box<dyn FnOnce(&mut Value)>;

struct Setup {
    platform: Platform,
    server: TestServer,
    tool_url: String,
}

async fn setup() -> Result<Setup> {
    let platform = Platform::start().await?;
    let (server, tool_url) = plenary_e2e::lti::start_tool(&platform).await?;
    Ok(Setup {
        platform,
        server,
        tool_url,
    })
}

fn person(sub: &str, name: &str, role: &str, link: &str) -> Person {
    Person {
        sub: sub.into(),
        name: name.into(),
        roles: vec![role.into()],
        context: "course-1".into(),
        resource_link: link.into(),
    }
}

impl Setup {
    /// Starts a login as the platform would; returns the authorisation request's query.
    async fn login(&self, hint: &str) -> Result<HashMap<String, String>> {
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
    async fn launch(&self, id_token: &str, state: &str) -> Result<(u16, String, String)> {
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
    async fn launch_as(
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
    async fn ticket(&self, who: &Person) -> Result<String> {
        let (status, head, body) = self.launch_as(who, |_| {}).await?;
        assert_eq!(status, 303, "a good launch goes to the meeting: {body}");
        let location = header_of(&head, "location").expect("a Location");
        let ticket = location
            .strip_prefix("/lti/join#ticket=")
            .unwrap_or_else(|| panic!("to the join page: {location}"));
        Ok(ticket.to_owned())
    }

    async fn session(&self, ticket: &str) -> Result<(u16, String)> {
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
    async fn session_of(&self, ticket: &str) -> Result<LtiSession> {
        let (status, body) = self.session(ticket).await?;
        assert_eq!(status, 200, "{body}");
        Ok(serde_json::from_str(&body)?)
    }

    /// A bad launch: refused with 4xx and `why` on the page.
    async fn refused(&self, what: &str, answer: (u16, String, String), why: &str) {
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

#[tokio::test]
async fn login_redirects_to_the_platform_with_fresh_state_and_nonce() -> Result<()> {
    let s = setup().await?;
    let a = s.login("user-1").await?;
    let b = s.login("user-1").await?;
    assert_eq!(
        a["lti_message_hint"], "message-user-1",
        "the hint is passed on unchanged"
    );
    assert_eq!(a["login_hint"], "user-1");
    assert_eq!(a["client_id"], plenary_e2e::lti::CLIENT_ID);
    assert_eq!(a["redirect_uri"], format!("{}/lti/launch", s.tool_url));
    assert_eq!(a["response_type"], "id_token");
    assert_eq!(a["response_mode"], "form_post");
    assert_eq!(a["scope"], "openid");
    assert_eq!(a["prompt"], "none");
    // 256 random bits each, base64url: 43 characters; never repeated.
    for q in [&a, &b] {
        assert!(q["state"].len() >= 43 && q["nonce"].len() >= 43, "{q:?}");
    }
    assert_ne!(a["state"], b["state"]);
    assert_ne!(a["nonce"], b["nonce"]);
    // By POST too, as platforms may.
    let url = s.platform.login_url(&s.tool_url, "user-2");
    let form = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let (status, head, _) = http_full(
        s.server.addr,
        "POST",
        "/lti/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .await?;
    assert_eq!(status, 303);
    assert!(header_of(&head, "location").is_some_and(|l| l.contains("login_hint=user-2")));
    // An unknown platform is refused with its reason.
    let (status, _, body) = http_full(
        s.server.addr,
        "GET",
        "/lti/login?iss=https%3A%2F%2Fevil.example&login_hint=x&target_link_uri=x",
        &[],
        b"",
    )
    .await?;
    assert_eq!(status, 400);
    assert!(
        body.contains("no platform is registered for issuer"),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn instructor_opens_the_course_meeting_and_a_waiting_learner_is_let_in() -> Result<()> {
    let s = setup().await?;
    let learner = person("learner-1", "Lea Learner", LEARNER, "link-1");
    let teacher = person("teacher-1", "Tove Teacher", INSTRUCTOR, "link-1");
    // The learner comes first: no meeting yet, and none made by a learner.
    let early = s.ticket(&learner).await?;
    let LtiSession::Waiting { name, ticket, .. } = s.session_of(&early).await? else {
        panic!("the learner waits for the host");
    };
    assert_eq!(name, "Lea Learner");
    assert_eq!(s.server_meetings(), 0, "a learner makes no meeting");
    // The instructor launches: the meeting is made, and the instructor joins it as host.
    let host_ticket = s.ticket(&teacher).await?;
    let LtiSession::Ready {
        meeting,
        ticket: host_ticket,
        ..
    } = s.session_of(&host_ticket).await?
    else {
        panic!("the host's meeting is ready");
    };
    let host = Client::join(
        s.server.addr,
        &meeting,
        "ignored: the LMS name counts",
        Credential::Launch {
            ticket: host_ticket,
        },
    )
    .await?;
    let view = me_in(&host);
    assert_eq!(view.name, "Tove Teacher");
    assert_eq!(view.role, Role::Host);
    // The waiting learner's next ask finds the meeting; they join as a participant.
    let LtiSession::Ready {
        meeting: found,
        ticket,
        ..
    } = s.session_of(&ticket).await?
    else {
        panic!("the learner is let in once the host is there");
    };
    assert_eq!(found, meeting);
    let learner_client =
        Client::join(s.server.addr, &meeting, "", Credential::Launch { ticket }).await?;
    let view = me_in(&learner_client);
    assert_eq!(view.name, "Lea Learner");
    assert_eq!(view.role, Role::Participant);
    // A second launch of the same link finds the same meeting.
    let again = s.ticket(&teacher).await?;
    let LtiSession::Ready { meeting: same, .. } = s.session_of(&again).await? else {
        panic!("ready");
    };
    assert_eq!(same, meeting);
    // Another link of the course is another meeting.
    let other = s
        .ticket(&person("teacher-1", "Tove Teacher", INSTRUCTOR, "link-2"))
        .await?;
    let LtiSession::Ready {
        meeting: second, ..
    } = s.session_of(&other).await?
    else {
        panic!("ready");
    };
    assert_ne!(second, meeting);
    Ok(())
}

#[tokio::test]
async fn forged_or_foreign_tickets_do_not_join() -> Result<()> {
    let s = setup().await?;
    let teacher = person("teacher-1", "Tove Teacher", INSTRUCTOR, "link-1");
    let ticket = s.ticket(&teacher).await?;
    let LtiSession::Ready {
        meeting, ticket, ..
    } = s.session_of(&ticket).await?
    else {
        panic!("ready");
    };
    let (status, body) = s.session("not-a-ticket").await?;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("launch_expired"), "{body}");
    let mut forged = ticket.clone();
    forged.replace_range(forged.len() - 3.., "AAA");
    let other = s.server.create_meeting().await?;
    for (what, meeting, ticket) in [
        ("a forged ticket", meeting.clone(), forged),
        (
            "a ticket for another meeting",
            other.meeting.clone(),
            ticket,
        ),
    ] {
        let mut c = Client::connect(s.server.addr, &meeting).await?;
        c.send(&ClientMsg::Join {
            version: PROTOCOL_VERSION,
            name: "x".into(),
            email: None,
            passcode: None,
            credential: Credential::Launch { ticket },
        })
        .await?;
        let error = c.next_error().await?;
        assert_eq!(
            error,
            plenary_shared::protocol::ProtocolError::LaunchExpired,
            "{what}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn every_bad_token_is_refused_with_its_reason() -> Result<()> {
    let s = setup().await?;
    let who = person("learner-1", "Lea", LEARNER, "link-1");
    let cases: Vec<(&str, &str, Change)> = vec![
        (
            "wrong iss",
            "not from the platform",
            Box::new(|c: &mut Value| c["iss"] = json!("http://localhost:1")),
        ),
        (
            "extra aud without azp",
            "several audiences but no authorised party",
            Box::new(|c: &mut Value| {
                c["aud"] = json!([plenary_e2e::lti::CLIENT_ID, "another-tool"]);
            }),
        ),
        (
            "expired",
            "has expired",
            Box::new(|c: &mut Value| {
                c["exp"] = json!(c["iat"].as_u64().unwrap_or(0) - 600);
            }),
        ),
        (
            "iat in the future",
            "issued in the future",
            Box::new(|c: &mut Value| {
                c["iat"] = json!(c["iat"].as_u64().unwrap_or(0) + 600);
            }),
        ),
        (
            "unknown deployment",
            "deployment `deployment-9` is not registered",
            Box::new(|c: &mut Value| {
                c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] =
                    json!("deployment-9");
            }),
        ),
        (
            "wrong nonce",
            "nonce is not the one",
            Box::new(|c: &mut Value| c["nonce"] = json!("guessed")),
        ),
    ];
    for (what, why, change) in cases {
        let answer = s.launch_as(&who, change).await?;
        s.refused(what, answer, why).await;
    }

    // A replayed nonce: a good launch, then its token again with a new login's state.
    let auth = s.login("learner-1").await?;
    let token = s
        .platform
        .key()?
        .sign(&s.platform.claims(&who, &auth["nonce"]))?;
    let (status, _, _) = s.launch(&token, &auth["state"]).await?;
    assert_eq!(status, 303, "the first use is good");
    let again = s.login("learner-1").await?;
    let answer = s.launch(&token, &again["state"]).await?;
    s.refused("replayed nonce", answer, "already used").await;
    // The same state twice, and a state we never gave.
    let answer = s.launch(&token, &auth["state"]).await?;
    s.refused("used state", answer, "unknown or expired `state`")
        .await;
    let answer = s.launch(&token, "made-up-state").await?;
    s.refused("bad state", answer, "unknown or expired `state`")
        .await;

    // `alg: none`, and HS256 "signed" with the platform's public key.
    let auth = s.login("learner-1").await?;
    let claims = s.platform.claims(&who, &auth["nonce"]);
    let b64 = |v: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let kid = s.platform.key()?.kid;
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": kid})),
        b64(&claims)
    );
    let answer = s.launch(&none, &auth["state"]).await?;
    s.refused("alg none", answer, "signed with none").await;
    let auth = s.login("learner-1").await?;
    let claims = s.platform.claims(&who, &auth["nonce"]);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.clone());
    let public = s.platform.key()?.public;
    let hs = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&public),
    )
    .map_err(|e| HarnessError::Other(e.to_string()))?;
    let answer = s.launch(&hs, &auth["state"]).await?;
    s.refused("HS256 with the public key", answer, "signed with HS256")
        .await;

    // A rotated key is found after one refetch of the platform's keys…
    let before = s.platform.jwks_fetches();
    s.platform.rotate("platform-key-2")?;
    let (status, _, body) = s.launch_as(&who, |_| {}).await?;
    assert_eq!(status, 303, "the rotated key is fetched: {body}");
    assert_eq!(s.platform.jwks_fetches(), before + 1);
    // …but a key nobody published is refused, and right after a refetch it causes none.
    let stranger = plenary_e2e::lti::PlatformKey::make("nobodys-key")?;
    let auth = s.login("learner-1").await?;
    let token = stranger.sign(&s.platform.claims(&who, &auth["nonce"]))?;
    let answer = s.launch(&token, &auth["state"]).await?;
    s.refused("unknown kid", answer, "`nobodys-key` is not among")
        .await;
    assert_eq!(
        s.platform.jwks_fetches(),
        before + 1,
        "refetches are rate-limited"
    );
    // And a token signed by a stranger with a published kid fails its signature.
    let mut forger = plenary_e2e::lti::PlatformKey::make("platform-key-2")?;
    forger.kid = "platform-key-2".into();
    let auth = s.login("learner-1").await?;
    let token = forger.sign(&s.platform.claims(&who, &auth["nonce"]))?;
    let answer = s.launch(&token, &auth["state"]).await?;
    s.refused("forged signature", answer, "signature does not verify")
        .await;
    Ok(())
}

impl Setup {
    fn server_meetings(&self) -> usize {
        self.server.meetings()
    }
}

/// Our own entry in a client's view.
fn me_in(c: &Client) -> plenary_shared::meeting::view::ParticipantView {
    c.view
        .participants
        .iter()
        .find(|p| Some(p.id) == c.me)
        .cloned()
        .expect("we are in our view")
}
