//! HTTPS from the client's side, for the tests of the binary's TLS: a rustls connection that
//! trusts only the roots given, and a plain GET over it.

use plenary_e2e::{DEADLINE, HarnessError, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A client configuration trusting only the certificates in `roots_pem`.
pub fn client_config(roots_pem: &str) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(roots_pem.as_bytes()) {
        let cert = cert.map_err(|e| HarnessError::Other(format!("pem: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| HarnessError::Other(format!("root: {e}")))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| HarnessError::Other(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TLS connection to `addr` for `name`, trusting `roots_pem`.
pub async fn connect(
    addr: SocketAddr,
    name: &str,
    roots_pem: &str,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let connector = tokio_rustls::TlsConnector::from(client_config(roots_pem)?);
    let tcp = TcpStream::connect(addr).await?;
    let server_name =
        ServerName::try_from(name.to_owned()).map_err(|e| HarnessError::Other(e.to_string()))?;
    Ok(connector.connect(server_name, tcp).await?)
}

/// GET `path` at `addr` over TLS for `name`, trusting `roots_pem`: the whole response.
/// A peer that closes without close_notify is fine here: what it sent is all there.
pub async fn get(addr: SocketAddr, name: &str, roots_pem: &str, path: &str) -> Result<String> {
    let mut tls = connect(addr, name, roots_pem).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(DEADLINE, tls.read_to_end(&mut raw))
        .await
        .map_err(|_| HarnessError::Timeout(format!("GET {path}")))?;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}
