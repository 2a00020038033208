//! Headless Chromium over WebDriver (Debian's `chromium` + `chromedriver`), with helpers that find
//! elements the way people and screen readers do: by their accessible names from the UI contract.
//! Starting chromedriver and the browsers is `driver.rs`; reading media stats is `stats.rs`.

use crate::{DEADLINE, HarnessError, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

mod driver;
mod frames;
mod stats;

pub use driver::Driver;
pub use stats::MediaStats;

/// The flags every test browser runs with (root, no GPU, fake media, loopback WebRTC).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    // Renderers start without the zygote: Debian's Chromium (156) zygote now and then spins at
    // a full core from a page's first seconds, and its pages then hang when they unload.
    "--no-zygote",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    // Remote audio and video play without a click first (a real person clicked Join).
    "--autoplay-policy=no-user-gesture-required",
    "--lang=en-US",
];

/// How often a DOM condition is re-checked while waiting for it.
const POLL: Duration = Duration::from_millis(25);

/// How long a browser may take to start, or a page to unload, before it is killed: a Chromium
/// that hangs must fail its step in seconds, not stall the run.
const BROWSER_DEADLINE: Duration = Duration::from_secs(30);

/// How long a browser whose page has unloaded may take to quit before it is killed.
const QUIT_DEADLINE: Duration = Duration::from_secs(3);

static PROFILE_SEQ: AtomicU32 = AtomicU32::new(0);

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn wd(e: impl std::fmt::Display) -> HarnessError {
    HarnessError::WebDriver(e.to_string())
}

/// One browser window.
pub struct Page {
    client: Option<Client>,
    profile: PathBuf,
}

/// XPath string literal for `s` (handles quotes).
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

impl Page {
    fn client(&self) -> Result<&Client> {
        self.client
            .as_ref()
            .ok_or_else(|| HarnessError::Other("page already closed".into()))
    }

