//! Running the real `plenary` binary from integration tests.

use plenary_e2e::{HarnessError, Result};
use std::net::SocketAddr;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command as Process};

/// The real server binary, running.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

/// Starts the binary (on `addr`, else a free port) and waits for the line that says where it
/// listens. It serves the built frontend if there is one.
pub async fn start(data: &Path, addr: Option<SocketAddr>) -> Result<Server> {
    let addr = addr.map_or_else(|| "127.0.0.1:0".to_owned(), |a| a.to_string());
    let mut child = Process::new(env!("CARGO_BIN_EXE_plenary"))
        .args([
            "--addr",
            &addr,
            "--media-port",
            "0",
            "--media-tcp-port",
            "0",
        ])
        .arg("--dist")
        .arg(plenary_e2e::dist_dir())
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| HarnessError::Other("no stdout".into()))?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(plenary_e2e::DEADLINE, lines.next_line())
        .await
        .map_err(|_| HarnessError::Timeout("the server to start".into()))??
        .ok_or_else(|| HarnessError::Other("server exited before listening".into()))?;
    let addr = line
        .rsplit("http://")
        .next()
        .and_then(|a| a.trim().parse().ok())
        .ok_or_else(|| HarnessError::Other(format!("unexpected first line {line:?}")))?;
    Ok(Server { child, addr })
}
