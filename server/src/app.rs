//! The router: every route the server answers, built from an `AppState` so tests can run the whole
//! app on a socket of their choosing.

use crate::meetings::Registry;
use crate::{http, ws};
use axum::Router;
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::{get, post};
use plenary_shared::ids::MeetingId;
use std::path::PathBuf;
use tower_http::services::{ServeDir, ServeFile};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
}

impl AppState {
    /// A server with no meetings yet.
    pub fn new() -> Self {
        AppState {
            registry: Registry::default(),
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// The whole application. `dist` is the built frontend; any path that is not a file gets
/// `index.html`, so links like `/m/{id}` load the app.
pub fn app(state: AppState, dist: PathBuf) -> Router {
    let index = ServeFile::new(dist.join("index.html"));
    Router::new()
        .route("/healthz", get(http::healthz))
        .route("/api/meetings", post(http::create_meeting))
        .route("/api/meetings/{id}/ws", get(meeting_socket))
        .fallback_service(ServeDir::new(dist).fallback(index))
        .with_state(state)
}

async fn meeting_socket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let meeting = state.registry.get(&MeetingId(id));
    upgrade
        .max_message_size(ws::HARD_MESSAGE_LIMIT)
        .on_upgrade(move |socket| async move {
            match meeting {
                Some(meeting) => ws::serve(socket, meeting).await,
                None => ws::refuse_unknown_meeting(socket).await,
            }
        })
}
