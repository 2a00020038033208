//! LTI 1.3 security over HTTP against the platform simulator: the login redirect, every bad
//! token the Security Framework says to refuse (each with the reason on the page), and tickets
//! that are forged or for another meeting.

use plenary_e2e::client::Client;
use plenary_e2e::lti::{INSTRUCTOR, LEARNER};
use plenary_e2e::lti_course::{course as setup, person};
use plenary_e2e::{HarnessError, Result, header_of, http_full};
use plenary_shared::api::LtiSession;
use plenary_shared::meeting::Credential;
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION};
use serde_json::{Value, json};

/// A change to good launch claims that makes them bad.
type Change = Box<dyn FnOnce(&mut Value)>;

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
        body.contains("No platform is registered for issuer"),
        "{body}"
    );
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
            "Deployment `deployment-9` is not registered",
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
