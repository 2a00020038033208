//! HTTPS by itself, on the real binary: with `--tls-cert`/`--tls-key` the page and API are
//! served over TLS with HSTS, plain HTTP on the same port and on `--http-redirect-addr` is
//! redirected to HTTPS, SIGHUP makes a
//! renewed certificate take effect for new connections (a broken one is refused and the old one
//! kept), and a bad certificate stops the start with its reason.

mod https;

use plenary_e2e::{DEADLINE, HarnessError, Result};
use std::net::SocketAddr;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// A self-signed certificate for 127.0.0.1 and localhost: (certificate PEM, key PEM).
fn self_signed() -> (String, String) {
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("certificate");
    (key.cert.pem(), key.signing_key.serialize_pem())
}

struct Tls {
    child: Child,
    addr: SocketAddr,
    lines: Lines<BufReader<ChildStdout>>,
}

async fn start(dir: &Path, redirect_port: u16) -> Result<Tls> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--media-port",
            "0",
            "--media-tcp-port",
            "0",
        ])
        .arg("--tls-cert")
        .arg(dir.join("cert.pem"))
        .arg("--tls-key")
        .arg(dir.join("key.pem"))
        .args([
            "--http-redirect-addr",
            &format!("127.0.0.1:{redirect_port}"),
        ])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--dist")
        .arg(plenary_e2e::dist_dir())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| HarnessError::Other("no stdout".into()))?;
    let mut lines = BufReader::new(stdout).lines();
    let line = next_line(&mut lines).await?;
    let addr = line
        .rsplit("https://")
        .next()
        .filter(|_| line.contains("https://"))
        .and_then(|a| a.trim().parse().ok())
        .ok_or_else(|| HarnessError::Other(format!("unexpected first line {line:?}")))?;
    Ok(Tls { child, addr, lines })
}

async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> Result<String> {
    tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .map_err(|_| HarnessError::Timeout("a line from the server".into()))??
        .ok_or_else(|| HarnessError::Other("the server exited".into()))
}

/// GET `path` over TLS, trusting only `cert_pem`: the response head and body.
async fn get_tls(addr: SocketAddr, cert_pem: &str, path: &str) -> Result<(String, String)> {
    let text = https::get(addr, "127.0.0.1", cert_pem, path).await?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| HarnessError::Other(format!("no HTTP header end in {text:?}")))?;
    Ok((head.to_owned(), body.to_owned()))
}

#[tokio::test]
async fn https_with_a_given_certificate_hsts_redirect_and_reload_on_sighup() -> Result<()> {
    let dir = tempdir("tls")?;
    let (cert_a, key_a) = self_signed();
    std::fs::write(dir.join("cert.pem"), &cert_a)?;
    std::fs::write(dir.join("key.pem"), &key_a)?;
    let redirect_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = start(&dir, redirect_port).await?;

    // Over TLS: the health check, and the page with HSTS.
    let (head, body) = get_tls(server.addr, &cert_a, "/healthz").await?;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body.trim(), "ok");
    let (head, _) = get_tls(server.addr, &cert_a, "/").await?;
    assert!(
        head.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{head}"
    );

    // Plain HTTP on the same port: sent to the same place over HTTPS.
    let (status, head, _) =
        plenary_e2e::http_full(server.addr, "GET", "/m/abc?x=1", &[], b"").await?;
    assert_eq!(status, 308, "{head}");
    assert_eq!(
        plenary_e2e::header_of(&head, "location").as_deref(),
        Some(format!("https://{}/m/abc?x=1", server.addr).as_str())
    );

    // Plain HTTP on the redirect port (80, in production): to the HTTPS port.
    let plain = SocketAddr::from(([127, 0, 0, 1], redirect_port));
    let (status, head, _) = plenary_e2e::http_full(plain, "GET", "/m/abc", &[], b"").await?;
    assert_eq!(status, 308, "{head}");
    assert_eq!(
        plenary_e2e::header_of(&head, "location").as_deref(),
        Some(format!("https://127.0.0.1:{}/m/abc", server.addr.port()).as_str())
    );

    // A renewed certificate, then SIGHUP: new connections get it.
    let (cert_b, key_b) = self_signed();
    std::fs::write(dir.join("cert.pem"), &cert_b)?;
    std::fs::write(dir.join("key.pem"), &key_b)?;
    let pid = server
        .child
        .id()
        .ok_or_else(|| HarnessError::Other("no pid".into()))?;
    let hangup = || {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGHUP,
        )
        .map_err(|e| HarnessError::Other(format!("SIGHUP: {e}")))
    };
    hangup()?;
    assert_eq!(next_line(&mut server.lines).await?, "certificate reloaded");
    let (head, _) = get_tls(server.addr, &cert_b, "/healthz").await?;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        get_tls(server.addr, &cert_a, "/healthz").await.is_err(),
        "the old certificate is no longer served"
    );

    // A broken pair on SIGHUP is refused; the one in use stays.
    std::fs::write(dir.join("key.pem"), &key_a)?;
    hangup()?;
    let refused = next_line(&mut server.lines).await?;
    assert!(refused.starts_with("certificate not reloaded"), "{refused}");
    let (head, _) = get_tls(server.addr, &cert_b, "/healthz").await?;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let _ = server.child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test]
async fn a_bad_certificate_stops_the_start_with_its_reason() -> Result<()> {
    let dir = tempdir("tls-bad")?;
    std::fs::write(dir.join("cert.pem"), "not a certificate")?;
    let (_, key) = self_signed();
    std::fs::write(dir.join("key.pem"), key)?;
    let out = Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--media-port",
            "0",
            "--media-tcp-port",
            "0",
        ])
        .arg("--tls-cert")
        .arg(dir.join("cert.pem"))
        .arg("--tls-key")
        .arg(dir.join("key.pem"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .output()
        .await?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cert.pem") && stderr.contains("no certificate"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempdir(name: &str) -> Result<std::path::PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("plenary-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
