//! Starting browsers: chromedriver, and a Chromium session on it per page with the test flags,
//! a fresh profile and the connection capture; plus the one Chrome DevTools command the pages
//! need at start (`Cdp`).

use super::{
    BROWSER_DEADLINE, CHROMIUM_FLAGS, POLL, PROFILE_SEQ, Page, env_path, kill_profile, stats, wd,
};
use crate::{DEADLINE, HarnessError, Result};
use fantoccini::ClientBuilder;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::process::{Child, Command};

/// A running chromedriver; browsers are sessions on it.
pub struct Driver {
    _child: Child,
    port: u16,
    /// Flags every browser of this driver gets besides `CHROMIUM_FLAGS`.
    extra_flags: Vec<String>,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it accepts connections.
    pub async fn start() -> Result<Driver> {
        let driver = env_path("PLENARY_CHROMEDRIVER", "/usr/bin/chromedriver");
        if !driver.exists() {
            return Err(HarnessError::Other(format!(
                "{} not found: run `cargo xtask test`, which installs chromium and chromium-driver",
                driver.display()
            )));
        }
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        let mut command = unboosted(&driver);
        command.arg(format!("--port={port}"));
        // PLENARY_CHROMEDRIVER_LOG=<file> keeps chromedriver's verbose log, to see what a
        // browser was doing when a step timed out.
        if let Some(log) = std::env::var_os("PLENARY_CHROMEDRIVER_LOG") {
            command
                .arg("--verbose")
                .arg(format!("--log-path={}", PathBuf::from(log).display()));
        }
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let start = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if start.elapsed() > DEADLINE {
                return Err(HarnessError::Timeout("chromedriver to listen".into()));
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(Driver {
            _child: child,
            port,
            extra_flags: Vec::new(),
        })
    }

    /// Gives every browser started from now on `flags` too (say, host-resolver rules that send
    /// a test domain to 127.0.0.1).
    pub fn with_flags(mut self, flags: &[&str]) -> Driver {
        self.extra_flags
            .extend(flags.iter().map(|f| (*f).to_owned()));
        self
    }

    /// A new browser with a fresh profile and the given window size.
    pub async fn page(&self, width: u32, height: u32) -> Result<Page> {
        self.page_with(width, height, &[]).await
    }

    /// Like `page`, this browser also getting `flags` (say, its own fake microphone file).
    pub async fn page_with(&self, width: u32, height: u32, flags: &[String]) -> Result<Page> {
        let n = PROFILE_SEQ.fetch_add(1, Ordering::Relaxed);
        let profile = std::env::temp_dir().join(format!("plenary-e2e-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&profile)?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.extend(self.extra_flags.iter().cloned());
        args.extend(flags.iter().cloned());
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={width},{height}"));
        let binary = env_path("PLENARY_CHROMIUM", "/usr/bin/chromium");
        let mut caps = serde_json::Map::new();
        // Headless windows do not go below ~500 px: emulate a phone's viewport instead.
        let options = if width < 500 {
            json!({
                "binary": binary,
                "args": args,
                "mobileEmulation": {
                    "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 }
                }
            })
        } else {
            json!({ "binary": binary, "args": args })
        };
        caps.insert("goog:chromeOptions".into(), options);
        // The HTTPS tests serve a self-signed certificate on loopback.
        caps.insert("acceptInsecureCerts".into(), json!(true));
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{}", self.port);
        let connect = builder.connect(&url);
        let client = match tokio::time::timeout(BROWSER_DEADLINE, connect).await {
            Ok(client) => client.map_err(wd)?,
            Err(_) => {
                kill_profile(&profile);
                return Err(HarnessError::Timeout("Chromium to start".into()));
            }
        };
        // Keep every RTCPeerConnection the page makes where `media_stats` can read it.
        client
            .issue_cmd(Cdp {
                cmd: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({ "source": stats::CAPTURE_CONNECTIONS }),
            })
            .await
            .map_err(wd)?;
        // A desktop window's viewport is what was asked for (a headless window keeps some of
        // its height for browser chrome it does not draw).
        if width >= 500 {
            client
                .issue_cmd(Cdp {
                    cmd: "Emulation.setDeviceMetricsOverride",
                    params: json!({
                        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false
                    }),
                })
                .await
                .map_err(wd)?;
        }
        Ok(Page {
            client: Some(client),
            profile,
        })
    }
}

/// A command that runs `program` the way it is told, except that Chromium may not raise its own
/// threads' priority. Run as root, Chromium gives its audio, compositor and IO threads nice −8:
/// six of them on two cores then starve the server under test (its media thread, waiting for a
/// core, held packets back for 100 ms at a time and voices fell silent), which a server on
/// its own machine never meets. Without `CAP_SYS_NICE` (dropped from the bounding set, so no
/// child regains it) the browsers stay at an ordinary priority like everything else.
fn unboosted(program: &std::path::Path) -> Command {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if !(root && setpriv.exists()) {
        return Command::new(program);
    }
    let mut command = Command::new(setpriv);
    command
        .args([
            "--bounding-set",
            "-sys_nice",
            "--inh-caps",
            "-sys_nice",
            "--",
        ])
        .arg(program);
    command
}

/// A Chrome DevTools command, sent through chromedriver.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
