//! The router: every route the server answers, built from an `AppState` so tests can run the whole
//! app on a socket of their choosing.

use crate::clock::Clock;
use crate::media::MediaConfig;
use crate::meetings::{ActorContext, Registry};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::{http, plans, settings, ws};
use axum::Router;
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::{get, post, put};
use plenary_shared::ids::MeetingId;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
}

/// How long a dropped participant keeps their place by default.
pub const DEFAULT_GRACE_SECS: u64 = 60;

impl AppState {
    /// A server with no meetings yet, on the wall clock, with the default grace period.
    pub fn new() -> Self {
        Self::with(Clock::System, DEFAULT_GRACE_SECS * 1000)
    }

    /// A server with this clock and resume grace period, keeping meetings in memory only.
    pub fn with(clock: Clock, grace_ms: u64) -> Self {
        Self::with_store(clock, grace_ms, None)
    }

    /// A server that persists meetings in `store`.
    pub fn with_store(clock: Clock, grace_ms: u64, store: Option<Store>) -> Self {
        Self::with_media(clock, grace_ms, store, MediaConfig::default())
    }

    /// A server that persists meetings in `store` and sets up media as `media` says.
    pub fn with_media(
        clock: Clock,
        grace_ms: u64,
        store: Option<Store>,
        media: MediaConfig,
    ) -> Self {
        let metrics = Arc::new(Metrics::default());
        let ctx = ActorContext {
            clock,
            metrics: metrics.clone(),
            grace_ms,
            store,
            media,
        };
        AppState {
            registry: Registry::new(ctx),
            metrics,
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
        .route("/metrics", get(http::metrics))
        .route("/api/meetings", post(settings::create_meeting))
        .route("/api/meetings/{id}", get(settings::public_info))
        .route(
            "/api/meetings/{id}/settings",
            get(settings::get_settings).put(settings::put_settings),
        )
        .route("/api/meetings/{id}/groups", get(settings::list_groups))
        .route(
            "/api/meetings/{id}/groups/{name}",
            put(settings::save_groups).delete(settings::delete_groups),
        )
        .route(
            "/api/meetings/{id}/groups/{name}/load",
            post(settings::load_groups),
        )
        .route("/api/meetings/{id}/ws", get(meeting_socket))
        .route(
            "/api/meetings/{id}/plan",
            get(plans::get_plan).put(plans::put_plan),
        )
        .route(
            "/api/meetings/{id}/plan/csv",
            get(plans::export_csv).post(plans::import_csv),
        )
        .fallback_service(ServeDir::new(dist).fallback(index))
        .with_state(state)
}

async fn meeting_socket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let meeting = state.registry.get(&MeetingId(id));
    let metrics = state.metrics.clone();
    // Small socket buffers: tungstenite's defaults (128 KiB each way) would cost a quarter of a
    // megabyte per participant, while our frames are mostly a few KiB (128 KiB at most inbound, for SDP answers).
    upgrade
        .read_buffer_size(ws::SOCKET_BUFFER_BYTES)
        .write_buffer_size(ws::SOCKET_BUFFER_BYTES)
        .max_message_size(ws::HARD_MESSAGE_LIMIT)
        .on_upgrade(move |socket| async move {
            match meeting {
                Some(meeting) => ws::serve(socket, meeting, metrics).await,
                None => ws::refuse_unknown_meeting(socket).await,
            }
        })
}
