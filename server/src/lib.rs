//! # plenary-server
//!
//! A thin shell around `plenary_shared::meeting`: it serves the built frontend, runs one actor
//! task per meeting that owns that meeting's state, and translates WebSocket frames to commands
//! and events back to frames. Rules of the meeting live in `plenary-shared`, never here.

pub mod acme;
pub mod app;
pub mod clock;
pub mod config;
pub mod http;
pub mod limits;
pub mod lti;
pub mod media;
pub mod meetings;
pub mod metrics;
pub mod plans;
pub mod secrets;
pub mod security;
pub mod settings;
pub mod store;
pub mod tls;
pub mod ws;

use axum::serve::ListenerExt;
use std::future::Future;
use tokio::net::TcpListener;

/// Kernel send buffer per client connection. Fixed rather than autotuned (up to 4 MiB on Linux)
/// so that a client that stops reading costs bounded memory and soon fills its outbox, which gets
/// it disconnected instead of buffered without end.
pub const SEND_BUFFER_BYTES: u32 = 256 * 1024;

/// Binds a listener whose accepted connections inherit `SEND_BUFFER_BYTES`.
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_send_buffer_size(SEND_BUFFER_BYTES)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves the app on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: app::AppState,
    dist: std::path::PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Events are small and must go out at once: without TCP_NODELAY, Nagle's algorithm holds a
    // frame back while an earlier one waits for the client's (delayed) acknowledgement.
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
    });
    sweep_creation_limits(&state);
    let app = app::app(state, dist).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves the app over HTTPS on `listener` as `served` says (plain HTTP on the same port is
/// redirected) until `shutdown` completes. Every response says to keep to HTTPS (HSTS).
pub async fn serve_tls(
    listener: TcpListener,
    state: app::AppState,
    dist: std::path::PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
    served: tls::Served,
) -> std::io::Result<()> {
    sweep_creation_limits(&state);
    let hsts = tower_http::set_header::SetResponseHeaderLayer::overriding(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static("max-age=31536000"),
    );
    let app = app::app(state, dist)
        .layer(hsts)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    // TCP_NODELAY is set before the handshake; the tap only makes the client address known.
    let listener = tls::TlsListener::new(listener, served)?.tap_io(|_| {});
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The creation limiter forgets addresses whose allowance is full again, every minute.
fn sweep_creation_limits(state: &app::AppState) {
    let creation = std::sync::Arc::downgrade(&state.creation);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            match creation.upgrade() {
                Some(limiter) => limiter.sweep(),
                None => break,
            }
        }
    });
}
