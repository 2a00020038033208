//! Browser timings for the benchmark: in headless Chromium with fake devices, how long from
//! clicking Join (once the join form previews the camera, as a person would) to the first
//! decoded frame of someone already there, and from the host's move to the first decoded frame
//! of the new roommate. Each run is a fresh meeting with two pages
//! and a host over the WebSocket. And how soon, after someone unmutes and speaks, every page of
//! a plenary shows them as the active speaker (three pages, each with its fake microphone file).

use crate::browser::{Driver, Page, join_as, video_of as tile, voice_wav};
use crate::client::Client;
use crate::support::open_manual_rooms;
use crate::{DEADLINE, HarnessError, Result};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BreakoutOptions, Place};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub struct BrowserTimes {
    pub join_to_frame: Duration,
    pub move_to_frame: Duration,
}

/// Waits until `done` holds for `page`'s media; the time since `start`.
async fn until_frames(
    page: &Page,
    start: Instant,
    what: &str,
    done: impl Fn(&crate::browser::MediaStats) -> bool,
) -> Result<Duration> {
    page.until_media(what, 2 * DEADLINE, done).await?;
    Ok(start.elapsed())
}

/// One run against the server at `addr`: Ada joins, Bo joins (timed to Ada's first frame),
/// each gets a room of their own, then Ada is moved into Bo's room (timed to Bo's first frame).
pub async fn run(driver: &Driver, addr: SocketAddr) -> Result<BrowserTimes> {
    let created = crate::create_meeting(addr).await?;
    let secret = created.host_secret.clone();
    let mut host =
        Client::join(addr, &created.meeting, "Host", Credential::Host { secret }).await?;
    let invite = format!("http://{addr}/m/{}", created.meeting);
    let ada = join_as(driver, &invite, "Ada", (800, 600)).await?;
    let bo = driver.page(800, 600).await?;
    bo.goto(&invite).await?;
    bo.fill("Your name", "Bo").await?;
    // As a person would, Bo clicks Join once the join form shows his camera.
    until_frames(&bo, Instant::now(), "Bo's camera preview", |s| {
        s.frames("Your camera") > 0
    })
    .await?;
    let clicked = Instant::now();
    bo.click("Join").await?;
    let join_to_frame = until_frames(&bo, clicked, "Bo's first frame of Ada", |s| {
        s.frames(&tile("Ada")) > 0
    })
    .await?;

    host.until_view("Ada and Bo", |v| v.participants.len() == 3)
        .await?;
    let id = |name: &str| {
        host.view
            .participants
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.id)
            .ok_or_else(|| HarnessError::Other(format!("{name} is not in the meeting")))
    };
    let (ada_id, bo_id) = (id("Ada")?, id("Bo")?);
    let options = BreakoutOptions {
        move_automatically: true,
        countdown_seconds: None,
        ..BreakoutOptions::default()
    };
    let rooms = open_manual_rooms(&mut host, &[vec![ada_id], vec![bo_id]], options).await?;
    let bos_room = *rooms
        .get(1)
        .ok_or_else(|| HarnessError::Other("no second room".into()))?;
    // Apart: Ada's page no longer shows Bo.
    until_frames(&ada, Instant::now(), "Bo's tile to go at Ada's", |s| {
        !s.tiles.contains_key(&tile("Bo"))
    })
    .await?;
    let moved = Instant::now();
    host.command(Command::MoveParticipant {
        participant: ada_id,
        to: Place::Room { room: bos_room },
    })
    .await?;
    let move_to_frame = until_frames(&ada, moved, "Ada's first frame of Bo", |s| {
        s.frames(&tile("Bo")) > 0
    })
    .await?;
    ada.close().await?;
    bo.close().await?;
    Ok(BrowserTimes {
        join_to_frame,
        move_to_frame,
    })
}

/// The tile `page` marks as the active speaker, if any.
async fn active_on(page: &Page) -> Result<Option<String>> {
    let v = page
        .eval(
            "const f = document.querySelector('figure.tile.active-speaker'); \
             return f ? f.getAttribute('aria-label') : null;",
            vec![],
        )
        .await?;
    Ok(v.as_str().map(str::to_owned))
}

/// Waits until `page` shows `name` as the active speaker; the time since `start`.
async fn until_active(page: &Page, name: &str, start: Instant) -> Result<Duration> {
    let since = Instant::now();
    loop {
        let active = active_on(page).await?;
        if active.as_deref() == Some(tile(name).as_str()) {
            return Ok(start.elapsed());
        }
        if since.elapsed() > 3 * DEADLINE {
            return Err(HarnessError::Timeout(format!(
                "{name} as the active speaker (shown: {active:?})"
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One run against the server at `addr`: Ada speaks, Bo is silent, Fay (who speaks too) joins
/// muted; once every page shows Ada speaking, Fay unmutes. The time until the last of the three
/// pages shows Fay as the active speaker.
pub async fn speaker_switch(
    driver: &Driver,
    addr: SocketAddr,
    dir: &std::path::Path,
) -> Result<Duration> {
    let created = crate::create_meeting(addr).await?;
    let invite = format!("http://{addr}/m/{}", created.meeting);
    std::fs::create_dir_all(dir)?;
    let (voice, silence) = (dir.join("voice.wav"), dir.join("silence.wav"));
    voice_wav(&voice, true, 6)?;
    voice_wav(&silence, false, 4)?;
    let mut pages = Vec::new();
    for (name, file) in [("Ada", &voice), ("Bo", &silence), ("Fay", &voice)] {
        let flag = format!("--use-file-for-fake-audio-capture={}", file.display());
        let page = driver.page_with(640, 480, &[flag]).await?;
        page.goto(&invite).await?;
        page.fill("Your name", name).await?;
        page.click("Join").await?;
        page.until_role("status", "You are in the main session")
            .await?;
        if name == "Fay" {
            page.click("Mute").await?;
        }
        pages.push(page);
    }
    for page in &pages {
        until_active(page, "Ada", Instant::now()).await?;
    }
    let fay = pages
        .last()
        .ok_or_else(|| HarnessError::Other("no page for Fay".into()))?;
    fay.click("Unmute").await?;
    let unmuted = Instant::now();
    let watches = pages.iter().map(|page| until_active(page, "Fay", unmuted));
    let mut slowest = Duration::ZERO;
    for took in futures_util::future::join_all(watches).await {
        slowest = slowest.max(took?);
    }
    for page in pages {
        page.close().await?;
    }
    Ok(slowest)
}
