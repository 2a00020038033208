//! A real TURN server for the relay tests: Debian's coturn (`turnserver`, which `cargo xtask
//! test` installs), started on loopback with a shared secret in the `use-auth-secret` scheme the
//! Plenary server makes credentials in, and stopped when dropped. Loopback peers must be allowed
//! explicitly (coturn refuses to relay to 127.0.0.1 by default).

use crate::{HarnessError, Result};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's coturn lives (`$PLENARY_TURNSERVER` overrides).
pub fn turnserver_path() -> String {
    std::env::var("PLENARY_TURNSERVER").unwrap_or_else(|_| "/usr/bin/turnserver".into())
}

/// A running coturn.
pub struct Coturn {
    pub addr: SocketAddr,
    pub secret: String,
    pub realm: String,
    child: Child,
}

/// A port free for both UDP and TCP on loopback, as far as one can tell.
fn free_port() -> Result<u16> {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0")?;
        let port = udp.local_addr()?.port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(HarnessError::Other("no free port for coturn".into()))
}

impl Coturn {
    /// Starts coturn on a free loopback port and waits until it listens.
    pub fn start(secret: &str) -> Result<Coturn> {
        let path = turnserver_path();
        if !Path::new(&path).exists() {
            return Err(HarnessError::Other(format!(
                "{path} is missing: `cargo xtask test` installs Debian's coturn"
            )));
        }
        let port = free_port()?;
        let relay_low = free_port()?.max(20_000);
        let realm = "plenary.test".to_owned();
        let log = std::env::var("PLENARY_TURN_LOG").ok();
        let mut cmd = Command::new(&path);
        cmd.args([
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            &format!("--listening-port={port}"),
            &format!("--min-port={relay_low}"),
            &format!("--max-port={}", relay_low.saturating_add(200)),
            "--use-auth-secret",
            &format!("--static-auth-secret={secret}"),
            &format!("--realm={realm}"),
            "--allow-loopback-peers",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--no-stun-backward-compatibility",
            "--fingerprint",
            "--simple-log",
        ]);
        match &log {
            Some(file) => {
                cmd.arg(format!("--log-file={file}")).arg("--verbose");
            }
            None => {
                cmd.arg("--log-file=stdout");
            }
        }
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let coturn = Coturn {
            addr,
            secret: secret.to_owned(),
            realm,
            child,
        };
        // Listening on TCP means it is up (it opens UDP and TCP together).
        let start = Instant::now();
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if start.elapsed() > crate::DEADLINE {
                return Err(HarnessError::Timeout(format!("coturn listening on {addr}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(coturn)
    }

    /// The URL browsers are given.
    pub fn url(&self) -> String {
        format!("turn:{}?transport=udp", self.addr)
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
