//! The planning API: a meeting's breakout plan as JSON or CSV, for whoever holds the host secret
//! (sent as `Authorization: Bearer <secret>`). The rules — who may, what a valid plan is — are the
//! engine's; this module only reads requests and shapes answers.

use crate::app::AppState;
use crate::http::ApiError;
use crate::meetings::{ActorMsg, HostReadout, MeetingHandle};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use plenary_shared::api::{CsvImported, PlanSaved};
use plenary_shared::ids::{HostSecret, MeetingId};
use plenary_shared::meeting::command::{Command, CommandError};
use plenary_shared::meeting::plan::Plan;
use plenary_shared::plan_csv;
use tokio::sync::oneshot;

/// The host secret from `Authorization: Bearer <secret>`.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<HostSecret, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| HostSecret(s.trim().to_owned()))
        .filter(|s| !s.0.is_empty())
        .ok_or(ApiError::MissingToken)
}

/// The live meeting of that id.
pub(crate) fn meeting(state: &AppState, id: String) -> Result<MeetingHandle, ApiError> {
    state
        .registry
        .get(&MeetingId(id))
        .ok_or(ApiError::UnknownMeeting)
}

async fn load_plan(handle: &MeetingHandle, secret: HostSecret, plan: Plan) -> Result<(), ApiError> {
    host_command(handle, secret, Command::LoadPlan { plan }).await
}

/// Applies a command on the strength of the host secret.
pub(crate) async fn host_command(
    handle: &MeetingHandle,
    secret: HostSecret,
    command: Command,
) -> Result<(), ApiError> {
    let (reply, answer) = oneshot::channel();
    handle
        .send(ActorMsg::HostCommand {
            secret,
            command,
            reply,
        })
        .await
        .map_err(|_| ApiError::UnknownMeeting)?;
    answer
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(ApiError::Rejected)
}

async fn current_plan(handle: &MeetingHandle, secret: HostSecret) -> Result<Plan, ApiError> {
    Ok(host_read(handle, secret).await?.plan.unwrap_or_default())
}

/// Everything the host secret may read.
pub(crate) async fn host_read(
    handle: &MeetingHandle,
    secret: HostSecret,
) -> Result<HostReadout, ApiError> {
    let (reply, answer) = oneshot::channel();
    handle
        .send(ActorMsg::HostRead { secret, reply })
        .await
        .map_err(|_| ApiError::UnknownMeeting)?;
    answer
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(ApiError::Rejected)
}

/// The request body, or a `bad_body` error.
/// The meeting named in the path and the host secret the request presents.
pub(crate) fn authorised(
    state: &AppState,
    id: String,
    headers: &HeaderMap,
) -> Result<(MeetingHandle, HostSecret), ApiError> {
    let secret = bearer(headers)?;
    Ok((meeting(state, id)?, secret))
}

pub(crate) fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| ApiError::BadBody(e.body_text()))
}

/// `GET /api/meetings/{id}/plan`.
pub async fn get_plan(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Plan>, ApiError> {
    let (handle, secret) = authorised(&state, id, &headers)?;
    Ok(Json(current_plan(&handle, secret).await?))
}

/// `PUT /api/meetings/{id}/plan` with a JSON plan.
pub async fn put_plan(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<PlanSaved>, ApiError> {
    let (handle, secret) = authorised(&state, id, &headers)?;
    let plan: Plan =
        serde_json::from_slice(&body(raw)?).map_err(|e| ApiError::BadBody(e.to_string()))?;
    let saved = PlanSaved {
        rooms: plan.rooms.len(),
        people: plan.rooms.iter().map(|r| r.members.len()).sum(),
    };
    load_plan(&handle, secret, plan).await?;
    Ok(Json(saved))
}

/// `POST /api/meetings/{id}/plan/csv[?accept_good_rows=true]` with a CSV file. A file with bad
/// rows is refused (422, every row's problem listed) unless the good rows are accepted.
pub async fn import_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<CsvImported>, ApiError> {
    let (handle, secret) = authorised(&state, id, &headers)?;
    let accept_good_rows = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|kv| kv == "accept_good_rows=true");
    let import = plan_csv::parse(&body(raw)?);
    if !import.is_clean() && !accept_good_rows {
        // Still check the caller may plan at all, so a stranger learns nothing from the file.
        current_plan(&handle, secret).await?;
        return Err(ApiError::CsvErrors(import));
    }
    if import.rows.is_empty() {
        return Err(ApiError::Rejected(CommandError::InvalidPlan {
            reason: "the file has no good rows".into(),
        }));
    }
    load_plan(&handle, secret, import.to_plan()).await?;
    Ok(Json(CsvImported {
        import,
        applied: true,
    }))
}

/// `GET /api/meetings/{id}/plan/csv`: the plan as `room,name,email`.
pub async fn export_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let (handle, secret) = authorised(&state, id, &headers)?;
    let plan = current_plan(&handle, secret).await?;
    let rows = plan_csv::plan_to_rows(&plan);
    let csv = plan_csv::write(&rows).map_err(|e| {
        tracing::error!(error = %e, "cannot write CSV");
        ApiError::Internal
    })?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
}