    /// Navigates and waits for the load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client()?.goto(url).await.map_err(wd)
    }

    /// Reloads the page, as F5 does.
    pub async fn reload(&self) -> Result<()> {
        self.client()?.refresh().await.map_err(wd)
    }

    /// A text this tab keeps in `sessionStorage` (the app stores JSON, through gloo-storage).
    pub async fn session_value(&self, key: &str) -> Result<Option<String>> {
        let value = self
            .eval(
                "return sessionStorage.getItem(arguments[0])",
                vec![Value::String(key.to_owned())],
            )
            .await?;
        Ok(value
            .as_str()
            .map(|json| serde_json::from_str::<String>(json).unwrap_or_else(|_| json.to_owned())))
    }

    /// The current URL.
    pub async fn url(&self) -> Result<String> {
        Ok(self.client()?.current_url().await.map_err(wd)?.to_string())
    }

    /// Waits for an element matching `xpath`.
    async fn find(&self, xpath: &str, what: &str) -> Result<Element> {
        self.client()?
            .wait()
            .at_most(DEADLINE)
            .every(POLL)
            .for_element(Locator::XPath(xpath))
            .await
            .map_err(|e| HarnessError::WebDriver(format!("{what}: {e}")))
    }

    /// The shown button whose accessible name (its `aria-label`, else its text) is `name`.
    pub async fn button(&self, name: &str) -> Result<Element> {
        let lit = xpath_literal(name);
        self.find(
            &format!("//button[{}]{SHOWN}", named(&lit)),
            &format!("button {name:?}"),
        )
        .await
    }

    /// Types `keys` (WebDriver key codes, say `"\u{E007}"` for Enter) into whatever has the
    /// keyboard focus, as a person at the keyboard would.
    pub async fn press(&self, keys: &str) -> Result<()> {
        let focused = self.client()?.active_element().await.map_err(wd)?;
        focused.send_keys(keys).await.map_err(wd)
    }

    /// The accessible name (`aria-label`, else text) and id of what has the keyboard focus.
    pub async fn focused(&self) -> Result<(String, String)> {
        let v = self
            .eval(
                "const e = document.activeElement; \
                 return e ? [e.getAttribute('aria-label') || e.innerText.trim(), e.id] : ['', ''];",
                vec![],
            )
            .await?;
        let s = |i: usize| {
            v.get(i)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Ok((s(0), s(1)))
    }

    /// The serious and critical accessibility violations axe-core finds on the page now, each
    /// as `rule: help (where)`.
    pub async fn accessibility_violations(&self) -> Result<Vec<String>> {
        let axe = axe_source()?;
        self.eval(&format!("{axe}\nreturn null;"), vec![]).await?;
        let found = self
            .client()?
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done( \
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical') \
                     .map(v => v.id + ': ' + v.help + ' (' + v.nodes.slice(0, 3) \
                       .map(n => n.target.join(' ')).join(', ') + ')'))) \
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .map_err(wd)?;
        Ok(found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect())
    }

    /// Opens the meeting's side panel `name` (`Participants`, `Chat`, `Breakout rooms`) with its
    /// toolbar button, unless it is open already.
    pub async fn open_panel(&self, name: &str) -> Result<()> {
        let lit = xpath_literal(name);
        let toggle = self
            .find(
                &format!(
                    "//nav//button[@aria-controls='side-panel'][{}]",
                    named(&lit)
                ),
                &format!("the toolbar's {name:?} button"),
            )
            .await?;
        if toggle.attr("aria-expanded").await.map_err(wd)?.as_deref() != Some("true") {
            toggle.click().await.map_err(wd)?;
        }
        Ok(())
    }

    /// The form field (input, text area or select) labelled `label` (wrapping `<label>`,
    /// `aria-label`, or `<label for>`).
    pub async fn field(&self, label: &str) -> Result<Element> {
        let lit = xpath_literal(label);
        let control = "*[self::input or self::textarea or self::select]";
        self.find(
            &format!(
                "(//{control}[@aria-label={lit}] | //label[normalize-space(text())={lit}]//{control} | //{control}[@id=//label[normalize-space(.)={lit}]/@for]){SHOWN}"
            ),
            &format!("field {label:?}"),
        )
        .await
    }

    /// The checkbox or radio button whose label reads `label`.
    async fn checkbox(&self, label: &str) -> Result<Element> {
        let lit = xpath_literal(label);
        self.find(
            &format!("//label[normalize-space(.)={lit}]//input{SHOWN}"),
            &format!("checkbox or radio {label:?}"),
        )
        .await
    }

    /// Clicks the checkbox or radio button whose label reads `label`.
    pub async fn choose(&self, label: &str) -> Result<()> {
        self.checkbox(label).await?.click().await.map_err(wd)
    }

    /// Whether the checkbox or radio button labelled `label` is checked.
    pub async fn is_checked(&self, label: &str) -> Result<bool> {
        let input = self.checkbox(label).await?;
        Ok(input.prop("checked").await.map_err(wd)?.as_deref() == Some("true"))
    }

    /// Picks the option reading `option` in the select labelled `label`.
    pub async fn select(&self, label: &str, option: &str) -> Result<()> {
        let field = self.field(label).await?;
        let lit = xpath_literal(option);
        field
            .find(Locator::XPath(&format!(
                ".//option[normalize-space(.)={lit}]"
            )))
            .await
            .map_err(|e| HarnessError::WebDriver(format!("option {option:?} of {label:?}: {e}")))?
            .click()
            .await
            .map_err(wd)
    }

    /// Clicks the button named `name` inside the element whose accessible name is `within`.
    pub async fn click_in(&self, within: &str, name: &str) -> Result<()> {
        let (w, n) = (xpath_literal(within), xpath_literal(name));
        self.find(
            &format!("//*[@aria-label={w}]//button[{}]{SHOWN}", named(&n)),
            &format!("button {name:?} in {within:?}"),
        )
        .await?
        .click()
        .await
        .map_err(wd)
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn until_text(&self, text: &str) -> Result<()> {
        let start = Instant::now();
        loop {
            let body = self.eval("return document.body.innerText;", vec![]).await?;
            if body.as_str().is_some_and(|b| b.contains(text)) {
                return Ok(());
            }
            if start.elapsed() > DEADLINE {
                return Err(HarnessError::Timeout(format!(
                    "the text {text:?} on the page"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Runs `script` with `arg` as `arguments[0]`; whether it returned `true`.
    async fn eval_bool(&self, script: &str, arg: &str) -> Result<bool> {
        let found = self.eval(script, vec![json!(arg)]).await?;
        Ok(found.as_bool().unwrap_or(false))
    }

    /// Whether a field labelled `label` is on the page now (no waiting).
    pub async fn has_field(&self, label: &str) -> Result<bool> {
        self.eval_bool(
            "return [...document.querySelectorAll('input, textarea, select')].some(f => f.getAttribute('aria-label') === arguments[0] || (f.closest('label') && f.closest('label').firstChild && f.closest('label').firstChild.textContent.trim() === arguments[0]));",
            label,
        )
        .await
    }

    /// Whether a button named `name` is on the page now (no waiting).
    pub async fn has_button(&self, name: &str) -> Result<bool> {
        self.eval_bool(
            "return [...document.querySelectorAll('button')].some(b => b.innerText.trim() === arguments[0] || b.getAttribute('aria-label') === arguments[0]);",
            name,
        )
        .await
    }

    /// The viewport width and the document's scroll width: equal when nothing overflows.
    pub async fn widths(&self) -> Result<(u64, u64)> {
        let v = self
            .eval(
                "return [window.innerWidth, document.documentElement.scrollWidth];",
                vec![],
            )
            .await?;
        let n = |i: usize| v.get(i).and_then(Value::as_u64).unwrap_or(0);
        Ok((n(0), n(1)))
    }

    /// Clicks the button named `name`.
    pub async fn click(&self, name: &str) -> Result<()> {
        self.button(name).await?.click().await.map_err(wd)
    }

    /// Types into the field labelled `label`, replacing what was there.
    pub async fn fill(&self, label: &str, text: &str) -> Result<()> {
        let field = self.field(label).await?;
        field.clear().await.map_err(wd)?;
        field.send_keys(text).await.map_err(wd)
    }

    /// The `value` of the field labelled `label`.
    pub async fn field_value(&self, label: &str) -> Result<String> {
        let field = self.field(label).await?;
        Ok(field.prop("value").await.map_err(wd)?.unwrap_or_default())
    }

    /// Whether the field labelled `label` is read-only.
    pub async fn field_is_readonly(&self, label: &str) -> Result<bool> {
        let field = self.field(label).await?;
        Ok(field.attr("readonly").await.map_err(wd)?.is_some())
    }

    /// Runs a script and returns its value.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client()?.execute(script, args).await.map_err(wd)
    }

    /// The texts of the items of the list named `name` (not one in a closed panel).
    pub async fn list_items(&self, name: &str) -> Result<Vec<String>> {
        let value = self
            .eval(
                "const list = [...document.querySelectorAll('ul[aria-label], ol[aria-label]')]
                    .find(l => l.getAttribute('aria-label') === arguments[0] && !l.closest('[hidden]'));
                 return list ? [...list.querySelectorAll(':scope > li')].map(li => li.innerText.trim()) : null;",
                vec![json!(name)],
            )
            .await?;
        match value {
            Value::Array(items) => Ok(items
                .into_iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()),
            _ => Err(HarnessError::Other(format!("no list named {name:?}"))),
        }
    }

    /// Waits until the list named `name` (shown: a closed panel's list is not read) satisfies
    /// `pred`; returns how long that took.
    pub async fn until_list(
        &self,
        name: &str,
        what: &str,
        pred: impl Fn(&[String]) -> bool,
    ) -> Result<Duration> {
        let start = Instant::now();
        let mut last = Vec::new();
        loop {
            if let Ok(items) = self.list_items(name).await {
                if pred(&items) {
                    return Ok(start.elapsed());
                }
                last = items;
            }
            if start.elapsed() > DEADLINE {
                // What the page says went wrong, for the failure's message.
                let alerts = self.texts_with_role("alert").await.unwrap_or_default();
                return Err(HarnessError::Timeout(format!(
                    "{what} (list {name:?} last held {last:?}; the page's alerts: {alerts:?})"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `script`'s value satisfies `pred`.
    pub async fn until_eval(&self, script: &str, pred: impl Fn(&Value) -> bool) -> Result<Value> {
        let start = Instant::now();
        loop {
            let value = self.eval(script, vec![]).await?;
            if pred(&value) {
                return Ok(value);
            }
            if start.elapsed() > DEADLINE {
                return Err(HarnessError::Timeout(format!("{script} (last {value})")));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The texts of every element with the ARIA role `role`.
    pub async fn texts_with_role(&self, role: &str) -> Result<Vec<String>> {
        let value = self
            .eval(
                "return [...document.querySelectorAll(`[role=${arguments[0]}]`)].map(e => e.innerText.trim());",
                vec![json!(role)],
            )
            .await?;
        Ok(value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until an element with role `role` contains `text` (or, with `present` false, none).
    async fn until_role_text(&self, role: &str, text: &str, present: bool) -> Result<()> {
        let start = Instant::now();
        loop {
            let found = self
                .texts_with_role(role)
                .await?
                .iter()
                .any(|a| a.contains(text));
            if found == present {
                return Ok(());
            }
            if start.elapsed() > DEADLINE {
                let what = if present { "an" } else { "no" };
                return Err(HarnessError::Timeout(format!(
                    "{what} {role} saying {text:?}"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until some element with role `role` contains `text`.
    pub async fn until_role(&self, role: &str, text: &str) -> Result<()> {
        self.until_role_text(role, text, true).await
    }

    /// Waits until no element with role `role` contains `text`.
    pub async fn until_no_role(&self, role: &str, text: &str) -> Result<()> {
        self.until_role_text(role, text, false).await
    }

    /// Waits until some alert contains `text`.
    pub async fn until_alert(&self, text: &str) -> Result<()> {
        self.until_role("alert", text).await
    }

    /// From now on, remembers the text of every alert that appears, however briefly (a
    /// countdown's alert is gone again when it ends), for `until_alert_seen`.
    pub async fn record_alerts(&self) -> Result<()> {
        self.eval(
            "window.__alerts = [];
             const note = () => {
               for (const e of document.querySelectorAll('[role=alert]')) {
                 const t = e.innerText.trim();
                 if (t && !window.__alerts.includes(t)) window.__alerts.push(t);
               }
             };
             new MutationObserver(note).observe(document.body,
               {subtree: true, childList: true, characterData: true});
             note();
             return true;",
            vec![],
        )
        .await?;
        Ok(())
    }

    /// Waits until an alert containing `text` has appeared since `record_alerts`.
    pub async fn until_alert_seen(&self, text: &str) -> Result<()> {
        let start = Instant::now();
        loop {
            let seen = self
                .eval(
                    "return (window.__alerts || []).some(t => t.includes(arguments[0]));",
                    vec![json!(text)],
                )
                .await?;
            if seen.as_bool() == Some(true) {
                return Ok(());
            }
            if start.elapsed() > DEADLINE {
                return Err(HarnessError::Timeout(format!("an alert saying {text:?}")));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Saves a PNG screenshot under `target/screenshots/`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client()?.screenshot().await.map_err(wd)?;
        let dir = crate::workspace_dir().join("target/screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Closes the browser, as a person closing the window would: the page unloads first, so its
    /// WebSocket and media connections end the way a closed tab ends them, then the browser
    /// quits. Debian's Chromium now and then hangs in its own shutdown after that (about one
    /// close in twenty of a page that had media; chromedriver waits 30 s for it), so a browser
    /// that has not quit within `QUIT_DEADLINE` is killed: its page is gone already.
    pub async fn close(mut self) -> Result<()> {
        let Some(client) = self.client.take() else {
            return Ok(());
        };
        let unloaded = tokio::time::timeout(BROWSER_DEADLINE, client.goto("about:blank")).await;
        let quit = match unloaded {
            Ok(Ok(())) => tokio::time::timeout(QUIT_DEADLINE, client.close()).await,
            Ok(Err(e)) => {
                kill_profile(&self.profile);
                return Err(wd(e));
            }
            Err(_) => {
                kill_profile(&self.profile);
                return Err(HarnessError::Timeout("the page to unload".into()));
            }
        };
        match quit {
            Ok(result) => result.map_err(wd),
            Err(_) => {
                eprintln!(
                    "note: Chromium did not quit within {QUIT_DEADLINE:?} of unloading its page; killed it"
                );
                kill_profile(&self.profile);
                Ok(())
            }
        }
    }
}

/// Ends the browser that runs with `profile`, which no other browser shares (stopping
/// chromedriver does not stop its browsers).
fn kill_profile(profile: &std::path::Path) {
    let _ = std::process::Command::new("pkill")
        .args(["-f", "--"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .status();
}

impl Drop for Page {
    fn drop(&mut self) {
        // A test that failed before `close` leaves its browser running.
        if self.client.is_some() {
            kill_profile(&self.profile);
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The accessible name of someone's video tile (the UI contract's `Video of {name}`).
pub fn video_of(name: &str) -> String {
    format!("Video of {name}")
}

/// Fails with a clear message when the frontend has not been built.
pub fn require_dist() -> Result<()> {
    if crate::dist_dir().join("index.html").is_file() {
        Ok(())
    } else {
        Err(HarnessError::Other(format!(
            "no built frontend in {}: run `cargo xtask test` (it builds dist/ first)",
            crate::dist_dir().display()
        )))
    }
}

/// An XPath condition: the element's accessible name is the literal `lit` (its `aria-label`
/// when it has one, else its text).
fn named(lit: &str) -> String {
    format!("@aria-label={lit} or (not(@aria-label) and normalize-space(.)={lit})")
}

/// An XPath condition: nothing the element is in is `hidden` (a closed panel's buttons are not
/// there for a person to click).
const SHOWN: &str = "[not(ancestor-or-self::*[@hidden])]";

/// axe-core's browser script, as `cargo xtask test` installs it from npm
/// (`PLENARY_AXE` names another copy).
fn axe_source() -> Result<String> {
    let path = std::env::var_os("PLENARY_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate::workspace_dir().join("target/tools/npm/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).map_err(|e| {
        HarnessError::Other(format!(
            "axe-core not at {} ({e}): run `cargo xtask test`, which installs it from npm",
            path.display()
        ))
    })
}

/// A host who started a meeting from the home page (with the Participants panel open), and the
/// meeting's invite link.
pub async fn start_as_host(driver: &Driver, base: &str, name: &str) -> Result<(Page, String)> {
    let host = driver.page(1280, 800).await?;
    host.goto(base).await?;
    host.fill("Your name", name).await?;
    host.click("Start a meeting").await?;
    host.open_panel("Participants").await?;
    host.until_list("Participants", "the host in the list", |items| {
        items.len() == 1
    })
    .await?;
    let invite = host.field_value("Invite link").await?;
    Ok((host, invite))
}

/// A participant who joined from `invite` in a window of this size.
pub async fn join_as(
    driver: &Driver,
    invite: &str,
    name: &str,
    (width, height): (u32, u32),
) -> Result<Page> {
    let page = driver.page(width, height).await?;
    page.goto(invite).await?;
    page.fill("Your name", name).await?;
    page.click("Join").await?;
    page.until_role("status", "You are in the main session")
        .await?;
    Ok(page)
}

/// A 16-bit mono 48 kHz WAV of `seconds` for `--use-file-for-fake-audio-capture`: a voice
/// (speech-like syllables, which the server's levels count as speaking), or silence.
pub fn voice_wav(path: &std::path::Path, voice: bool, seconds: u32) -> Result<()> {
    const RATE: u32 = 48_000;
    let samples = RATE * seconds;
    let mut out = Vec::with_capacity(44 + 2 * samples as usize);
    let data_len = 2 * samples;
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let v = if voice {
            // Speech-like, so the browser's noise suppression does not take it for a steady
            // noise: 220 ms syllables at a pitch that changes from one to the next, with a
            // rising and falling envelope and 80 ms gaps.
            let t = f64::from(i) / f64::from(RATE);
            let syllable = (t / 0.3) as u32;
            let within = t - f64::from(syllable) * 0.3;
            let pitch = 160.0 + f64::from(syllable * 37 % 140);
            let envelope = if within < 0.22 {
                (within / 0.22 * std::f64::consts::PI).sin()
            } else {
                0.0
            };
            let wave = (t * pitch * std::f64::consts::TAU).sin()
                + 0.5 * (t * 2.0 * pitch * std::f64::consts::TAU).sin()
                + 0.25 * (t * 3.0 * pitch * std::f64::consts::TAU).sin();
            (wave * envelope * 12_000.0) as i16
        } else {
            0
        };
        out.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, out)?;
    Ok(())
}
