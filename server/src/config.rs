//! Command-line flags and environment variables, in one place, so `main` stays a few lines and tests
//! can build a `Config` directly.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

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
}
