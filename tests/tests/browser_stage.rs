//! The meeting as a window, in real headless Chromium: four people (a host and a guest at
//! 1280×800, two guests on phones at 390×844). On every page the document does not scroll and
//! the gallery's tiles cover most of the window; a panel opens from the toolbar by keyboard
//! (Enter on its button, the focus goes into it), Escape closes it and gives the focus back; a
//! shortcut (Alt+H) opens the chat and the shortcuts dialog lists it. Screenshots of both sizes,
//! with and without a panel, go to `target/screenshots/`. Every other person's tile has
//! connection bars.

use plenary_e2e::browser::{Driver, Page, join_as, require_dist, start_as_host};
use plenary_e2e::{DEADLINE, HarnessError, Result, TestServer};
use serde_json::Value;
use std::time::{Duration, Instant};

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const ALT: &str = "\u{E00A}";

/// The document's scroll size against the window's, and the share of the window the tiles
/// cover (their boxes clipped to the window).
async fn measure(page: &Page) -> Result<(f64, f64, f64, f64, f64, usize)> {
    let v = page
        .eval(
            "const d = document.documentElement; \
             const W = window.innerWidth, H = window.innerHeight; \
             let area = 0, n = 0; \
             for (const t of document.querySelectorAll('.grid figure.tile')) { \
               const r = t.getBoundingClientRect(); \
               const w = Math.max(0, Math.min(r.right, W) - Math.max(r.left, 0)); \
               const h = Math.max(0, Math.min(r.bottom, H) - Math.max(r.top, 0)); \
               area += w * h; n += 1; \
             } \
             return [d.scrollWidth, d.scrollHeight, W, H, area / (W * H), n];",
            vec![],
        )
        .await?;
    let f = |i: usize| v.get(i).and_then(Value::as_f64).unwrap_or(0.0);
    Ok((f(0), f(1), f(2), f(3), f(4), f(5) as usize))
}

/// Waits until `page` shows `n` tiles and reports its measures then.
async fn until_tiles(page: &Page, n: usize) -> Result<(f64, f64, f64, f64, f64)> {
    let start = Instant::now();
    loop {
        let (sw, sh, w, h, share, tiles) = measure(page).await?;
        if tiles == n {
            return Ok((sw, sh, w, h, share));
        }
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout(format!("{n} tiles (shown: {tiles})")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether the side panel is shown, and what it is labelled.
async fn panel_shown(page: &Page) -> Result<Option<String>> {
    let v = page
        .eval(
            "const p = document.getElementById('side-panel'); \
             return p && !p.hidden ? p.getAttribute('aria-label') : null;",
            vec![],
        )
        .await?;
    Ok(v.as_str().map(str::to_owned))
}

#[tokio::test]
async fn the_meeting_fills_the_window_and_its_panels_work_by_keyboard() -> Result<()> {
    require_dist()?;
    let server = TestServer::start().await?;
    let driver = Driver::start().await?;
    let (host, invite) = start_as_host(&driver, &server.url(), "Hanne").await?;
    let desk = join_as(&driver, &invite, "Per", (1280, 800)).await?;
    let phone = join_as(&driver, &invite, "Kari", (390, 844)).await?;
    let other_phone = join_as(&driver, &invite, "Ola", (390, 844)).await?;
    host.until_list("Participants", "four people", |items| items.len() == 4)
        .await?;
    host.screenshot("meeting-1280-participants").await?;
    // Closed, the host's stage has the window.
    host.open_panel("Participants").await?;
    host.click("Participants").await?;
    for (page, name) in [
        (&host, "Hanne"),
        (&desk, "Per"),
        (&phone, "Kari"),
        (&other_phone, "Ola"),
    ] {
        let (sw, sh, w, h, share) = until_tiles(page, 4).await?;
        println!(
            "{name}: {w}×{h}, document {sw}×{sh}, tiles cover {:.0} %",
            share * 100.0
        );
        assert!(
            sw <= w && sh <= h,
            "{name}'s page scrolls: {sw}×{sh} in {w}×{h}"
        );
        assert!(
            share >= 0.5,
            "{name}'s tiles cover {:.0} % of the window",
            share * 100.0
        );
    }
    // Every other person's tile carries bars saying how their video reaches this page.
    let bars = host
        .until_eval(
            "return [...document.querySelectorAll('.grid figure.tile .quality')]\
               .map(q => q.getAttribute('aria-label'));",
            |v| v.as_array().is_some_and(|a| a.len() == 3),
        )
        .await?;
    println!("Hanne's tiles say: {bars}");
    assert_eq!(
        host.eval(
            "return document.querySelectorAll('.tile.mine .quality').length;",
            vec![]
        )
        .await?,
        0,
        "no bars on one's own tile"
    );
    host.screenshot("meeting-1280").await?;
    phone.screenshot("meeting-390").await?;

    // By keyboard: Enter on the Participants button opens the panel with the focus in it;
    // Escape closes it and the focus is back on the button.
    for page in [&host, &phone] {
        page.eval(
            "document.getElementById('toggle-participants').focus(); return null;",
            vec![],
        )
        .await?;
        page.press(ENTER).await?;
        page.until_eval(
            "const p = document.getElementById('side-panel'); \
             return !!p && !p.hidden && p.contains(document.activeElement);",
            |v| v.as_bool() == Some(true),
        )
        .await?;
        assert_eq!(panel_shown(page).await?.as_deref(), Some("Participants"));
        page.until_list("Participants", "everyone in the panel", |i| i.len() == 4)
            .await?;
        let (sw, sh, w, h, _) = until_tiles(page, 4).await?;
        assert!(
            sw <= w && sh <= h,
            "with the panel open the page scrolls: {sw}×{sh}"
        );
        page.press(ESCAPE).await?;
        page.until_eval(
            "const p = document.getElementById('side-panel'); return !!p && p.hidden;",
            |v| v.as_bool() == Some(true),
        )
        .await?;
        assert_eq!(page.focused().await?.1, "toggle-participants");
    }
    // Alt+H opens the chat, as its button's tooltip says.
    phone.press(&format!("{ALT}h")).await?;
    phone
        .until_eval(
            "const p = document.getElementById('side-panel'); \
             return p && !p.hidden ? p.getAttribute('aria-label') : null;",
            |v| v.as_str() == Some("Chat"),
        )
        .await?;
    phone.fill("Chat message", "Hei fra mobilen").await?;
    phone.click("Send").await?;
    phone
        .until_list("Chat", "Kari's line", |i| {
            i.iter().any(|l| l.contains("Hei fra mobilen"))
        })
        .await?;
    phone.screenshot("meeting-390-chat").await?;
    // The shortcuts dialog (Alt+K) lists them.
    host.press(&format!("{ALT}k")).await?;
    host.until_eval(
        "const d = document.querySelector('dialog.shortcuts'); \
         return !!d && d.open && d.innerText.includes('Alt+H');",
        |v| v.as_bool() == Some(true),
    )
    .await?;
    host.screenshot("meeting-shortcuts").await?;
    for page in [host, desk, phone, other_phone] {
        page.close().await?;
    }
    Ok(())
}
