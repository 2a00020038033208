//! Every claim check of `verify.rs`, one refusal at a time, on otherwise good claims.

use super::*;
use serde_json::json;

const NOW: u64 = 1_800_000_000;
const TOOL: &str = "https://plenary.example";

fn platform() -> Platform {
    Platform {
        name: "Test LMS".into(),
        issuer: "https://lms.example".into(),
        client_id: "tool-1".into(),
        deployment_ids: vec!["dep-1".into()],
        auth_url: url::Url::parse("https://lms.example/auth").expect("url"),
        token_url: url::Url::parse("https://lms.example/token").expect("url"),
        jwks_url: url::Url::parse("https://lms.example/jwks").expect("url"),
        trusted_audiences: vec!["trusted-extra".into()],
    }
}

fn good() -> Value {
    json!({
        "iss": "https://lms.example",
        "aud": "tool-1",
        "sub": "user-7",
        "exp": NOW + 300,
        "iat": NOW,
        "nonce": "n-1",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "dep-1",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": "https://plenary.example/lti/launch",
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "rl-1", "title": "Week 1"},
        "https://purl.imsglobal.org/spec/lti/claim/roles": [
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
        ],
        "https://purl.imsglobal.org/spec/lti/claim/context": {"id": "c-1", "title": "Maths"},
        "https://purl.imsglobal.org/spec/lti/claim/custom": {"context_history": "c-0, c-old"},
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": "https://lms.example/nrps/c-1",
            "service_versions": ["2.0"]
        },
    })
}

fn check(claims: &Value) -> Result<Launch, LaunchError> {
    check_claims(claims, &platform(), TOOL, "n-1", NOW)
}

fn with(key: &str, value: Value) -> Value {
    let mut c = good();
    c[key] = value;
    c
}

fn without(key: &str) -> Value {
    let mut c = good();
    c.as_object_mut().expect("object").remove(key);
    c
}

#[test]
fn good_claims_are_read() {
    let launch = check(&good()).expect("good");
    assert_eq!(launch.subject, "user-7");
    assert_eq!(launch.name, "Ada Lovelace");
    assert_eq!(launch.email.as_deref(), Some("ada@example.org"));
    assert_eq!(launch.context_id.as_deref(), Some("c-1"));
    assert_eq!(launch.context_history, vec!["c-0", "c-old"]);
    assert_eq!(
        launch.message,
        Message::ResourceLink {
            id: "rl-1".into(),
            title: Some("Week 1".into())
        }
    );
    assert_eq!(
        launch.memberships_url.as_deref(),
        Some("https://lms.example/nrps/c-1")
    );
}

#[test]
fn the_issuer_must_be_the_platforms() {
    assert_eq!(
        check(&with("iss", json!("https://evil.example"))),
        Err(LaunchError::WrongIssuer {
            found: "https://evil.example".into()
        })
    );
}

#[test]
fn the_audience_must_name_us_and_extra_audiences_need_trust_and_azp() {
    assert_eq!(
        check(&with("aud", json!("someone-else"))),
        Err(LaunchError::WrongAudience("tool-1".into()))
    );
    // A trusted extra audience, but no `azp`.
    assert_eq!(
        check(&with("aud", json!(["tool-1", "trusted-extra"]))),
        Err(LaunchError::NoAuthorisedParty)
    );
    let mut c = with("aud", json!(["tool-1", "trusted-extra"]));
    c["azp"] = json!("tool-1");
    assert!(check(&c).is_ok());
    c["azp"] = json!("trusted-extra");
    assert_eq!(check(&c), Err(LaunchError::WrongAuthorisedParty));
    // An untrusted extra audience is refused even with `azp`.
    let mut c = with("aud", json!(["tool-1", "stranger"]));
    c["azp"] = json!("tool-1");
    assert_eq!(
        check(&c),
        Err(LaunchError::UntrustedAudience("stranger".into()))
    );
}

