//! The meeting itself over REST: creating one (with its settings and plan in one go), what anyone
//! with the link may know before joining, the host's settings, and saved group sets. As in
//! `plans.rs`, the rules are the engine's; this module reads requests and shapes answers.

use crate::app::AppState;
use crate::http::ApiError;
use crate::limits::ClientAddr;
use crate::meetings::ActorMsg;
use crate::metrics::Metrics;
use crate::plans::{authorised, body, host_command, host_read, meeting};
use crate::security::is_json;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use plenary_shared::api::{CreatedMeeting, NewMeeting};
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::groups::GroupSetView;
use plenary_shared::meeting::info::{MeetingInfo, PublicInfo};
use tokio::sync::oneshot;

/// `POST /api/meetings`, with an optional `NewMeeting` body (sent as JSON, even when empty, so
/// no cross-site form can do it): a new meeting and its host capability. Bad settings or a bad
/// plan create nothing. Limited per client address: a burst, then a steady rate (`429` with
/// `Retry-After` beyond it).
pub async fn create_meeting(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedMeeting>), ApiError> {
    if !is_json(&headers) {
        return Err(ApiError::NotJson);
    }
    if let Err(wait) = state.creation.check(addr) {
        Metrics::bump(&state.metrics.meetings_creation_limited);
        let retry_after_secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        tracing::warn!(%addr, retry_after_secs, "meeting creation rate-limited");
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let raw = body(raw)?;
    let new: NewMeeting = if raw.iter().all(u8::is_ascii_whitespace) {
        NewMeeting::default()
    } else {
        serde_json::from_slice(&raw).map_err(|e| ApiError::BadBody(e.to_string()))?
    };
    let (meeting, host_secret) = state.registry.create_prepared(|m, secret, now| {
        m.apply_as_host(Command::SetInfo { info: new.info }, secret, now)?;
        match new.plan {
            Some(plan) if !plan.rooms.is_empty() => {
                m.apply_as_host(Command::LoadPlan { plan }, secret, now)
            }
            _ => Ok(()),
        }
    })?;
    Metrics::bump(&state.metrics.meetings_created);
    tracing::info!(%meeting, %addr, "meeting created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedMeeting {
            meeting,
            host_secret,
        }),
    ))
}

/// `GET /api/meetings/{id}`: title, start time, and whether a passcode is needed. No secret.
pub async fn public_info(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicInfo>, ApiError> {
    let handle = meeting(&state, id)?;
    let (reply, answer) = oneshot::channel();
    handle
        .send(ActorMsg::PublicInfo { reply })
        .await
        .map_err(|_| ApiError::UnknownMeeting)?;
    Ok(Json(answer.await.map_err(|_| ApiError::Internal)?))
}

/// `GET /api/meetings/{id}/settings`: the host's settings, passcode included.
pub async fn get_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<MeetingInfo>, ApiError> {
    let (handle, secret) = authorised(&state, id, &headers)?;
    Ok(Json(host_read(&handle, secret).await?.info))
}

/// `PUT /api/meetings/{id}/settings` with `MeetingInfo`.
pub async fn put_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<MeetingInfo>, ApiError> {
    let (handle, secret) = authorised(&state, id, &headers)?;
    let info: MeetingInfo =
        serde_json::from_slice(&body(raw)?).map_err(|e| ApiError::BadBody(e.to_string()))?;
    host_command(&handle, secret.clone(), Command::SetInfo { info }).await?;
    Ok(Json(host_read(&handle, secret).await?.info))
}

/// `GET /api/meetings/{id}/groups`: the saved group sets.
pub async fn list_groups(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<GroupSetView>>, ApiError> {
    let (handle, secret) = authorised(&state, id, &headers)?;
    Ok(Json(host_read(&handle, secret).await?.group_sets))
}

/// `PUT /api/meetings/{id}/groups/{name}`: save the current rooms and people under `name`.
pub async fn save_groups(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Vec<GroupSetView>>, ApiError> {
    group_command(&state, id, &headers, Command::SaveGroups { name }).await
}

/// `POST /api/meetings/{id}/groups/{name}/load`: replace the rooms with a saved set.
pub async fn load_groups(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Vec<GroupSetView>>, ApiError> {
    group_command(&state, id, &headers, Command::LoadGroups { name }).await
}

/// `DELETE /api/meetings/{id}/groups/{name}`.
pub async fn delete_groups(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Vec<GroupSetView>>, ApiError> {
    group_command(&state, id, &headers, Command::DeleteGroups { name }).await
}

async fn group_command(
    state: &AppState,
    id: String,
    headers: &HeaderMap,
    command: Command,
) -> Result<Json<Vec<GroupSetView>>, ApiError> {
    let (handle, secret) = authorised(state, id, headers)?;
    host_command(&handle, secret.clone(), command).await?;
    Ok(Json(host_read(&handle, secret).await?.group_sets))
}

/// `DELETE /api/meetings/{id}`: the host ends the meeting for everyone and it is forgotten
/// (state, chat, settings). `204` when done.
pub async fn delete_meeting(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let (handle, secret) = authorised(&state, id, &headers)?;
    let (reply, answer) = oneshot::channel();
    handle
        .send(ActorMsg::Delete { secret, reply })
        .await
        .map_err(|_| ApiError::UnknownMeeting)?;
    answer
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(ApiError::Rejected)?;
    Ok(StatusCode::NO_CONTENT)
}
