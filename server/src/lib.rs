//! # plenary-server
//!
//! A thin shell around `plenary_shared::meeting`: it serves the built frontend, runs one actor
//! task per meeting that owns that meeting's state, and translates WebSocket frames to commands
//! and events back to frames. Rules of the meeting live in `plenary-shared`, never here.

pub mod app;
pub mod clock;
pub mod config;
pub mod http;
pub mod media;
pub mod meetings;
pub mod metrics;
pub mod secrets;
pub mod store;
pub mod ws;

use std::future::Future;
use tokio::net::TcpListener;

/// Serves the app on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: app::AppState,
    dist: std::path::PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app::app(state, dist))
        .with_graceful_shutdown(shutdown)
        .await
}
