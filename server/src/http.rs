//! REST endpoints and their error type. Every error is JSON with a stable code and a sentence,
//! with the right HTTP status, and never carries internals.

use crate::app::AppState;
use crate::meetings::CreateError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use plenary_shared::api::ApiErrorBody;
use plenary_shared::meeting::command::CommandError;
use plenary_shared::plan_csv::CsvImport;
use thiserror::Error;

/// Errors of the REST layer.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("the server cannot create more meetings right now")]
    Capacity,
    #[error("something went wrong on the server")]
    Internal,
    #[error("there is no such meeting")]
    UnknownMeeting,
    #[error("send the host secret as `Authorization: Bearer <secret>`")]
    MissingToken,
    #[error("{0}")]
    Rejected(CommandError),
    #[error("the request body could not be read: {0}")]
    BadBody(String),
    #[error("the file has {} bad line(s); fix them or import the good rows only", .0.errors.len())]
    CsvErrors(CsvImport),
    #[error("send the body as JSON (Content-Type: application/json)")]
    NotJson,
    #[error("this kind of body is not accepted here; send JSON")]
    UnsupportedMediaType,
    #[error("too many meetings created from your address; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error(
        "the launch from your course has expired or is not valid; open the meeting from the course again"
    )]
    LaunchExpired,
    #[error("{0}")]
    Upstream(String),
}

impl ApiError {
    fn code(&self) -> String {
        match self {
            ApiError::Capacity => "capacity".into(),
            ApiError::Internal => "internal".into(),
            ApiError::UnknownMeeting => "unknown_meeting".into(),
            ApiError::MissingToken => "missing_token".into(),
            ApiError::BadBody(_) => "bad_body".into(),
            ApiError::CsvErrors(_) => "csv_errors".into(),
            ApiError::NotJson => "not_json".into(),
            ApiError::UnsupportedMediaType => "unsupported_media_type".into(),
            ApiError::TooManyRequests { .. } => "too_many_requests".into(),
            ApiError::LaunchExpired => "launch_expired".into(),
            ApiError::Upstream(_) => "upstream".into(),
            // The engine's own stable code (`not_allowed`, `invalid_plan`, …).
            // Externally tagged: a bare string, or an object whose one key is the code.
            ApiError::Rejected(e) => match serde_json::to_value(e) {
                Ok(serde_json::Value::String(code)) => code,
                Ok(serde_json::Value::Object(fields)) => fields
                    .keys()
                    .next()
                    .cloned()
                    .unwrap_or_else(|| "rejected".into()),
                _ => "rejected".into(),
            },
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Capacity => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::UnknownMeeting => StatusCode::NOT_FOUND,
            ApiError::MissingToken | ApiError::LaunchExpired => StatusCode::UNAUTHORIZED,
            ApiError::BadBody(_) => StatusCode::BAD_REQUEST,
            ApiError::CsvErrors(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotJson | ApiError::UnsupportedMediaType => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Rejected(CommandError::MeetingEnded) => StatusCode::GONE,
            ApiError::Rejected(CommandError::NotAllowed { .. }) => StatusCode::FORBIDDEN,
            ApiError::Rejected(CommandError::AlreadyOpen) => StatusCode::CONFLICT,
            ApiError::Rejected(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::Full { .. } => ApiError::Capacity,
            CreateError::Rejected(e) => ApiError::Rejected(e),
            CreateError::Randomness(inner) => {
                tracing::error!(error = %inner, "cannot create meeting");
                ApiError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let rows = match &self {
            ApiError::CsvErrors(import) => import.errors.clone(),
            _ => Vec::new(),
        };
        let body = ApiErrorBody {
            code: self.code(),
            message: self.to_string(),
            rows,
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self
            && let Ok(value) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
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

/// `GET /healthz`: `ok` while the process serves and its writes reach the store; `503
/// degraded` while some meeting's state cannot be written.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.metrics.store_degraded() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "degraded: meeting state cannot be written to the store",
        )
    } else {
        (StatusCode::OK, "ok")
    }
}
