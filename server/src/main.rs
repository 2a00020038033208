//! The `plenary` binary: reads the configuration, sets up logging, and serves until SIGINT or
//! SIGTERM.

use clap::Parser;
use plenary_server::app::AppState;
use plenary_server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> std::io::Result<()> {
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist.display(), "no built frontend here; run `cargo xtask run`");
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    tracing::info!("Plenary is serving on http://{addr}");
    println!("Plenary is serving on http://{addr}");
    plenary_server::serve(listener, AppState::new(), config.dist, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
