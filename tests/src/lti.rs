//! A learning-platform simulator for the LTI tests: its own keys (made here, signed with
//! `jsonwebtoken`), a published key set it can rotate, an OIDC authorisation endpoint that
//! answers a login with a self-posting form carrying the `id_token` the test asks for, and
//! the names-and-roles and groups services with an OAuth2 token endpoint. It listens on
//! 127.0.0.1 but calls itself `localhost`, so a page from it framing the tool at 127.0.0.1 is
//! cross-site.

use crate::{HarnessError, Result};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "plenary-tool";
pub const DEPLOYMENT: &str = "deployment-1";
pub const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
pub const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";

/// One signing key of the platform.
#[derive(Clone)]
pub struct PlatformKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Value,
    /// The public modulus, raw, for a forgery that uses it as an HMAC secret.
    pub public: Vec<u8>,
}

impl PlatformKey {
    /// A fresh 2048-bit RSA key.
    pub fn make(kid: &str) -> Result<PlatformKey> {
        let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
            .map_err(|e| HarnessError::Other(e.to_string()))?;
        let der = key
            .to_pkcs1_der()
            .map_err(|e| HarnessError::Other(e.to_string()))?;
        let n = key.n().to_bytes_be();
        Ok(PlatformKey {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk: json!({
                "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(&n),
                "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
            }),
            public: n,
        })
    }

    /// `claims` signed RS256 with this key's id.
    pub fn sign(&self, claims: &Value) -> Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| HarnessError::Other(e.to_string()))
    }
}

/// Who the next login at the authorisation endpoint launches as.
#[derive(Debug, Clone)]
pub struct Person {
    pub sub: String,
    pub name: String,
    pub roles: Vec<String>,
    pub context: String,
    pub resource_link: String,
}

#[derive(Default)]
struct Inner {
    /// The key set served at `/jwks`.
    published: Mutex<Vec<Value>>,
    signing: Mutex<Option<PlatformKey>>,
    next: Mutex<Option<Person>>,
    /// Every authorisation request's query, in order.
    auth_requests: Mutex<Vec<HashMap<String, String>>>,
    jwks_fetches: AtomicUsize,
    tool_url: Mutex<String>,
    issuer: Mutex<String>,
    /// The course's members (NRPS `members` entries) and groups.
    roster: Mutex<Vec<Value>>,
    groups: Mutex<Vec<Value>>,
    /// Access tokens handed out, and roster pages served.
    tokens: Mutex<Vec<String>>,
    roster_pages: AtomicUsize,
}

/// The running simulator.
#[derive(Clone)]
pub struct Platform {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl Platform {
    /// Starts the platform on 127.0.0.1 with one signing key, published.
    pub async fn start() -> Result<Platform> {
        let inner = Arc::new(Inner::default());
        let key = PlatformKey::make("platform-key-1")?;
        inner
            .published
            .lock()
            .map_err(poisoned)?
            .push(key.jwk.clone());
        *inner.signing.lock().map_err(poisoned)? = Some(key);
        let app = Router::new()
            .route("/jwks", get(jwks))
            .route("/auth", get(auth))
            .route("/course", get(course))
            .route("/token", axum::routing::post(token))
            .route("/nrps", get(nrps))
            .route("/groups", get(groups))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        *inner.issuer.lock().map_err(poisoned)? = format!("http://localhost:{}", addr.port());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Platform { addr, inner })
    }

    /// The platform's issuer: `http://localhost:port` (another site than the tool's
    /// 127.0.0.1).
    pub fn issuer(&self) -> String {
        format!("http://localhost:{}", self.addr.port())
    }

    /// The tool's registration file for this platform, for a tool at `tool_url`.
    pub fn registration(&self, tool_url: &str) -> String {
        if let Ok(mut url) = self.inner.tool_url.lock() {
            *url = tool_url.to_owned();
        }
        let base = self.issuer();
        format!(
            "tool_url = \"{tool_url}\"\n\n[[platform]]\nname = \"Simulated LMS\"\n\
             issuer = \"{base}\"\nclient_id = \"{CLIENT_ID}\"\ndeployment_ids = [\"{DEPLOYMENT}\"]\n\
             auth_url = \"{base}/auth\"\ntoken_url = \"{base}/token\"\njwks_url = \"{base}/jwks\"\n"
        )
    }

    /// The key the platform signs with now.
    pub fn key(&self) -> Result<PlatformKey> {
        self.inner
            .signing
            .lock()
            .map_err(poisoned)?
            .clone()
            .ok_or_else(|| HarnessError::Other("no key".into()))
    }

