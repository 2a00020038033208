//! The LTI endpoints, at fixed paths so an admin can paste them into the platform:
//! `GET|POST /lti/login`, `POST /lti/launch`, `GET /lti/jwks`, `GET /lti/config.json`, the
//! instructor's `POST /lti/deep-link`, and `GET /api/lti/session` for a launched page.

use super::links::{course_key, link_key};
use super::pages;
use super::verify::{LaunchError, Message};
use super::{Lti, Ticket, now_secs};
use crate::app::AppState;
use axum::Json;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use plenary_shared::lms;
use plenary_shared::meeting::Role;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::info::MeetingInfo;
use serde::{Deserialize, Serialize};

/// The parameters of a third-party-initiated login (LTI Core §4.1.1).
#[derive(Debug, Deserialize)]
pub struct LoginParams {
    iss: String,
    login_hint: String,
    target_link_uri: String,
    #[serde(default)]
    lti_message_hint: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    lti_deployment_id: Option<String>,
    /// The frame of the platform's client-side storage, when it offers one.
    #[serde(default)]
    lti_storage_target: Option<String>,
}

/// What the platform posts to the redirect URI.
#[derive(Debug, Deserialize)]
pub struct LaunchForm {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// The page for an LTI path on a server without `--lti-config`.
fn not_set_up() -> Response {
    pages::refusal(
        StatusCode::NOT_FOUND,
        "LTI is not set up on this server (start it with --lti-config).",
    )
}

fn refuse(error: &LaunchError) -> Response {
    tracing::warn!(%error, "LTI launch refused");
    let status = match error {
        LaunchError::KeysUnavailable(_) => StatusCode::BAD_GATEWAY,
        LaunchError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    pages::refusal(status, &error.to_string())
}

/// A login request that could not be read.
fn incomplete(e: &dyn std::fmt::Display) -> Response {
    pages::refusal(
        StatusCode::BAD_REQUEST,
        &format!("The login request is incomplete: {e}"),
    )
}

/// `GET /lti/login`.
pub async fn login_get(
    State(state): State<AppState>,
    params: Result<Query<LoginParams>, QueryRejection>,
) -> Response {
    match params {
        Ok(Query(params)) => login(&state, params),
        Err(e) => incomplete(&e),
    }
}

/// `POST /lti/login`.
pub async fn login_post(
    State(state): State<AppState>,
    params: Result<Form<LoginParams>, FormRejection>,
) -> Response {
    match params {
        Ok(Form(params)) => login(&state, params),
        Err(e) => incomplete(&e),
    }
}

fn login(state: &AppState, params: LoginParams) -> Response {
    let Some(lti) = state.lti.clone() else {
        return not_set_up();
    };
    let Some((index, platform)) = lti
        .registration
        .platform(&params.iss, params.client_id.as_deref())
    else {
        return refuse(&LaunchError::UnknownPlatform(params.iss));
    };
    if let Some(deployment) = &params.lti_deployment_id
        && !platform.deployment_ids.contains(deployment)
    {
        return refuse(&LaunchError::UnknownDeployment(deployment.clone()));
    }
    if !super::verify::is_under(&params.target_link_uri, lti.registration.tool_url.as_str()) {
        return refuse(&LaunchError::WrongTarget(params.target_link_uri));
    }
    let (Ok(login_state), Ok(nonce)) = (crate::secrets::token_256(), crate::secrets::token_256())
    else {
        return pages::refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No randomness available.",
        );
    };
    // The platform's storage answers from the origin of its authorisation endpoint.
    let storage = params
        .lti_storage_target
        .filter(|t| !t.trim().is_empty() && t.len() <= 200)
        .map(|target| super::Storage {
            target,
            origin: platform.auth_url.origin().ascii_serialization(),
        });
    if let Err(e) = lti.remember_login(index, login_state.clone(), nonce.clone(), storage.clone()) {
        return refuse(&e);
    }
    let mut target = platform.auth_url.clone();
    {
        let mut query = target.query_pairs_mut();
        query
            .append_pair("scope", "openid")
            .append_pair("response_type", "id_token")
            .append_pair("response_mode", "form_post")
            .append_pair("prompt", "none")
            .append_pair("client_id", &platform.client_id)
            .append_pair("redirect_uri", &lti.registration.tool("/lti/launch"))
            .append_pair("login_hint", &params.login_hint)
            .append_pair("state", &login_state)
            .append_pair("nonce", &nonce);
        if let Some(hint) = &params.lti_message_hint {
            query.append_pair("lti_message_hint", hint);
        }
    }
    match storage {
        // Put the state where the platform keeps it for this browser, then go on.
        Some(storage) => pages::storage_step(
            &pages::StorageStep {
                put: true,
                target: &storage.target,
                origin: &storage.origin,
                state: &login_state,
                next: Some(target.as_str()),
            },
            "",
            &frame_ancestors(&lti),
        ),
        None => Redirect::to(target.as_str()).into_response(),
    }
}

/// `POST /lti/launch`: a resource-link launch joins the course's meeting; a deep-linking
/// request shows the instructor's form.
pub async fn launch(
    State(state): State<AppState>,
    form: Result<Form<LaunchForm>, FormRejection>,
) -> Response {
    let Some(lti) = state.lti.clone() else {
        return not_set_up();
    };
    let form = match form {
        Ok(Form(form)) => form,
        Err(e) => {
            return pages::refusal(
                StatusCode::BAD_REQUEST,
                &format!("The launch is unreadable: {e}"),
            );
        }
    };
    if let Some(error) = form.error {
        let why = form.error_description.unwrap_or_default();
        tracing::warn!(%error, %why, "the platform refused the login");
        return pages::refusal(
            StatusCode::BAD_REQUEST,
            &format!("The learning platform refused the login: {error} {why}"),
        );
    }
    let (Some(id_token), Some(login_state)) = (form.id_token, form.state) else {
        return refuse(&LaunchError::Missing("id_token and state"));
    };
    let super::Checked {
        platform,
        launch,
        storage,
    } = match lti.check_launch(&id_token, &login_state).await {
        Ok(checked) => checked,
        Err(e) => return refuse(&e),
    };
    // With the platform's storage, the page goes on only if this browser's storage holds the
    // login's state (so a launch cannot be pushed into someone else's browser).
    let ancestors = frame_ancestors(&lti);
    let checked_then = |next: Option<&str>, after: &str| match &storage {
        Some((storage, state)) => pages::storage_step(
            &pages::StorageStep {
                put: false,
                target: &storage.target,
                origin: &storage.origin,
                state,
                next,
            },
            after,
            &ancestors,
        ),
        None => match next {
            Some(next) => Redirect::to(next).into_response(),
            None => pages::deep_link_page(after, &ancestors),
        },
    };
    let role = lms::meeting_role(&launch.roles);
    let course = course_key(
        &launch.issuer,
        &launch.deployment_id,
        launch.context_id.as_deref().unwrap_or(""),
    );
    tracing::info!(issuer = %launch.issuer, ?role, "LTI launch checked");
    match &launch.message {
        Message::ResourceLink { id, title } => {
            let link = link_key(&course, id);
            let title = title
                .clone()
                .or_else(|| launch.context_title.clone())
                .unwrap_or_default();
            let mut meeting = lti
                .links
                .find(
                    &launch.issuer,
                    &launch.deployment_id,
                    launch.context_id.as_deref().unwrap_or(""),
                    &launch.context_history,
                    id,
                )
                .await;
            // A meeting the host ended (or that expired) gives way to a new one for the link.
            if let Some(m) = &meeting
                && !live(&state, m).await
            {
                meeting = None;
            }
            if meeting.is_none() && role == Role::Host {
                let info = MeetingInfo {
                    title: title.chars().take(200).collect(),
                    starts_at: launch.start_ms.map(plenary_shared::time::Timestamp),
                    ..MeetingInfo::default()
                };
                match state.registry.create_prepared(|m, secret, now| {
                    m.apply_as_host(Command::SetInfo { info }, secret, now)
                }) {
                    Ok((id, _secret)) => {
                        tracing::info!(meeting = %id, "meeting made for a course link");
                        lti.links.set(&link, &course, &id).await;
                        meeting = Some(id);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot make a course's meeting");
                        return pages::refusal(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "The meeting could not be made right now; try again in a minute.",
                        );
                    }
                }
            }
            let ticket = Ticket {
                exp: 0,
                link,
                course,
                meeting,
                subject: format!("{}#{}", launch.issuer, launch.subject),
                name: launch.name.clone(),
                email: launch.email.clone(),
                role,
                title,
                platform,
                memberships_url: launch.memberships_url.clone().filter(|_| role.is_hosting()),
                groups_url: launch.groups_url.clone().filter(|_| role.is_hosting()),
            };
            match lti.sign_ticket(ticket) {
                // The ticket rides in the fragment: never sent to a server or kept in a log.
                Ok(signed) => checked_then(Some(&format!("/lti/join#ticket={signed}")), ""),
                Err(e) => {
                    tracing::error!(error = %e, "cannot sign a ticket");
                    pages::refusal(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
                }
            }
        }
        Message::DeepLinking { return_url, data } => {
            if !role.is_hosting() {
                return pages::refusal(
                    StatusCode::FORBIDDEN,
                    "Only the course's instructors may add Plenary meetings.",
                );
            }
            let request = DeepLinkTicket {
                exp: now_secs() + super::TICKET_SECS,
                platform,
                deployment_id: launch.deployment_id.clone(),
                return_url: return_url.clone(),
                data: data.clone(),
            };
            match lti.tickets.sign(&request) {
                Ok(signed) => checked_then(
                    None,
                    &pages::deep_link_fields(
                        &signed,
                        launch.context_title.as_deref().unwrap_or("Class meeting"),
                    ),
                ),
                Err(e) => {
                    tracing::error!(error = %e, "cannot sign a deep-linking request");
                    pages::refusal(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
                }
            }
        }
    }
}

/// Whether `meeting` is there and not ended.
pub(super) async fn live(state: &AppState, meeting: &plenary_shared::ids::MeetingId) -> bool {
    let Some(handle) = state.registry.get(meeting) else {
        return false;
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    if handle
        .send(crate::meetings::ActorMsg::PublicInfo { reply })
        .await
        .is_err()
    {
        return false;
    }
    answer.await.is_ok_and(|info| !info.ended)
}

/// The registered platforms' origins as a `frame-ancestors` list.
fn frame_ancestors(lti: &Lti) -> String {
    let origins = lti.registration.origins();
    if origins.is_empty() {
        "'self'".into()
    } else {
        format!("'self' {}", origins.join(" "))
    }
}

/// A deep-linking request between the form and its answer. Signed like a ticket.
#[derive(Debug, Serialize, Deserialize)]
struct DeepLinkTicket {
    exp: u64,
    platform: usize,
    deployment_id: String,
    return_url: String,
    #[serde(default)]
    data: Option<String>,
}

/// What the instructor's form sends.
#[derive(Debug, Deserialize)]
pub struct DeepLinkChoice {
    ticket: String,
    title: String,
    #[serde(default)]
    start: Option<String>,
    /// `start` as milliseconds since 1970, filled in by the form's script.
    #[serde(default)]
    start_ms: Option<String>,
}

/// `POST /lti/deep-link`: the instructor's choice, returned to the platform as a signed
/// `LtiDeepLinkingResponse` with one `ltiResourceLink`.
pub async fn deep_link(
    State(state): State<AppState>,
    form: Result<Form<DeepLinkChoice>, FormRejection>,
) -> Response {
    let Some(lti) = state.lti.clone() else {
        return not_set_up();
    };
    let Ok(Form(choice)) = form else {
        return pages::refusal(StatusCode::BAD_REQUEST, "The form is incomplete.");
    };
    let Some(request) = lti
        .tickets
        .open::<DeepLinkTicket>(&choice.ticket, now_secs())
    else {
        return pages::refusal(
            StatusCode::BAD_REQUEST,
            "This form has expired or was not made here; add the meeting again from the course.",
        );
    };
    let Some(platform) = lti.registration.platforms.get(request.platform) else {
        return pages::refusal(
            StatusCode::BAD_REQUEST,
            "The platform is no longer registered.",
        );
    };
    let title: String = choice.title.trim().chars().take(200).collect();
    if title.is_empty() {
        return pages::refusal(StatusCode::BAD_REQUEST, "The meeting needs a title.");
    }
    let mut custom = serde_json::json!({ "context_history": "$Context.id.history" });
    if let Some(start) = choice.start.filter(|s| !s.trim().is_empty()) {
        custom["start"] = serde_json::Value::String(start.trim().chars().take(40).collect());
    }
    // The start in the instructor's own time zone, as the form's script read it.
    if let Some(ms) = choice.start_ms.and_then(|ms| ms.trim().parse::<u64>().ok()) {
        custom["start_ms"] = serde_json::Value::String(ms.to_string());
    }
    let now = now_secs();
    let Ok(nonce) = crate::secrets::token_256() else {
        return pages::refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No randomness available.",
        );
    };
    let mut claims = serde_json::json!({
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": request.deployment_id,
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [{
            "type": "ltiResourceLink",
            "title": title,
            "url": lti.registration.tool("/lti/launch"),
            "custom": custom,
        }],
    });
    if let Some(data) = request.data {
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = data.into();
    }
    match lti.tool_key().sign(&claims) {
        Ok(jwt) => pages::auto_post(&request.return_url, "JWT", &jwt, &frame_ancestors(&lti)),
        Err(e) => {
            tracing::error!(error = %e, "cannot sign a deep-linking response");
            pages::refusal(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
        }
    }
}

/// `GET /lti/jwks`: the tool's public keys.
pub async fn jwks(State(state): State<AppState>) -> Response {
    match &state.lti {
        Some(lti) => Json(lti.tool_key().jwks()).into_response(),
        None => not_set_up(),
    }
}

/// `GET /lti/config.json`: a Canvas-style tool configuration with this server's URLs.
pub async fn config_json(State(state): State<AppState>) -> Response {
    let Some(lti) = state.lti.clone() else {
        return not_set_up();
    };
    let r = &lti.registration;
    Json(serde_json::json!({
        "title": "Plenary",
        "description": "Meetings with breakout rooms, in the browser.",
        "oidc_initiation_url": r.tool("/lti/login"),
        "target_link_uri": r.tool("/lti/launch"),
        "public_jwk_url": r.tool("/lti/jwks"),
        "scopes": [
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
            "https://purl.imsglobal.org/spec/lti-gs/scope/contextgroup.readonly"
        ],
        "custom_fields": { "context_history": "$Context.id.history" },
        "extensions": [{
            "platform": "canvas.instructure.com",
            "privacy_level": "public",
            "settings": {
                "placements": [
                    {"placement": "course_navigation", "message_type": "LtiResourceLinkRequest",
                     "target_link_uri": r.tool("/lti/launch")},
                    {"placement": "link_selection", "message_type": "LtiDeepLinkingRequest",
                     "target_link_uri": r.tool("/lti/launch")}
                ]
            }
        }]
    }))
    .into_response()
}
