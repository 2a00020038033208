//! The `plenary` binary: reads the configuration, sets up logging, and serves until SIGINT or
//! SIGTERM.

use clap::Parser;
use plenary_server::app::AppState;
use plenary_server::config::Config;
use plenary_server::store::Store;
use std::io::Write;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr; stdout carries only the line that says where we listen (and, with
    // TLS, one line per certificate reload).
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
    let lti = match &config.lti_config {
        Some(path) => {
            let registration = plenary_server::lti::registration::Registration::load(path)
                .map_err(|e| RunError::Config(e.to_string()))?;
            let platforms = registration.platforms.len();
            let lti = plenary_server::lti::Lti::start(
                registration,
                &config.data_dir,
                Some(store.clone()),
            )
            .await
            .map_err(|e| RunError::Config(e.to_string()))?;
            tracing::info!(platforms, "LTI on");
            Some(std::sync::Arc::new(lti))
        }
        None => None,
    };
    let state = AppState::from_options(plenary_server::app::Options {
        clock: plenary_server::clock::Clock::System,
        grace_ms: config.resume_grace_secs.saturating_mul(1000),
        store: Some(store),
        media,
        limits: config.limits(),
        frame_ancestors: config.frame_ancestors.clone(),
        lti,
    });
    if state.media.is_none() {
        return Err(RunError::Config(format!(
            "the media port {}:{} could not be opened (see the error above)",
            config.media_bind, config.media_port
        )));
    }
    // Checked before anything is served: a bad certificate stops the start with its reason.
    let tls = match (config.tls(), config.acme()) {
        (Some(files), _) => {
            let key = files.load().map_err(|e| RunError::Config(e.to_string()))?;
            let certificate = plenary_server::tls::Certificate::new(key);
            tokio::spawn(reload_on_hangup(files, certificate.clone()));
            Some(plenary_server::tls::Served::files(certificate))
        }
        (None, Some(acme)) => {
            Some(plenary_server::acme::start(&acme).map_err(|e| RunError::Config(e.to_string()))?)
        }
        (None, None) => None,
    };
    let restored = state.registry.restore().await?;
    tracing::info!(db = %db.display(), restored, "store open");
    let listener = plenary_server::bind(config.addr)?;
    let addr = listener.local_addr()?;
    let registry = state.registry.clone();
    match tls {
        Some(served) => {
            if let Some(plain) = config.http_redirect_addr {
                let redirect = plenary_server::bind(plain)?;
                tracing::info!(%plain, "plain HTTP redirected to HTTPS");
                tokio::spawn(plenary_server::tls::redirect_plain_http(
                    redirect,
                    addr.port(),
                ));
            }
            tracing::info!("Plenary is serving on https://{addr}");
            println!("Plenary is serving on https://{addr}");
            plenary_server::serve_tls(listener, state, config.dist, shutdown_signal(), served)
                .await?;
        }
        None => {
            if config.http_redirect_addr.is_some() {
                return Err(RunError::Config(
                    "--http-redirect-addr needs HTTPS (--tls-cert or --acme-domain)".into(),
                ));
            }
            tracing::info!("Plenary is serving on http://{addr}");
            println!("Plenary is serving on http://{addr}");
            plenary_server::serve(listener, state, config.dist, shutdown_signal()).await?;
        }
    }
    // Graceful shutdown: every meeting's newest state is on disk before we exit.
    registry.flush_all().await;
    tracing::info!("state flushed; bye");
    Ok(())
}

/// Reads the certificate and key again on every SIGHUP (after a renewal); a pair that does not
/// load is logged and the one in use kept.
async fn reload_on_hangup(
    files: plenary_server::tls::TlsFiles,
    certificate: std::sync::Arc<plenary_server::tls::Certificate>,
) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; the certificate is read only at start");
            return;
        };
        while hangups.recv().await.is_some() {
            match files.load() {
                Ok(key) => {
                    certificate.replace(key);
                    tracing::info!(cert = %files.cert.display(), "certificate reloaded");
                    // A line the tests wait for; a closed stdout is no reason to stop.
                    let _ = writeln!(std::io::stdout(), "certificate reloaded");
                }
                Err(e) => {
                    tracing::error!(error = %e, "certificate not reloaded; keeping the old one");
                    let _ = writeln!(std::io::stdout(), "certificate not reloaded: {e}");
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (files, certificate);
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
