//! The `plenary` binary: reads the configuration, sets up logging, and serves until SIGINT or
//! SIGTERM.

use clap::Parser;
use plenary_server::app::AppState;
use plenary_server::config::Config;
use plenary_server::store::Store;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr; stdout carries only the line that says where we listen.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
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

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("bad configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Store(#[from] plenary_server::store::StoreError),
}

async fn run(config: Config) -> Result<(), RunError> {
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist.display(), "no built frontend here; run `cargo xtask run`");
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let db = config.data_dir.join("plenary.sqlite3");
    let store = Store::open(&db).await?;
    let media = config.media().map_err(RunError::Config)?;
    let state = AppState::from_options(plenary_server::app::Options {
        clock: plenary_server::clock::Clock::System,
        grace_ms: config.resume_grace_secs.saturating_mul(1000),
        store: Some(store),
        media,
        limits: config.limits(),
        frame_ancestors: config.frame_ancestors.clone(),
    });
    if state.media.is_none() {
        return Err(RunError::Config(format!(
            "the media port {}:{} could not be opened (see the error above)",
            config.media_bind, config.media_port
        )));
    }
    let restored = state.registry.restore().await?;
    tracing::info!(db = %db.display(), restored, "store open");
    let listener = plenary_server::bind(config.addr)?;
    let addr = listener.local_addr()?;
    tracing::info!("Plenary is serving on http://{addr}");
    println!("Plenary is serving on http://{addr}");
    let registry = state.registry.clone();
    plenary_server::serve(listener, state, config.dist, shutdown_signal()).await?;
    // Graceful shutdown: every meeting's newest state is on disk before we exit.
    registry.flush_all().await;
    tracing::info!("state flushed; bye");
    Ok(())
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
