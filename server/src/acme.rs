//! Certificates by themselves: with `--acme-domain meet.example.org` the server gets a
//! certificate from an ACME CA (Let's Encrypt by default) and renews it before it expires,
//! answering the CA's TLS-ALPN-01 challenge on its own HTTPS port, so nothing but 443/tcp needs
//! to be reachable. The account key and certificate are kept in `<data-dir>/acme`, so a restart
//! serves the cached certificate at once and does not ask the CA again. The ACME protocol is
//! `rustls-acme`'s; this module only configures it and reports what it does.

use crate::tls::{Served, server_config};
use futures_util::StreamExt;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls_acme::caches::DirCache;
use rustls_acme::{AcmeConfig, EventOk, UseChallenge};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// How to get certificates.
#[derive(Debug, Clone)]
pub struct AcmeSettings {
    pub domains: Vec<String>,
    /// `mailto:` addresses the CA may write to about the certificate.
    pub contact: Vec<String>,
    pub directory: String,
    /// A CA root to trust for the directory's own HTTPS (a private CA, or a test server),
    /// besides the public roots.
    pub directory_root: Option<PathBuf>,
    /// Where the account and certificate are kept.
    pub cache: PathBuf,
}

/// Why ACME could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    #[error("{0}: {1}")]
    Root(PathBuf, String),
    #[error("--acme-domain {0:?} is not a domain name")]
    Domain(String),
}

/// Whether `name` could be a DNS name a CA issues for (letters, digits, hyphens, dots).
fn plausible_domain(name: &str) -> bool {
    name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Starts getting (and renewing) the certificate; serves it as soon as there is one.
pub fn start(settings: &AcmeSettings) -> Result<Served, AcmeError> {
    for domain in &settings.domains {
        if !plausible_domain(domain) {
            return Err(AcmeError::Domain(domain.clone()));
        }
    }
    let mut config = AcmeConfig::new(&settings.domains)
        .contact(&settings.contact)
        .directory(&settings.directory)
        .challenge_type(UseChallenge::TlsAlpn01);
    if let Some(root) = &settings.directory_root {
        config = config.client_tls_config(client_config(root)?);
    }
    let mut state = config.cache(DirCache::new(settings.cache.clone())).state();
    let served = Served {
        site: server_config(state.resolver()),
        challenge: Some(state.challenge_rustls_config()),
    };
    let domains = settings.domains.join(", ");
    tokio::spawn(async move {
        loop {
            match state.next().await {
                Some(Ok(event)) => {
                    let said = match event {
                        EventOk::DeployedNewCert => "certificate obtained",
                        EventOk::DeployedCachedCert => "cached certificate in use",
                        EventOk::CertCacheStore => "certificate stored",
                        EventOk::AccountCacheStore => "ACME account stored",
                    };
                    tracing::info!(%domains, "{said}");
                    // Lines the tests wait for; a closed stdout is no reason to stop.
                    let _ = writeln!(std::io::stdout(), "{said} for {domains}");
                }
                // rustls-acme waits before it tries again; the error says what went wrong.
                Some(Err(e)) => tracing::error!(error = %e, %domains, "ACME"),
                None => break,
            }
        }
    });
    Ok(served)
}

/// A client configuration trusting the public roots and `root`.
fn client_config(root: &PathBuf) -> Result<Arc<rustls::ClientConfig>, AcmeError> {
    let err = |e: String| AcmeError::Root(root.clone(), e);
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in CertificateDer::pem_file_iter(root).map_err(|e| err(e.to_string()))? {
        roots
            .add(cert.map_err(|e| err(e.to_string()))?)
            .map_err(|e| err(e.to_string()))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| err(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_checked() {
        assert!(plausible_domain("meet.example.org"));
        assert!(plausible_domain("meet.test"));
        assert!(!plausible_domain("localhost"));
        assert!(!plausible_domain("10.0.0.5:443"));
        assert!(!plausible_domain("-a.example.org"));
        assert!(!plausible_domain("a..org"));
    }
}