#[test]
fn time_claims_are_checked_with_a_minute_of_leeway() {
    assert_eq!(
        check(&with("exp", json!(NOW - 61))),
        Err(LaunchError::Expired)
    );
    assert!(check(&with("exp", json!(NOW - 59))).is_ok());
    assert_eq!(
        check(&with("iat", json!(NOW + 61))),
        Err(LaunchError::IssuedInFuture)
    );
    assert!(check(&with("iat", json!(NOW + 59))).is_ok());
    assert_eq!(
        check(&with("iat", json!(NOW - MAX_AGE_SECS - 1))),
        Err(LaunchError::TooOld)
    );
    assert_eq!(check(&without("exp")), Err(LaunchError::Missing("exp")));
    assert_eq!(check(&without("iat")), Err(LaunchError::Missing("iat")));
}

#[test]
fn the_nonce_must_be_the_logins() {
    assert_eq!(
        check(&with("nonce", json!("n-2"))),
        Err(LaunchError::WrongNonce)
    );
    assert_eq!(check(&without("nonce")), Err(LaunchError::Missing("nonce")));
}

#[test]
fn lti_claims_are_checked() {
    let claim = |name: &str| format!("{CLAIM}{name}");
    assert_eq!(
        check(&with(&claim("deployment_id"), json!("dep-9"))),
        Err(LaunchError::UnknownDeployment("dep-9".into()))
    );
    assert_eq!(
        check(&with(&claim("version"), json!("1.1"))),
        Err(LaunchError::WrongVersion("1.1".into()))
    );
    assert_eq!(
        check(&with(&claim("message_type"), json!("LtiSubmissionReview"))),
        Err(LaunchError::UnknownMessageType(
            "LtiSubmissionReview".into()
        ))
    );
    assert_eq!(
        check(&with(
            &claim("target_link_uri"),
            json!("https://plenary.example.evil.org/lti/launch")
        )),
        Err(LaunchError::WrongTarget(
            "https://plenary.example.evil.org/lti/launch".into()
        ))
    );
    assert_eq!(
        check(&with(&claim("resource_link"), json!({"title": "no id"}))),
        Err(LaunchError::Missing("resource_link.id"))
    );
    assert_eq!(check(&without("sub")), Err(LaunchError::Missing("sub")));
}

#[test]
fn a_deep_linking_request_needs_its_return_url() {
    let mut c = with(
        &format!("{CLAIM}message_type"),
        json!("LtiDeepLinkingRequest"),
    );
    assert_eq!(check(&c), Err(LaunchError::Missing("deep_link_return_url")));
    c[DEEP_LINKING] = json!({"deep_link_return_url": "https://lms.example/dl", "data": "xyz"});
    assert_eq!(
        check(&c).expect("good").message,
        Message::DeepLinking {
            return_url: "https://lms.example/dl".into(),
            data: Some("xyz".into())
        }
    );
}

#[test]
fn the_header_must_say_rs256_and_a_key() {
    let b64 = |v: Value| {
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            v.to_string(),
        )
    };
    let none = format!("{}.{}.", b64(json!({"alg": "none"})), b64(good()));
    assert_eq!(
        key_id(&none),
        Err(LaunchError::WrongAlgorithm("none".into()))
    );
    let hs = format!("{}.e30.sig", b64(json!({"alg": "HS256", "kid": "k"})));
    assert_eq!(
        key_id(&hs),
        Err(LaunchError::WrongAlgorithm("HS256".into()))
    );
    let no_kid = format!("{}.e30.sig", b64(json!({"alg": "RS256"})));
    assert_eq!(key_id(&no_kid), Err(LaunchError::NoKeyId));
    let rs = format!("{}.e30.sig", b64(json!({"alg": "RS256", "kid": "k1"})));
    assert_eq!(key_id(&rs), Ok("k1".into()));
    assert!(matches!(key_id("garbage"), Err(LaunchError::Malformed(_))));
}
