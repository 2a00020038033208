//! Certificates by themselves, against a real ACME server: Debian's `pebble` (an RFC 8555 test
//! CA, which `cargo xtask test` installs) with `pebble-challtestsrv` as its DNS, answering every
//! name with 127.0.0.1. The real binary, started with `--acme-domain meet.test`, answers
//! pebble's TLS-ALPN-01 challenge on its own HTTPS port, gets a certificate, and serves the page
//! with it: a meeting is created over HTTPS and joined over `wss://`, and in Chromium a host
//! and a participant meet on `https://meet.test` and see each other. Restarted, it serves the
//! cached certificate without asking pebble again.

use futures_util::{SinkExt, StreamExt};
mod https;

use https::{connect, get};
use plenary_e2e::browser::{Driver, join_as, start_as_host, video_of as tile};
use plenary_e2e::{DEADLINE, HarnessError, Result};
use plenary_shared::api::CreatedMeeting;
use plenary_shared::meeting::Credential;
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdout, Command};
use tokio_tungstenite::tungstenite::Message;

const DOMAIN: &str = "meet.test";

fn free_tcp_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn free_udp_port() -> Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// pebble and its DNS, running.
struct Pebble {
    _dns: Child,
    _pebble: Child,
    /// pebble's own HTTPS certificate's CA (to trust its directory).
    api_root: PathBuf,
    directory: String,
    management: SocketAddr,
}

async fn wait_listening(child: &mut Child, addr: SocketAddr, what: &str) -> Result<()> {
    let start = Instant::now();
    while TcpStream::connect(addr).await.is_err() {
        if let Some(status) = child.try_wait()? {
            return Err(HarnessError::Other(format!("{what} exited: {status}")));
        }
        // pebble makes its RSA root and intermediate keys first: seconds on a busy machine.
        if start.elapsed() > 3 * DEADLINE {
            return Err(HarnessError::Timeout(format!("{what} on {addr}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

impl Pebble {
    /// Starts pebble, validating TLS-ALPN-01 on `tls_port` of whatever name is asked for.
    async fn start(dir: &Path, tls_port: u16) -> Result<Pebble> {
        for tool in ["/usr/bin/pebble", "/usr/bin/pebble-challtestsrv"] {
            if !Path::new(tool).exists() {
                return Err(HarnessError::Other(format!(
                    "{tool} is missing: `cargo xtask test` installs Debian's pebble"
                )));
            }
        }
        // pebble's API is HTTPS with a certificate we make (and then trust).
        let ca = rcgen::CertificateParams::new(Vec::<String>::new())
            .map_err(|e| HarnessError::Other(e.to_string()))?;
        let mut ca = ca;
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = rcgen::KeyPair::generate().map_err(|e| HarnessError::Other(e.to_string()))?;
        let ca_cert = ca
            .self_signed(&ca_key)
            .map_err(|e| HarnessError::Other(e.to_string()))?;
        let leaf = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .map_err(|e| HarnessError::Other(e.to_string()))?;
        let leaf_key =
            rcgen::KeyPair::generate().map_err(|e| HarnessError::Other(e.to_string()))?;
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .map_err(|e| HarnessError::Other(e.to_string()))?;
        let api_root = dir.join("pebble-root.pem");
        std::fs::write(&api_root, ca_cert.pem())?;
        std::fs::write(dir.join("pebble-cert.pem"), leaf_cert.pem())?;
        std::fs::write(dir.join("pebble-key.pem"), leaf_key.serialize_pem())?;

        let dns = SocketAddr::from(([127, 0, 0, 1], free_udp_port()?));
        let dns_management = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()?));
        let mut dns_child = Command::new("/usr/bin/pebble-challtestsrv")
            .args(["-dns01", &dns.to_string()])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &dns_management.to_string()])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        wait_listening(&mut dns_child, dns_management, "pebble-challtestsrv").await?;

        let api = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()?));
        let management = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()?));
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": api.to_string(),
                "managementListenAddress": management.to_string(),
                "certificate": dir.join("pebble-cert.pem"),
                "privateKey": dir.join("pebble-key.pem"),
                "httpPort": free_tcp_port()?,
                "tlsPort": tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        std::fs::write(dir.join("pebble.json"), config.to_string())?;
        let log = std::env::var("PLENARY_PEBBLE_LOG").ok();
        let mut cmd = Command::new("/usr/bin/pebble");
        cmd.arg("-config")
            .arg(dir.join("pebble.json"))
            .args(["-dnsserver", &dns.to_string()])
            // Validate at once, and never reject a nonce on purpose: the test is about our
            // server, not about retry paths.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .kill_on_drop(true);
        match log {
            Some(file) => {
                let f = std::fs::File::create(file)?;
                cmd.stdout(f.try_clone()?).stderr(f);
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        let mut pebble = cmd.spawn()?;
        wait_listening(&mut pebble, api, "pebble").await?;
        Ok(Pebble {
            _dns: dns_child,
            _pebble: pebble,
            api_root,
            directory: format!("https://{api}/dir"),
            management,
        })
    }
}

