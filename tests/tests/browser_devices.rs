//! Choosing devices in real headless Chromium (its fake devices): the join form lists the
//! microphones under the camera preview and its level meter moves with the fake microphone's
//! beeps; the second microphone chosen there is the one the meeting sends; the Settings panel
//! shows it; after a reload the page opens and sends that microphone again, and says so.

use plenary_e2e::browser::{Page, require_dist};
use plenary_e2e::{DEADLINE, HarnessError, Result, TestServer};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The options of the select labelled `label`: (value, text).
async fn options(page: &Page, label: &str) -> Result<Vec<(String, String)>> {
    let v = page
        .eval(
            "const l = [...document.querySelectorAll('label.picker')]\
               .find(l => l.firstChild && l.firstChild.textContent.trim() === arguments[0] && !l.closest('[hidden]')); \
             const s = l && l.querySelector('select'); \
             return s ? [...s.options].map(o => [o.value, o.textContent.trim(), s.value]) : [];",
            vec![Value::from(label)],
        )
        .await?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let s = |i: usize| {
                o.get(i)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (s(0), s(1))
        })
        .collect())
}

/// The value the select labelled `label` shows.
async fn shown(page: &Page, label: &str) -> Result<String> {
    let v = page
        .eval(
            "const l = [...document.querySelectorAll('label.picker')]\
               .find(l => l.firstChild && l.firstChild.textContent.trim() === arguments[0] && !l.closest('[hidden]')); \
             const s = l && l.querySelector('select'); return s ? s.value : null;",
            vec![Value::from(label)],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// The device id of the microphone track the page's connection sends, once it sends one.
async fn sent_microphone(page: &Page) -> Result<String> {
    let v = page
        .until_eval(
            "const pcs = window.__pcs || []; \
             for (const pc of pcs) for (const s of pc.getSenders()) \
               if (s.track && s.track.kind === 'audio') return s.track.getSettings().deviceId; \
             return null;",
            |v| v.is_string(),
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_chosen_microphone_is_sent_and_survives_a_reload() -> Result<()> {
    require_dist()?;
    let server = TestServer::start().await?;
    let m = server.create_meeting().await?;
    let driver = plenary_e2e::browser::Driver::start().await?;
    let page = driver.page(1280, 800).await?;
    page.goto(&format!("{}/m/{}", server.url(), m.meeting))
        .await?;
    // The join form lists the microphones (with their labels, the browser having granted them).
    let start = Instant::now();
    let mics = loop {
        let mics = options(&page, "Microphone").await?;
        if mics.len() >= 2 && mics.iter().all(|(_, label)| !label.is_empty()) {
            break mics;
        }
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout(format!(
                "two microphones listed: {mics:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!("microphones: {mics:?}");
    // The meter follows the fake microphone's beeps.
    page.until_eval(
        "const m = document.querySelector('meter.level'); return m ? m.value : 0;",
        |v| v.as_f64().is_some_and(|x| x > 0.2),
    )
    .await?;
    // Another microphone than the one open now.
    let current = shown(&page, "Microphone").await?;
    let (id, label) = mics
        .iter()
        .find(|(id, _)| *id != current)
        .cloned()
        .ok_or_else(|| HarnessError::Other("no second microphone".into()))?;
    page.select("Microphone", &label).await?;
    page.until_eval(
        "return document.querySelector('label.picker select') && [...document.querySelectorAll('label.picker select')][1].value;",
        |v| v.as_str() == Some(id.as_str()),
    )
    .await?;
    page.screenshot("join-devices").await?;
    page.fill("Your name", "Mia").await?;
    page.click("Join").await?;
    page.until_role("status", "You are in the main session")
        .await?;
    assert_eq!(
        sent_microphone(&page).await?,
        id,
        "the chosen microphone is sent"
    );
    page.open_panel("Settings").await?;
    let start = Instant::now();
    while shown(&page, "Microphone").await? != id {
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout(
                "the Settings panel to show the choice".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    page.screenshot("meeting-settings").await?;
    // A reload resumes the meeting with the same microphone.
    page.reload().await?;
    page.until_role("status", "You are in the main session")
        .await?;
    assert_eq!(
        sent_microphone(&page).await?,
        id,
        "after a reload, the same microphone"
    );
    page.open_panel("Settings").await?;
    let start = Instant::now();
    while shown(&page, "Microphone").await? != id {
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout(
                "the choice shown after the reload".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    page.close().await?;
    Ok(())
}
