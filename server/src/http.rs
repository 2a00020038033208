//! REST endpoints and their error type. Every error is JSON with a stable code and a sentence,
//! with the right HTTP status, and never carries internals.

use crate::app::AppState;
use crate::meetings::CreateError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use plenary_shared::api::{ApiErrorBody, CreatedMeeting};
use thiserror::Error;

/// Errors of the REST layer.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("the server cannot create more meetings right now")]
    Capacity,
    #[error("something went wrong on the server")]
    Internal,
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::Capacity => "capacity",
            ApiError::Internal => "internal",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Capacity => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::Full { .. } => ApiError::Capacity,
            CreateError::Randomness(inner) => {
                tracing::error!(error = %inner, "cannot create meeting");
                ApiError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
        };
        (self.status(), Json(body)).into_response()
    }
}

/// `POST /api/meetings`: a new meeting, with its host capability.
pub async fn create_meeting(
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<CreatedMeeting>), ApiError> {
    let (meeting, host_secret) = state.registry.create()?;
    tracing::info!(%meeting, "meeting created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedMeeting {
            meeting,
            host_secret,
        }),
    ))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(state.registry.len()),
    )
}

/// `GET /healthz`: the process is up and serving.
pub async fn healthz() -> &'static str {
    "ok"
}
