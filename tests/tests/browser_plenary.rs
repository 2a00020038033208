//! A plenary bigger than the server's slots, in six real Chromium pages, each with its own fake
//! microphone file (`--use-file-for-fake-audio-capture`): Ada's is a voice (speech-like syllables), Bo's to
//! Eve's silence, and Fay's a voice she keeps muted at first. The server runs with a test
//! setting of three videos per receiver (`--last-n 3`) and three voices. Every page hears Ada
//! (an audio slot carries her, and its bytes grow) and nobody silent, decodes exactly three
//! videos, and shows Ada as the active speaker (from the server's levels); when Fay unmutes,
//! every page shows her as the active speaker; pinned by Bo, she is on his speaker view's stage
//! and her video plays there. How soon pages follow a new speaker (the 2 s) is a
//! benchmark figure (`cargo xtask bench`, part `browser`), not a limit here: six browsers on two
//! cores say little about time.

use plenary_e2e::browser::{Driver, MediaStats, Page, require_dist, video_of as tile, voice_wav};
use plenary_e2e::{DEADLINE, HarnessError, Result, TestServer};
use plenary_server::app::{AppState, Options};
use plenary_server::media::MediaConfig;
use plenary_server::media::select::Selection;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const PEOPLE: [&str; 6] = ["Ada", "Bo", "Cy", "Di", "Eve", "Fay"];
const LAST_N: usize = 3;

/// The label of the tile marked as the active speaker on `page`, if any.
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

/// Whose voices `page`'s audio slots carry now (participant ids, as the page has them).
async fn voices_on(page: &Page) -> Result<Vec<String>> {
    let v = page
        .eval(
            "return [...document.querySelectorAll('audio[data-from]')]\
               .map(a => a.getAttribute('data-from'));",
            vec![],
        )
        .await?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect())
}

/// Waits until `page`'s voice slots carry exactly `who` (until everyone's microphone is in, a
/// small plenary sends every voice).
async fn until_voices(page: &Page, who: &[String], what: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        let now = voices_on(page).await?;
        if now == who {
            return Ok(());
        }
        if start.elapsed() > 2 * DEADLINE {
            return Err(HarnessError::Timeout(format!("{what} (carried: {now:?})")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `name`'s participant id, from their tile on `page`.
async fn id_of(page: &Page, name: &str) -> Result<String> {
    let v = page
        .eval(
            "const f = [...document.querySelectorAll('figure.tile')]\
               .find(f => f.getAttribute('aria-label') === arguments[0]); \
             return f ? f.getAttribute('data-who') : null;",
            vec![Value::from(tile(name))],
        )
        .await?;
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| HarnessError::Other(format!("no tile of {name}")))
}

/// Waits until `page` shows `name` as the active speaker; how long that took.
async fn until_active(page: &Page, name: &str, limit: Duration) -> Result<Duration> {
    let start = Instant::now();
    loop {
        let active = active_on(page).await?;
        if active.as_deref() == Some(tile(name).as_str()) {
            return Ok(start.elapsed());
        }
        if start.elapsed() > limit {
            return Err(HarnessError::Timeout(format!(
                "{name} as the active speaker (shown: {active:?})"
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Over a window in which `page` decoded plenty, how many video and audio streams grew and in
/// how many tiles of others (not `me`'s self view) frames were decoded.
async fn window(page: &Page, me: &str) -> Result<(usize, usize, usize)> {
    let before = page.media_stats().await?;
    let start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now: MediaStats = page.media_stats().await?;
        let tiles = now
            .tiles
            .iter()
            .filter(|(label, n)| **label != tile(me) && before.frames(label) + 10 <= **n)
            .count();
        if tiles >= LAST_N || start.elapsed() > 2 * DEADLINE {
            return Ok((
                now.growing(&before, false),
                now.growing(&before, true),
                tiles,
            ));
        }
    }
}

#[tokio::test]
async fn a_plenary_hears_its_speaker_sees_the_last_n_and_follows_who_speaks() -> Result<()> {
    require_dist()?;
    let media = MediaConfig {
        selection: Selection {
            loudest: Some(3),
            last_n: Some(LAST_N),
        },
        ..MediaConfig::default()
    };
    let server = TestServer::start_with(AppState::from_options(Options {
        media,
        ..Options::default()
    }))
    .await?;
    let m = server.create_meeting().await?;
    let invite = format!("{}/m/{}", server.url(), m.meeting);
    let dir: PathBuf = std::env::temp_dir().join(format!("plenary-voices-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (tone, silence) = (dir.join("voice.wav"), dir.join("silence.wav"));
    voice_wav(&tone, true, 6)?;
    voice_wav(&silence, false, 4)?;
    let driver = Driver::start().await?;
    let mut pages = Vec::new();
    for name in PEOPLE {
        let file = if name == "Ada" || name == "Fay" {
            &tone
        } else {
            &silence
        };
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
    // Every page: Ada is the active speaker; it hears Ada and nobody else; three videos.
    // Ada's page carries no voice once the four silent microphones are all in (before, the
    // plenary is small enough to send every voice); everyone else's carries hers.
    for (page, name) in pages.iter().zip(PEOPLE) {
        until_active(page, "Ada", 3 * DEADLINE).await?;
        let expected = match name {
            "Ada" => Vec::new(),
            _ => vec![id_of(page, "Ada").await?],
        };
        until_voices(
            page,
            &expected,
            &format!("{name}'s voice slots to carry Ada only"),
        )
        .await?;
        let (videos, voices, tiles) = window(page, name).await?;
        assert_eq!(videos, LAST_N, "{name} decodes {videos} video streams");
        assert_eq!(tiles, LAST_N, "{name} plays video in {tiles} tiles");
        assert_eq!(
            voices,
            expected.len(),
            "{name} hears {voices} voices, only Ada speaks"
        );
        assert_eq!(voices_on(page).await?, expected, "{name}'s voice slots");
    }
    // Fay unmutes and speaks: every page shows her as the active speaker.
    let fay = &pages[5];
    fay.click("Unmute").await?;
    let clicked = Instant::now();
    // Every page watched at once, so that none waits for another's check.
    let watches = pages.iter().map(|page| async move {
        until_active(page, "Fay", 2 * DEADLINE).await?;
        Ok::<Duration, HarnessError>(clicked.elapsed())
    });
    let took = futures_util::future::join_all(watches).await;
    for (took, name) in took.into_iter().zip(PEOPLE) {
        println!(
            "{name} shows Fay as the active speaker {:?} after she unmuted",
            took?
        );
    }
    // Bo pins Fay: the speaker view opens with her tile on the stage (whoever speaks), and her
    // video plays there.
    let bo = &pages[1];
    bo.screenshot("plenary-gallery").await?;
    bo.click("Pin Fay").await?;
    let stage = "const f = document.querySelector('.stage figure'); \
                 return f ? f.getAttribute('aria-label') : null;";
    let start = Instant::now();
    while bo.eval(stage, vec![]).await?.as_str() != Some(tile("Fay").as_str()) {
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout("Fay on Bo's stage".into()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = bo.media_stats().await?.frames(&tile("Fay"));
    bo.until_media("Fay's video on the stage", DEADLINE, |s| {
        s.frames(&tile("Fay")) >= before + 10
    })
    .await?;
    bo.screenshot("plenary-speaker-view").await?;
    for page in pages {
        page.close().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