/// Creates a meeting over HTTPS and joins it as host over a `wss://` WebSocket: the welcome.
async fn join_over_wss(addr: SocketAddr, roots_pem: &str) -> Result<String> {
    let mut tls = connect(addr, DOMAIN, roots_pem).await?;
    let request = format!(
        "POST /api/meetings HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Type: application/json\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(DEADLINE, tls.read_to_end(&mut raw))
        .await
        .map_err(|_| HarnessError::Timeout("POST /api/meetings".into()))?;
    let text = String::from_utf8_lossy(&raw);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .ok_or_else(|| HarnessError::Other(format!("no body: {text}")))?;
    let created: CreatedMeeting = serde_json::from_str(body)?;
    let tls = connect(addr, DOMAIN, roots_pem).await?;
    let url = format!("wss://{DOMAIN}/api/meetings/{}/ws", created.meeting);
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls)
        .await
        .map_err(|e| HarnessError::Other(format!("WebSocket: {e}")))?;
    let join = ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: "Host".into(),
        email: None,
        passcode: None,
        credential: Credential::Host {
            secret: created.host_secret,
        },
    };
    ws.send(Message::text(serde_json::to_string(&join)?))
        .await
        .map_err(|e| HarnessError::Other(format!("send: {e}")))?;
    let first = tokio::time::timeout(DEADLINE, ws.next())
        .await
        .map_err(|_| HarnessError::Timeout("the welcome".into()))?
        .ok_or_else(|| HarnessError::Other("the WebSocket closed".into()))?
        .map_err(|e| HarnessError::Other(format!("receive: {e}")))?;
    Ok(first.into_text().map(|t| t.to_string()).unwrap_or_default())
}

/// A host and a participant meet at `https://meet.test:port` and see each other's video.
async fn in_the_browser(port: u16) -> Result<()> {
    let rules = format!("--host-resolver-rules=MAP {DOMAIN} 127.0.0.1");
    let driver = Driver::start().await?.with_flags(&[&rules]);
    let base = format!("https://{DOMAIN}:{port}");
    let (host, invite) = start_as_host(&driver, &base, "Host").await?;
    assert!(invite.starts_with(&base), "{invite}");
    let ada = join_as(&driver, &invite, "Ada", (900, 700)).await?;
    for (page, other) in [(&ada, "Host"), (&host, "Ada")] {
        page.until_media(
            "video over the ACME certificate's page",
            2 * DEADLINE,
            |s| s.frames(&tile(other)) > 10,
        )
        .await?;
    }
    ada.close().await?;
    host.close().await?;
    Ok(())
}

async fn start_server(
    dir: &Path,
    port: u16,
    directory: &str,
    root: &Path,
) -> Result<(Child, Lines<BufReader<ChildStdout>>)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(["--media-port", "0", "--media-tcp-port", "0"])
        .args(["--acme-domain", DOMAIN, "--acme-contact", "admin@meet.test"])
        .args(["--acme-directory", directory])
        .arg("--acme-directory-root")
        .arg(root)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--dist")
        .arg(plenary_e2e::dist_dir())
        .env(
            "RUST_LOG",
            std::env::var("PLENARY_ACME_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| HarnessError::Other("no stdout".into()))?;
    Ok((child, BufReader::new(stdout).lines()))
}

/// Reads lines until each of `texts` was in one, in any order (the server prints where it
/// serves while its ACME task may already be reporting).
async fn until_said(lines: &mut Lines<BufReader<ChildStdout>>, texts: &[&str]) -> Result<()> {
    let mut missing: Vec<&str> = texts.to_vec();
    while !missing.is_empty() {
        let line = tokio::time::timeout(4 * DEADLINE, lines.next_line())
            .await
            .map_err(|_| HarnessError::Timeout(format!("lines with {missing:?}")))??
            .ok_or_else(|| HarnessError::Other(format!("the server exited before {missing:?}")))?;
        missing.retain(|t| !line.contains(t));
    }
    Ok(())
}

#[tokio::test]
async fn a_certificate_from_pebble_over_tls_alpn_01_then_from_the_cache() -> Result<()> {
    // A fresh directory: a cache left by an earlier run would hold another pebble's account.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("plenary-acme-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = free_tcp_port()?;
    let pebble = Pebble::start(&dir, port).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let (mut server, mut lines) =
        start_server(&dir, port, &pebble.directory, &pebble.api_root).await?;
    let obtained = format!("certificate obtained for {DOMAIN}");
    let stored = format!("certificate stored for {DOMAIN}");
    until_said(&mut lines, &["https://", &obtained, &stored]).await?;

    // What pebble issued chains to the root it made this run.
    let root = get(
        pebble.management,
        "127.0.0.1",
        &std::fs::read_to_string(&pebble.api_root)?,
        "/roots/0",
    )
    .await?;
    let root_pem = root
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .ok_or_else(|| HarnessError::Other(format!("no root from pebble: {root}")))?;
    let page = get(addr, DOMAIN, &root_pem, "/healthz").await?;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.ends_with("ok") || page.contains("\r\n\r\nok"),
        "{page}"
    );
    let cache: Vec<String> = std::fs::read_dir(dir.join("data/acme"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        cache.iter().any(|f| f.starts_with("cached_cert")),
        "{cache:?}"
    );
    // The meeting itself: created over HTTPS, joined over wss:// with the issued certificate.
    let welcome = join_over_wss(addr, &root_pem).await?;
    assert!(welcome.starts_with(r#"{"welcome""#), "{welcome}");
    // And in Chromium, which resolves meet.test to loopback (pebble's root is not one it
    // trusts, so the harness accepts it): the page, its WebSocket and media.
    if plenary_e2e::dist_dir().join("index.html").is_file() {
        in_the_browser(port).await?;
    } else {
        return Err(HarnessError::Other(
            "no built frontend: run `cargo xtask test` (it builds dist/ first)".into(),
        ));
    }
    let _ = server.kill().await;

    // Restarted with pebble gone: the cached certificate is served.
    let (directory, api_root) = (pebble.directory.clone(), pebble.api_root.clone());
    drop(pebble);
    let (mut server, mut lines) = start_server(&dir, port, &directory, &api_root).await?;
    let cached = format!("cached certificate in use for {DOMAIN}");
    until_said(&mut lines, &["https://", &cached]).await?;
    let page = get(addr, DOMAIN, &root_pem, "/healthz").await?;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let _ = server.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
