//! HTTPS by itself, so a school's server needs no proxy for browsers to allow the camera and
//! microphone (they do only in a secure context). A certificate and key in PEM files
//! (`--tls-cert`, `--tls-key`) are served with rustls and read again on SIGHUP (a renewed
//! certificate takes effect without a restart; a bad one is refused and the old one kept).
//!
//! The listener sniffs each connection's first byte: a TLS handshake is served, and plain HTTP
//! on the same port (someone typing `http://10.0.0.5:8080`) gets a redirect to the same address
//! over HTTPS. Handshakes run in their own tasks, at most `MAX_HANDSHAKES` at once, each within
//! `HANDSHAKE_TIMEOUT`, so a slow or silent client holds up nobody. With ACME (`acme.rs`), a
//! handshake asking for `acme-tls/1` gets the challenge certificate instead.

use rustls::ServerConfig;
use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::Acceptor;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::server::TlsStream;

/// TLS handshakes in progress at once; more connections wait to be accepted.
pub const MAX_HANDSHAKES: usize = 1024;

/// How long a client may take to finish its handshake (or its plain HTTP request).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest plain-HTTP request head read to answer it with a redirect.
const MAX_REDIRECT_HEAD: usize = 8 * 1024;

/// Why TLS could not be set up.
#[derive(Debug, Error)]
pub enum TlsError {
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{0}: no certificate in the file")]
    NoCertificate(PathBuf),
    #[error("the key does not fit a supported signature scheme: {0}")]
    Key(String),
}

/// Where the certificate and key are read from.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// Reads and checks both files.
    pub fn load(&self) -> Result<CertifiedKey, TlsError> {
        let file_err = |path: &Path| {
            let path = path.to_owned();
            move |e: rustls::pki_types::pem::Error| TlsError::File {
                path,
                reason: e.to_string(),
            }
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert)
            .map_err(file_err(&self.cert))?
            .collect::<Result<_, _>>()
            .map_err(file_err(&self.cert))?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate(self.cert.clone()));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(file_err(&self.key))?;
        let signing = any_supported_type(&key).map_err(|e| TlsError::Key(e.to_string()))?;
        let certified = CertifiedKey::new(certs, signing);
        certified
            .keys_match()
            .map_err(|e| TlsError::Key(e.to_string()))?;
        Ok(certified)
    }
}

/// The certificate being served, replaceable while the server runs.
#[derive(Debug)]
pub struct Certificate {
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificate {
    pub fn new(key: CertifiedKey) -> Arc<Certificate> {
        Arc::new(Certificate {
            current: RwLock::new(Arc::new(key)),
        })
    }

    /// Serves `key` from the next handshake on.
    pub fn replace(&self, key: CertifiedKey) {
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(key);
        }
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| c.clone())
    }
}

/// The rustls configuration serving what `resolver` gives (HTTP/1.1 only: the WebSocket
/// upgrade needs it).
pub fn server_config(resolver: Arc<dyn ResolvesServerCert>) -> Arc<ServerConfig> {
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map(|b| b.with_no_client_auth().with_cert_resolver(resolver.clone()))
            .unwrap_or_else(|_| {
                // The ring provider supports the default versions; this cannot happen.
                ServerConfig::builder()
                    .with_no_client_auth()
                    .with_cert_resolver(resolver)
            });
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// What the listener serves: the site's configuration, and, with ACME, the one that answers a
/// TLS-ALPN-01 challenge (a handshake that asks for `acme-tls/1`).
#[derive(Clone)]
pub struct Served {
    pub site: Arc<ServerConfig>,
    pub challenge: Option<Arc<ServerConfig>>,
}

impl Served {
    /// A certificate from files.
    pub fn files(certificate: Arc<Certificate>) -> Served {
        Served {
            site: server_config(certificate),
            challenge: None,
        }
    }
}

/// Connections that finished their TLS handshake, for `axum::serve`.
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `listener`, serving TLS as `served` says (and redirecting plain HTTP).
    pub fn new(listener: TcpListener, served: Served) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(accept_loop(listener, served, tx));
        Ok(TlsListener { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The accept loop only ends if the listener is gone: serve nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept_loop(
    listener: TcpListener,
    served: Served,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let (stream, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if tx.is_closed() {
            return;
        }
        let (config, tx) = (served.clone(), tx.clone());
        tokio::spawn(async move {
            let served = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(stream, &config)).await;
            drop(permit);
            match served {
                Ok(Ok(Some(tls))) => {
                    let _ = tx.send((tls, from)).await;
                }
                Ok(Ok(None)) => {} // plain HTTP redirected, or an ACME challenge answered
                Ok(Err(e)) => tracing::debug!(%from, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%from, "TLS handshake timed out"),
            }
        });
    }
}

/// A TLS connection, or `None` once a plain-HTTP request was answered with a redirect (or an
/// ACME server's challenge handshake was answered).
async fn handshake(
    stream: TcpStream,
    served: &Served,
) -> std::io::Result<Option<TlsStream<TcpStream>>> {
    let _ = stream.set_nodelay(true);
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 0 {
        return Ok(None);
    }
    // Every TLS connection starts with a handshake record (content type 22).
    if first[0] != 0x16 {
        redirect(stream, None).await?;
        return Ok(None);
    }
    let start = LazyConfigAcceptor::new(Acceptor::default(), stream).await?;
    if let Some(challenge) = &served.challenge
        && rustls_acme::is_tls_alpn_challenge(&start.client_hello())
    {
        let mut tls = start.into_stream(challenge.clone()).await?;
        tls.shutdown().await?;
        return Ok(None);
    }
    start.into_stream(served.site.clone()).await.map(Some)
}

/// Serves `--http-redirect-addr` (port 80, say): every request is answered with `308` to the
/// same host and path over HTTPS on `https_port`.
pub async fn redirect_plain_http(listener: TcpListener, https_port: u16) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            let _ =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, redirect(stream, Some(https_port))).await;
            drop(permit);
        });
    }
}