    /// Rotates to a new key: published alongside the old, and signed with from now on.
    pub fn rotate(&self, kid: &str) -> Result<PlatformKey> {
        let key = PlatformKey::make(kid)?;
        self.inner
            .published
            .lock()
            .map_err(poisoned)?
            .push(key.jwk.clone());
        *self.inner.signing.lock().map_err(poisoned)? = Some(key.clone());
        Ok(key)
    }

    /// Puts people on the course roster (each `(user_id, name, roles, group ids)`) and the
    /// course's groups (`(id, name)`).
    pub fn set_roster(
        &self,
        members: &[(&str, &str, &str, &[&str])],
        groups: &[(&str, &str)],
    ) -> Result<()> {
        *self.inner.roster.lock().map_err(poisoned)? = members
            .iter()
            .map(|(id, name, role, in_groups)| {
                json!({
                    "status": "Active", "user_id": id, "name": name, "roles": [role],
                    "group_enrollments": in_groups.iter().map(|g| json!({"group_id": g})).collect::<Vec<_>>(),
                })
            })
            .collect();
        *self.inner.groups.lock().map_err(poisoned)? = groups
            .iter()
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect();
        Ok(())
    }

    /// How many roster pages were served, and access tokens handed out.
    pub fn service_counts(&self) -> (usize, usize) {
        (
            self.inner.roster_pages.load(Ordering::SeqCst),
            self.inner.tokens.lock().map(|t| t.len()).unwrap_or(0),
        )
    }

    /// How often the tool fetched the key set.
    pub fn jwks_fetches(&self) -> usize {
        self.inner.jwks_fetches.load(Ordering::SeqCst)
    }

    /// The authorisation requests so far.
    pub fn auth_requests(&self) -> Vec<HashMap<String, String>> {
        self.inner
            .auth_requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Who the next login launches as.
    pub fn launch_next(&self, person: Person) -> Result<()> {
        *self.inner.next.lock().map_err(poisoned)? = Some(person);
        Ok(())
    }

    /// Good launch claims for `person`, answering a login that sent `nonce`.
    pub fn claims(&self, person: &Person, nonce: &str) -> Value {
        claims_for(&self.issuer(), &self.tool_url(), person, nonce)
    }

    fn tool_url(&self) -> String {
        self.inner
            .tool_url
            .lock()
            .map(|u| u.clone())
            .unwrap_or_default()
    }

    /// The URL that starts a login of the tool (what the platform's link points at).
    pub fn login_url(&self, tool_url: &str, hint: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("iss", &self.issuer())
            .append_pair("login_hint", hint)
            .append_pair("target_link_uri", &format!("{tool_url}/lti/launch"))
            .append_pair("lti_message_hint", &format!("message-{hint}"))
            .append_pair("client_id", CLIENT_ID)
            .append_pair("lti_deployment_id", DEPLOYMENT)
            .finish();
        format!("{tool_url}/lti/login?{query}")
    }
}

/// Launch claims for `person` from `issuer` to the tool at `tool_url`.
pub fn claims_for(issuer: &str, tool_url: &str, person: &Person, nonce: &str) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    json!({
        "iss": issuer,
        "aud": CLIENT_ID,
        "sub": person.sub,
        "exp": now + 300,
        "iat": now,
        "nonce": nonce,
        "name": person.name,
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT,
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": format!("{tool_url}/lti/launch"),
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": person.resource_link, "title": "Seminar"},
        "https://purl.imsglobal.org/spec/lti/claim/roles": person.roles,
        "https://purl.imsglobal.org/spec/lti/claim/context": {"id": person.context, "title": "Course"},
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": format!("{issuer}/nrps"),
            "service_versions": ["2.0"]
        },
        "https://purl.imsglobal.org/spec/lti-gs/claim/groupsservice": {
            "context_groups_url": format!("{issuer}/groups"),
            "scope": ["https://purl.imsglobal.org/spec/lti-gs/scope/contextgroup.readonly"],
            "service_versions": ["1.0"]
        },
    })
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> HarnessError {
    HarnessError::Other("a lock was poisoned".into())
}

async fn jwks(State(inner): State<Arc<Inner>>) -> Json<Value> {
    inner.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = inner
        .published
        .lock()
        .map(|k| k.clone())
        .unwrap_or_default();
    Json(json!({ "keys": keys }))
}

