//! Command-line flags and environment variables, in one place, so `main` stays a few lines and tests
//! can build a `Config` directly.

use crate::media::{MediaConfig, PortRange};
use clap::Parser;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// How to run the server.
#[derive(Debug, Clone, Parser)]
#[command(name = "plenary", about = "Plenary meeting server")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PLENARY_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory holding the built frontend (Trunk's dist/).
    #[arg(long, env = "PLENARY_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Directory for the server's data files (created if missing).
    #[arg(long, env = "PLENARY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Seconds a participant whose connection dropped keeps their place, waiting to resume.
    #[arg(long, env = "PLENARY_RESUME_GRACE_SECS", default_value_t = crate::app::DEFAULT_GRACE_SECS)]
    pub resume_grace_secs: u64,
    /// Address media (WebRTC) sockets bind to; each participant's connection gets one UDP port.
    #[arg(long, env = "PLENARY_MEDIA_BIND", default_value = "127.0.0.1")]
    pub media_bind: IpAddr,
    /// UDP ports for media, like `40000-40999` (one per connected participant); `0` lets the
    /// system pick.
    #[arg(long, env = "PLENARY_MEDIA_PORTS", default_value = "0")]
    pub media_ports: String,
    /// Address announced to browsers in media candidates instead of the bound one (the public
    /// address of a server behind 1:1 NAT).
    #[arg(long, env = "PLENARY_MEDIA_ANNOUNCE")]
    pub media_announce: Option<IpAddr>,
}

impl Config {
    /// The media settings these flags describe.
    pub fn media(&self) -> Result<MediaConfig, String> {
        Ok(MediaConfig {
            bind: self.media_bind,
            announce: self.media_announce,
            ports: Arc::new(PortRange::parse(&self.media_ports)?),
        })
    }
}