/// Answers a plain-HTTP request with `308` to the same host and path over HTTPS (on
/// `https_port` when the request came to another port, else on the port it named).
async fn redirect(mut stream: TcpStream, https_port: Option<u16>) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REDIRECT_HEAD {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let response = match redirect_target(&String::from_utf8_lossy(&head), https_port) {
        Some(location) => format!(
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        ),
        None => "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 29\r\n\
                 Connection: close\r\n\r\nThis server speaks HTTPS only"
            .to_owned(),
    };
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// Where a plain-HTTP request head should go: `https://` + its Host + its path. With
/// `https_port`, the Host's own port is replaced by it (left out when it is 443).
pub fn redirect_target(head: &str, https_port: Option<u16>) -> Option<String> {
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?;
    if !path.starts_with('/') {
        return None;
    }
    let host = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("host")
            .then(|| value.trim())
    })?;
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '<' && c != '>')
    };
    if !(safe(host) && safe(path) && !host.contains('/')) {
        return None;
    }
    let host = match https_port {
        None => host.to_owned(),
        Some(port) => {
            // `[v6]:port`, `name:port` or a bare name.
            let name = match host.rfind(':') {
                Some(i) if !host[i..].contains(']') => &host[..i],
                _ => host,
            };
            if port == 443 {
                name.to_owned()
            } else {
                format!("{name}:{port}")
            }
        }
    };
    Some(format!("https://{host}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_80_is_sent_to_the_https_port() {
        let head = |host: &str| format!("GET /m/a HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let to = |host: &str, port| redirect_target(&head(host), Some(port));
        assert_eq!(
            to("meet.example.org", 443).as_deref(),
            Some("https://meet.example.org/m/a")
        );
        assert_eq!(
            to("meet.example.org:80", 443).as_deref(),
            Some("https://meet.example.org/m/a")
        );
        assert_eq!(
            to("10.0.0.5:80", 8443).as_deref(),
            Some("https://10.0.0.5:8443/m/a")
        );
        assert_eq!(
            to("[::1]:80", 8443).as_deref(),
            Some("https://[::1]:8443/m/a")
        );
        assert_eq!(to("[::1]", 443).as_deref(), Some("https://[::1]/m/a"));
    }

    #[test]
    fn plain_http_is_sent_to_the_same_place_over_https() {
        let head = "GET /m/abc?x=1 HTTP/1.1\r\nHost: 10.0.0.5:8080\r\nAccept: */*\r\n\r\n";
        assert_eq!(
            redirect_target(head, None).as_deref(),
            Some("https://10.0.0.5:8080/m/abc?x=1")
        );
        let lower = "GET / HTTP/1.1\r\nhost: meet.example.org\r\n\r\n";
        assert_eq!(
            redirect_target(lower, None).as_deref(),
            Some("https://meet.example.org/")
        );
        // No host, an absolute or odd target, a host with a path in it: no redirect.
        assert_eq!(redirect_target("GET / HTTP/1.1\r\n\r\n", None), None);
        assert_eq!(
            redirect_target("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", None),
            None
        );
        assert_eq!(
            redirect_target("GET / HTTP/1.1\r\nHost: evil.org/x\r\n\r\n", None),
            None
        );
        assert_eq!(
            redirect_target("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", None),
            None
        );
    }
}