/// The authorisation endpoint: records the request and answers with a page that posts the
/// `id_token` for the next person to the tool's redirect URI, as a platform does.
async fn auth(
    State(inner): State<Arc<Inner>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Ok(mut all) = inner.auth_requests.lock() {
        all.push(query.clone());
    }
    let person = inner.next.lock().ok().and_then(|p| p.clone());
    let key = inner.signing.lock().ok().and_then(|k| k.clone());
    let (Some(person), Some(key)) = (person, key) else {
        return (axum::http::StatusCode::BAD_REQUEST, "no launch planned").into_response();
    };
    let tool_url = inner.tool_url.lock().map(|u| u.clone()).unwrap_or_default();
    let issuer = inner.issuer.lock().map(|i| i.clone()).unwrap_or_default();
    let nonce = query.get("nonce").cloned().unwrap_or_default();
    let state = query.get("state").cloned().unwrap_or_default();
    let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
    let claims = claims_for(&issuer, &tool_url, &person, &nonce);
    let Ok(token) = key.sign(&claims) else {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "cannot sign").into_response();
    };
    Html(format!(
        "<!doctype html><form method=\"post\" action=\"{redirect}\">\
         <input type=\"hidden\" name=\"id_token\" value=\"{token}\">\
         <input type=\"hidden\" name=\"state\" value=\"{state}\"></form>\
         <script>document.forms[0].submit()</script>"
    ))
    .into_response()
}

/// A course page framing the tool's login (`?login=`), with `allow="camera; microphone"` when
/// `?allow=1`, the way an LMS shows an LTI link inline. It is also the platform's client-side
/// storage (LTI postMessage `lti.put_data` / `lti.get_data`, kept in `window.ltiStore`); with
/// `?forget=1` it answers every `get_data` with nothing, as a browser that did not start the
/// login would.
async fn course(Query(query): Query<HashMap<String, String>>) -> Html<String> {
    let login = query
        .get("login")
        .cloned()
        .unwrap_or_default()
        .replace('"', "&quot;");
    let allow = if query.get("allow").is_some_and(|a| a == "1") {
        " allow=\"camera; microphone; display-capture\""
    } else {
        ""
    };
    let forget = query.get("forget").is_some_and(|f| f == "1");
    Html(format!(
        "<!doctype html><title>Course</title><h1>Course page</h1>\
         <iframe src=\"{login}\"{allow} style=\"width:900px;height:700px\"></iframe>\
         <script>\
         const store = {{}}; window.ltiStore = store; const forget = {forget};\
         window.addEventListener('message', (e) => {{\
           const m = e.data || {{}};\
           if (m.subject === 'lti.put_data') {{\
             store[m.key] = m.value;\
             e.source.postMessage({{ subject: 'lti.put_data.response', message_id: m.message_id, key: m.key, value: m.value }}, e.origin);\
           }} else if (m.subject === 'lti.get_data') {{\
             e.source.postMessage({{ subject: 'lti.get_data.response', message_id: m.message_id, key: m.key, value: forget ? undefined : store[m.key] }}, e.origin);\
           }}\
         }});\
         </script>"
    ))
}

/// Starts the real server with LTI registered for `platform`, on a port known beforehand.
pub async fn start_tool(platform: &Platform) -> Result<(crate::TestServer, String)> {
    let listener = plenary_server::bind(([127, 0, 0, 1], 0).into())?;
    let tool_url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let registration =
        plenary_server::lti::registration::Registration::parse(&platform.registration(&tool_url))
            .map_err(|e| HarnessError::Other(e.to_string()))?;
    let dir = std::env::temp_dir().join(format!(
        "plenary-lti-{}-{}",
        std::process::id(),
        platform.addr.port()
    ));
    std::fs::create_dir_all(&dir)?;
    let lti = plenary_server::lti::Lti::start(registration, &dir, None)
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    let state = plenary_server::app::AppState::from_options(plenary_server::app::Options {
        lti: Some(Arc::new(lti)),
        ..plenary_server::app::Options::default()
    });
    let server = crate::TestServer::start_on(listener, state).await?;
    Ok((server, tool_url))
}

impl Platform {
    /// The course page framing a login of the tool at `tool_url` for `hint`.
    /// The platform offers its client-side storage (`lti_storage_target=_parent`).
    pub fn course_page(&self, tool_url: &str, hint: &str, allow_devices: bool) -> String {
        self.course_page_with(tool_url, hint, allow_devices, false)
    }

    /// Like `course_page`, whose storage forgets: the launch's check fails there.
    pub fn course_page_with(
        &self,
        tool_url: &str,
        hint: &str,
        allow_devices: bool,
        forget: bool,
    ) -> String {
        let login = format!(
            "{}&lti_storage_target=_parent",
            self.login_url(tool_url, hint)
        );
        let page = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("login", &login)
            .append_pair("allow", if allow_devices { "1" } else { "0" })
            .append_pair("forget", if forget { "1" } else { "0" })
            .finish();
        format!("{}/course?{page}", self.issuer())
    }
}

