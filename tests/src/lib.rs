//! Helpers for Plenary's end-to-end tests: the real server on 127.0.0.1:0, simulated WebSocket
//! clients that speak the protocol, and headless Chromium sessions driven over WebDriver.
//!
//! Every wait here awaits a condition (a message, a DOM state) with a deadline; none sleeps to
//! synchronise.

pub mod bench;
pub mod browser;
pub mod browser_timing;
pub mod client;
pub mod lifecycle_bench;
pub mod lti;
pub mod lti_course;
pub mod media;
pub mod plenary_bench;
pub mod sfu_bench;
pub mod support;
pub mod traffic;
pub mod turn;

use plenary_server::app::AppState;
use plenary_shared::api::CreatedMeeting;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// How long any single expected thing may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Errors of the test harness itself.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("timed out waiting for {0}")]
    Timeout(String),
    #[error("websocket: {0}")]
    Ws(#[from] Box<tokio_tungstenite::tungstenite::Error>),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("webdriver: {0}")]
    WebDriver(String),
    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, HarnessError>;

/// The workspace root (cargo tells a test binary where its package is when it runs it).
pub fn workspace_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

/// The built frontend: `$PLENARY_DIST`, else the workspace's `dist/`.
pub fn dist_dir() -> PathBuf {
    std::env::var_os("PLENARY_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_dir().join("dist"))
}

/// A server running inside the test process, stopped when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    registry: plenary_server::meetings::Registry,
    tls: bool,
}

impl TestServer {
    /// Starts the real app on an ephemeral loopback port.
    pub async fn start() -> Result<TestServer> {
        TestServer::start_with(AppState::new()).await
    }

    /// Starts the real app forwarding every voice and every video to everyone in a place
    /// (`--loudest-voices all --last-n all`), for tests about who may receive whom rather
    /// than about the selection.
    pub async fn start_all_to_all() -> Result<TestServer> {
        let media = plenary_server::media::MediaConfig {
            selection: plenary_server::media::select::Selection::ALL,
            ..plenary_server::media::MediaConfig::default()
        };
        TestServer::start_with(AppState::from_options(plenary_server::app::Options {
            media,
            ..plenary_server::app::Options::default()
        }))
        .await
    }

    /// Starts the real app with a given state (a manual clock, a short grace period…).
    pub async fn start_with(state: AppState) -> Result<TestServer> {
        let listener = plenary_server::bind(([127, 0, 0, 1], 0).into())?;
        TestServer::start_on(listener, state).await
    }

    /// Serves `state` on a listener bound already (so its URL could go into the state).
    pub async fn start_on(
        listener: tokio::net::TcpListener,
        state: AppState,
    ) -> Result<TestServer> {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let registry = state.registry.clone();
        tokio::spawn(plenary_server::serve(
            listener,
            state,
            dist_dir(),
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(TestServer {
            addr,
            stop: Some(stop),
            registry,
            tls: false,
        })
    }

    /// Starts the real app over HTTPS with `certificate` (plain HTTP is redirected).
    pub async fn start_tls(
        state: AppState,
        certificate: std::sync::Arc<plenary_server::tls::Certificate>,
    ) -> Result<TestServer> {
        let listener = plenary_server::bind(([127, 0, 0, 1], 0).into())?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let registry = state.registry.clone();
        tokio::spawn(plenary_server::serve_tls(
            listener,
            state,
            dist_dir(),
            async move {
                let _ = stopped.await;
            },
            plenary_server::tls::Served::files(certificate),
        ));
        Ok(TestServer {
            addr,
            stop: Some(stop),
            registry,
            tls: true,
        })
    }

    /// Stops serving and writes every meeting's newest state, as the binary does on SIGTERM.
    pub async fn shut_down(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.registry.flush_all().await;
    }

    /// How many meetings the server holds.
    pub fn meetings(&self) -> usize {
        self.registry.len()
    }

    /// `http://127.0.0.1:port` (or `https://`).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// `POST /api/meetings` over a plain HTTP/1.1 request.
    pub async fn create_meeting(&self) -> Result<CreatedMeeting> {
        create_meeting(self.addr).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `POST /api/meetings` on the server at `addr`.
pub async fn create_meeting(addr: SocketAddr) -> Result<CreatedMeeting> {
    let (status, body) = http(
        addr,
        "POST",
        "/api/meetings",
        &[("Content-Type", "application/json")],
        b"",
    )
    .await?;
    if status != 201 {
        return Err(HarnessError::Other(format!(
            "create meeting: HTTP {status}: {body}"
        )));
    }
    Ok(serde_json::from_str(&body)?)
}

/// A minimal HTTP/1.1 request with `Connection: close`; returns status and body.
pub async fn http_request(addr: SocketAddr, method: &str, path: &str) -> Result<(u16, String)> {
    http(addr, method, path, &[], b"").await
}

/// An HTTP/1.1 request with headers and a body; returns status and body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, String)> {
    let (status, _, body) = http_full(addr, method, path, headers, body).await?;
    Ok((status, body))
}

/// Like `http`, also returning the response's header block (lower-cased names, for
/// `header_of`).
pub async fn http_full(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, String, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut raw))
        .await
        .map_err(|_| HarnessError::Timeout(format!("{method} {path}")))??;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| HarnessError::Other("no HTTP header end".into()))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| HarnessError::Other(format!("bad status line: {head}")))?;
    Ok((status, head.to_owned(), body.to_owned()))
}

/// The value of header `name` in a header block from `http_full`.
pub fn header_of(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}
