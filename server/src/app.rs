//! The router: every route the server answers, built from an `AppState` so tests can run the whole
//! app on a socket of their choosing, with the security headers and body rules of `security.rs`
//! on every response and the per-address limits of `limits.rs`.

use crate::clock::Clock;
use crate::limits::{
    ClientAddr, ConnectionGate, CreationLimiter, GateRefusal, Limits, TrustForwarded,
};
use crate::lti::{self, Lti};
use crate::media::{Media, MediaConfig};
use crate::meetings::{ActorContext, Close, Registry};
use crate::metrics::Metrics;
use crate::security::{self, SecurityHeaders};
use crate::store::Store;
use crate::ws::{self, WsContext};
use crate::{http, plans, settings};
use axum::extract::{DefaultBodyLimit, Path, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use plenary_shared::ids::MeetingId;
use plenary_shared::protocol::ProtocolError;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<Limits>,
    pub creation: Arc<CreationLimiter>,
    pub gate: Arc<ConnectionGate>,
    /// Who may frame the app (`frame-ancestors`).
    pub frame_ancestors: String,
    /// The media engine, if its socket opened.
    pub media: Option<Media>,
    /// The LTI tool, if `--lti-config` registered platforms.
    pub lti: Option<Arc<Lti>>,
}

/// How long a dropped participant keeps their place by default.
pub const DEFAULT_GRACE_SECS: u64 = 60;

/// Largest REST request body (a plan of `MAX_PLANNED_PEOPLE` fits several times over).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Everything a server is built from, with the defaults of the command line.
#[derive(Clone)]
pub struct Options {
    pub clock: Clock,
    pub grace_ms: u64,
    pub store: Option<Store>,
    pub media: MediaConfig,
    pub limits: Limits,
    pub frame_ancestors: String,
    pub lti: Option<Arc<Lti>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: Clock::System,
            grace_ms: DEFAULT_GRACE_SECS * 1000,
            store: None,
            media: MediaConfig::default(),
            limits: Limits::default(),
            frame_ancestors: "'self'".into(),
            lti: None,
        }
    }
}

impl AppState {
    /// A server with no meetings yet, on the wall clock, with the default grace period.
    pub fn new() -> Self {
        Self::from_options(Options::default())
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
        Self::from_options(Options {
            clock,
            grace_ms,
            store,
            media,
            ..Options::default()
        })
    }

    /// A server built from `options` (on the current Tokio runtime: the media loop starts).
    /// If the media socket cannot be opened, the server runs without media and says so.
    pub fn from_options(options: Options) -> Self {
        let metrics = Arc::new(Metrics::default());
        let media = match Media::start(&options.media, metrics.clone()) {
            Ok(media) => Some(media),
            Err(e) => {
                tracing::error!(error = %e, "no media: audio and video are off");
                None
            }
        };
        let ctx = ActorContext {
            clock: options.clock,
            metrics: metrics.clone(),
            grace_ms: options.grace_ms,
            store: options.store,
            media: media.clone(),
            idle_ms: options.limits.idle_ms,
        };
        AppState {
            registry: Registry::new(ctx, options.limits.max_meetings),
            metrics,
            creation: Arc::new(CreationLimiter::new(&options.limits)),
            gate: ConnectionGate::new(&options.limits),
            limits: Arc::new(options.limits),
            frame_ancestors: match &options.lti {
                // Course pages frame the app: the platforms' origins are added.
                Some(lti) => {
                    let mut all = options.frame_ancestors.clone();
                    for origin in lti.registration.origins() {
                        all.push(' ');
                        all.push_str(&origin);
                    }
                    all
                }
                None => options.frame_ancestors,
            },
            media,
            lti: options.lti,
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
    let headers = Arc::new(SecurityHeaders::new(&dist, &state.frame_ancestors));
    let trust = TrustForwarded(state.limits.trust_forwarded_for);
    Router::new()
        .route("/healthz", get(http::healthz))
        .route("/metrics", get(http::metrics))
        .route("/api/meetings", post(settings::create_meeting))
        .route(
            "/api/meetings/{id}",
            get(settings::public_info).delete(settings::delete_meeting),
        )
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
            "/lti/login",
            get(lti::routes::login_get).post(lti::routes::login_post),
        )
        .route("/lti/launch", post(lti::routes::launch))
        .route("/lti/deep-link", post(lti::routes::deep_link))
        .route("/lti/jwks", get(lti::routes::jwks))
        .route("/lti/config.json", get(lti::routes::config_json))
        .route("/api/lti/session", get(lti::api::session))
        .route("/api/lti/course-plan", get(lti::api::course_plan))
        .route("/api/lti/absent", get(lti::api::absent))
        .route(
            "/api/meetings/{id}/plan",
            get(plans::get_plan).put(plans::put_plan),
        )
        .route(
            "/api/meetings/{id}/plan/csv",
            get(plans::export_csv).post(plans::import_csv),
        )
        .fallback_service(ServeDir::new(dist).fallback(index))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(security::no_form_bodies))
        .layer(axum::middleware::from_fn_with_state(
            headers,
            security::add_headers,
        ))
        .layer(Extension(trust))
        .with_state(state)
}

async fn meeting_socket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ClientAddr(addr): ClientAddr,
    upgrade: WebSocketUpgrade,
) -> Response {
    let meeting_id = MeetingId(id);
    let meeting = state.registry.get(&meeting_id);
    let ctx = WsContext {
        metrics: state.metrics.clone(),
        clock: state.registry.clock().clone(),
        join_timeout: state.limits.join_timeout,
        tickets: state.lti.as_ref().map(|lti| lti.ticket_key()),
        meeting: meeting_id,
    };
    let permit = state.gate.admit(addr);
    if permit.is_err() {
        crate::metrics::Metrics::bump(&state.metrics.connections_refused);
        tracing::warn!(%addr, "connection refused by the caps");
    }
    // Small socket buffers: tungstenite's defaults (128 KiB each way) would cost a quarter of a
    // megabyte per participant, while our frames are mostly a few KiB (128 KiB at most inbound, for SDP answers).
    upgrade
        .read_buffer_size(ws::SOCKET_BUFFER_BYTES)
        .write_buffer_size(ws::SOCKET_BUFFER_BYTES)
        .max_message_size(ws::HARD_MESSAGE_LIMIT)
        .on_upgrade(move |socket| async move {
            match (meeting, permit) {
                (_, Err(refusal)) => {
                    let from_your_address = refusal == GateRefusal::AddressFull;
                    let error = ProtocolError::TooManyConnections { from_your_address };
                    ws::refuse(socket, error, Close::FULL).await;
                }
                (Some(meeting), Ok(permit)) => ws::serve(socket, meeting, ctx, addr, permit).await,
                (None, Ok(_)) => {
                    ws::refuse(socket, ProtocolError::UnknownMeeting, Close::LEFT).await;
                }
            }
        })
}