/// The tool's published keys, fetched from its `/lti/jwks` as a platform does.
pub async fn tool_keys(tool_url: &str) -> Result<Vec<Value>> {
    let addr: SocketAddr = tool_url
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| HarnessError::Other(format!("tool address: {e}")))?;
    let (status, body) = crate::http_request(addr, "GET", "/lti/jwks").await?;
    if status != 200 {
        return Err(HarnessError::Other(format!("/lti/jwks answered {status}")));
    }
    let set: Value = serde_json::from_str(&body)?;
    Ok(set["keys"].as_array().cloned().unwrap_or_default())
}

/// Verifies an RS256 JWT of the tool against its published keys.
pub async fn verify_tool_jwt(tool_url: &str, jwt: &str) -> Result<Value> {
    let header =
        jsonwebtoken::decode_header(jwt).map_err(|e| HarnessError::Other(e.to_string()))?;
    let kid = header.kid.unwrap_or_default();
    let keys = tool_keys(tool_url).await?;
    let jwk = keys
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or_else(|| HarnessError::Other(format!("the tool publishes no key {kid}")))?;
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone())?;
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk)
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .map_err(|e| HarnessError::Other(format!("the tool's JWT does not verify: {e}")))?;
    Ok(data.claims)
}

/// The OAuth2 token endpoint: a client-credentials grant whose client assertion must verify
/// against the tool's published keys and name the tool and this endpoint.
async fn token(
    State(inner): State<Arc<Inner>>,
    axum::extract::Form(form): axum::extract::Form<HashMap<String, String>>,
) -> Response {
    let refuse = |why: String| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_client", "error_description": why})),
        )
            .into_response()
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return refuse("grant_type".into());
    }
    let tool_url = inner.tool_url.lock().map(|u| u.clone()).unwrap_or_default();
    let issuer = inner.issuer.lock().map(|i| i.clone()).unwrap_or_default();
    let assertion = form.get("client_assertion").cloned().unwrap_or_default();
    let claims = match verify_tool_jwt(&tool_url, &assertion).await {
        Ok(claims) => claims,
        Err(e) => return refuse(e.to_string()),
    };
    if claims["iss"] != CLIENT_ID
        || claims["sub"] != CLIENT_ID
        || claims["aud"] != format!("{issuer}/token").as_str()
    {
        return refuse(format!("bad assertion claims: {claims}"));
    }
    let Ok(mut tokens) = inner.tokens.lock() else {
        return refuse("poisoned".into());
    };
    let issued = format!("access-{}", tokens.len() + 1);
    tokens.push(issued.clone());
    Json(json!({"access_token": issued, "token_type": "Bearer", "expires_in": 3600}))
        .into_response()
}

fn authorised(inner: &Inner, headers: &axum::http::HeaderMap) -> bool {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    inner
        .tokens
        .lock()
        .map(|t| t.iter().any(|k| k == given))
        .unwrap_or(false)
}

/// The names and roles service, in pages of two members, linked by `rel="next"`.
async fn nrps(
    State(inner): State<Arc<Inner>>,
    headers: axum::http::HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorised(&inner, &headers) {
        return axum::http::StatusCode::UNAUTHORIZED.into_response();
    }
    inner.roster_pages.fetch_add(1, Ordering::SeqCst);
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let all = inner.roster.lock().map(|r| r.clone()).unwrap_or_default();
    let chunk: Vec<Value> = all.iter().skip(page * 2).take(2).cloned().collect();
    let issuer = inner.issuer.lock().map(|i| i.clone()).unwrap_or_default();
    let mut response =
        Json(json!({"id": format!("{issuer}/nrps"), "members": chunk})).into_response();
    if (page + 1) * 2 < all.len()
        && let Ok(link) = axum::http::HeaderValue::from_str(&format!(
            "<{issuer}/nrps?page={}>; rel=\"next\"",
            page + 1
        ))
    {
        response.headers_mut().insert("link", link);
    }
    response
}

/// The course groups service, in one page.
async fn groups(State(inner): State<Arc<Inner>>, headers: axum::http::HeaderMap) -> Response {
    if !authorised(&inner, &headers) {
        return axum::http::StatusCode::UNAUTHORIZED.into_response();
    }
    let all = inner.groups.lock().map(|g| g.clone()).unwrap_or_default();
    Json(json!({ "groups": all })).into_response()
}
