//! Real calls in four headless Chromium pages with fake camera and microphone: the join form
//! previews the camera; everyone sees and
//! hears everyone in the main session (frames decoded and audio bytes rising, read from
//! `getStats()`); in two rooms of two each page decodes video only from its roommate; a moved
//! person starts decoding their new roommates' video; after closing, all four again. Stop video
//! and Mute stop what a page sends, Start video and Unmute bring it back, a tile shows
//! `Speaking` (from the server's levels) for someone whose (fake, speaking) microphone is on and not once they are muted, and a closed tab's
//! connection is freed on the server. Prints the
//! join-to-first-frame and move-to-first-frame times and the server's CPU time.

use plenary_e2e::browser::{
    Driver, MediaStats, Page, join_as, require_dist, video_of as tile, voice_wav,
};
use plenary_e2e::client::Client;
use plenary_e2e::support::{host, open_manual_rooms, wait_for_metric};
use plenary_e2e::{DEADLINE, HarnessError, Result, TestServer, bench};
use plenary_server::app::AppState;
use plenary_server::clock::Clock;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BreakoutOptions, Place};
use std::time::{Duration, Instant};

const PEOPLE: [&str; 4] = ["Ada", "Bo", "Cy", "Di"];
/// Frames (at the fake camera's 30 fps) that show video is plainly playing.
const FRAMES: u64 = 10;

/// Waits until `page` shows `FRAMES` more decoded frames in the tile of each of `from`, and as
/// many inbound audio streams as people in `from` received more bytes (by `getStats()`);
/// returns the stats at the start and the end of that window.
async fn receiving(page: &Page, from: &[&str]) -> Result<(MediaStats, MediaStats)> {
    let first = page.media_stats().await?;
    let start = Instant::now();
    loop {
        let now = page.media_stats().await?;
        let seen = from
            .iter()
            .all(|name| now.frames(&tile(name)) >= first.frames(&tile(name)) + FRAMES);
        if seen
            && now.growing(&first, true) >= from.len()
            && now.growing(&first, false) >= from.len()
        {
            return Ok((first, now));
        }
        if start.elapsed() > 2 * DEADLINE {
            return Err(HarnessError::Timeout(format!(
                "video and audio from {from:?}; stats {first:?} then {now:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks that over a window in which `page` decoded its roommates' video, it showed tiles for
/// exactly them (besides itself and the media-less host) and decoded and heard nobody else:
/// exactly as many inbound video and audio streams grew as it has roommates.
async fn only_from(page: &Page, me: &str, shown: &[&str]) -> Result<()> {
    // First the page must show the new place, and play on past what was in flight at the switch.
    let start = Instant::now();
    loop {
        let tiles = page.media_stats().await?.tiles;
        let expected = |label: &String| {
            label == &tile(me) || label == &tile("Host") || shown.iter().any(|n| &tile(n) == label)
        };
        let wanted =
            tiles.keys().all(expected) && shown.iter().all(|n| tiles.contains_key(&tile(n)));
        if wanted {
            break;
        }
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout(format!("{me}'s tiles: {tiles:?}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What was buffered at the switch may still be decoded for a while on a loaded machine:
    // wait for a window with exactly the roommates' streams; one that never comes fails.
    let start = Instant::now();
    let (before, after) = loop {
        let (before, after) = receiving(page, shown).await?;
        let streams = (after.growing(&before, false), after.growing(&before, true));
        if streams == (shown.len(), shown.len()) || start.elapsed() > 2 * DEADLINE {
            break (before, after);
        }
    };
    for label in after.tiles.keys() {
        let expected =
            label == &tile(me) || label == &tile("Host") || shown.iter().any(|n| &tile(n) == label);
        assert!(expected, "{me} shows {label}");
    }
    assert_eq!(
        after.growing(&before, false),
        shown.len(),
        "{me}: video streams decoding"
    );
    assert_eq!(
        after.growing(&before, true),
        shown.len(),
        "{me}: audio streams arriving"
    );
    Ok(())
}

/// Waits for a window in which `page` decodes `FRAMES` more of Cy's video (proof that time
/// passed) and `holds` is true of the stats at its start and end.
async fn until_over_a_window(
    page: &Page,
    what: &str,
    holds: impl Fn(&MediaStats, &MediaStats) -> bool,
) -> Result<()> {
    let start = Instant::now();
    loop {
        let (before, after) = receiving(page, &["Cy"]).await?;
        if holds(&before, &after) {
            return Ok(());
        }
        if start.elapsed() > 2 * DEADLINE {
            return Err(HarnessError::Timeout(format!(
                "{what}: {before:?} then {after:?}"
            )));
        }
    }
}

/// Every page sees and hears the other three.
/// Starts recording, on `page`, whether the tile `label` ever shows `Speaking`.
async fn watch_speaking(page: &Page, label: &str) -> Result<()> {
    const WATCH: &str = r#"
const label = arguments[0];
window.__spoke = window.__spoke || {};
window.__spoke[label] = false;
const look = () => Object.keys(window.__spoke).forEach(l => {
  const fig = [...document.querySelectorAll('figure')].find(f => f.getAttribute('aria-label') === l);
  if (fig && fig.textContent.includes('Speaking')) window.__spoke[l] = true;
});
if (!window.__spokeObserver) {
  window.__spokeObserver = new MutationObserver(look);
  window.__spokeObserver.observe(document.body, { subtree: true, childList: true, characterData: true });
}
look();
return true;
"#;
    page.eval(WATCH, vec![label.into()]).await?;
    Ok(())
}

/// Whether the tile `label` showed `Speaking` since `watch_speaking`.
async fn has_spoken(page: &Page, label: &str) -> Result<bool> {
    let seen = page
        .eval(
            "return (window.__spoke || {})[arguments[0]] === true;",
            vec![label.into()],
        )
        .await?;
    Ok(seen.as_bool() == Some(true))
}

async fn all_receive_all(pages: &[Page]) -> Result<()> {
    for (page, me) in pages.iter().zip(PEOPLE) {
        let others: Vec<&str> = PEOPLE.iter().filter(|n| **n != me).copied().collect();
        receiving(page, &others).await?;
    }
    Ok(())
}

#[tokio::test]
async fn four_browsers_see_and_hear_each_other_in_rooms_and_back() -> Result<()> {
    require_dist()?;
    // A short resume grace period, so a closed tab's place (and media) ends within the test.
    let server = TestServer::start_with(AppState::with(Clock::System, 2_000)).await?;
    let m = server.create_meeting().await?;
    let mut h = Client::connect(server.addr, &m.meeting).await?;
    h.join_on("Host", host(&m)).await?;
    let invite = format!("{}/m/{}", server.url(), m.meeting);
    let cpu_start = bench::cpu_seconds(None);
    // Everyone's fake microphone speaks (Chromium's own beep is too short to count as speech
    // by the server's levels, which the Speaking badge follows).
    let voice =
        std::env::temp_dir().join(format!("plenary-media-voice-{}.wav", std::process::id()));
    voice_wav(&voice, true, 6)?;
    let flag = format!("--use-file-for-fake-audio-capture={}", voice.display());
    let driver = Driver::start().await?.with_flags(&[flag.as_str()]);
    let mut pages = Vec::new();
    for name in &PEOPLE[..3] {
        pages.push(join_as(&driver, &invite, name, (900, 700)).await?);
    }
    // The last one in: time from clicking Join to the first decoded frame of someone else.
    let last = driver.page(900, 700).await?;
    last.goto(&invite).await?;
    last.fill("Your name", PEOPLE[3]).await?;
    // The join form previews the camera (which is then ready when Join is clicked).
    last.until_media("the camera preview", DEADLINE, |s| {
        s.frames("Your camera") > 0
    })
    .await?;
    let clicked = Instant::now();
    last.click("Join").await?;
    last.until_media("a first frame", 2 * DEADLINE, |s| {
        PEOPLE[..3].iter().any(|n| s.frames(&tile(n)) > 0)
    })
    .await?;
    let join_to_frame = clicked.elapsed();
    pages.push(last);

    // The main session: everyone sees and hears the other three.
    all_receive_all(&pages).await?;
    // The speaking ring: Ada's fake microphone speaks, so Bo's page marks her tile as speaking.
    watch_speaking(&pages[1], &tile("Ada")).await?;
    let start = Instant::now();
    while !has_spoken(&pages[1], &tile("Ada")).await? {
        if start.elapsed() > 2 * DEADLINE {
            return Err(HarnessError::Timeout("Ada's tile to show Speaking".into()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Two rooms of two: Ada and Bo, Cy and Di.
    h.until_view("everyone", |v| v.participants.len() == PEOPLE.len() + 1)
        .await?;
    let ids: Vec<_> = PEOPLE
        .iter()
        .map(|n| {
            h.view
                .participants
                .iter()
                .find(|p| p.name == *n)
                .map(|p| p.id)
                .ok_or_else(|| HarnessError::Other(format!("{n} not in the meeting")))
        })
        .collect::<Result<_>>()?;
    let options = BreakoutOptions {
        move_automatically: true,
        countdown_seconds: None,
        ..BreakoutOptions::default()
    };
    let rooms = open_manual_rooms(&mut h, &[ids[..2].to_vec(), ids[2..].to_vec()], options).await?;
    only_from(&pages[0], "Ada", &["Bo"]).await?;
    only_from(&pages[1], "Bo", &["Ada"]).await?;
    only_from(&pages[2], "Cy", &["Di"]).await?;
    only_from(&pages[3], "Di", &["Cy"]).await?;

    // Move Ada into the second room: time to her first frame from Cy.
    let before = pages[0].media_stats().await?.frames(&tile("Cy"));
    let moved = Instant::now();
    h.command(Command::MoveParticipant {
        participant: ids[0],
        to: Place::Room { room: rooms[1] },
    })
    .await?;
    pages[0]
        .until_media("Ada's first frame from Cy", 2 * DEADLINE, |s| {
            s.frames(&tile("Cy")) > before
        })
        .await?;
    let move_to_frame = moved.elapsed();
    // Bo, alone now, decodes and hears nobody while Ada decodes her new roommates (once what
    // was buffered at the move has played out; a stream that keeps coming fails).
    only_from(&pages[0], "Ada", &["Cy", "Di"]).await?;
    let start = Instant::now();
    let quiet = loop {
        let bo_before = pages[1].media_stats().await?;
        receiving(&pages[0], &["Cy", "Di"]).await?;
        let bo_after = pages[1].media_stats().await?;
        let quiet = (
            bo_after.growing(&bo_before, false),
            bo_after.growing(&bo_before, true),
        );
        if quiet == (0, 0) || start.elapsed() > 2 * DEADLINE {
            break quiet;
        }
    };
    assert_eq!(quiet, (0, 0), "Bo, alone, still receives media");

    // Close: all four together again.
    h.command(Command::CloseRooms).await?;
    all_receive_all(&pages).await?;
    let cpu_rooms = bench::cpu_seconds(None);

    // Ada's buttons. Stop video: Bo stops decoding her (while Cy's video goes on); Start
    // video: it comes back. Mute: Bo hears only Cy and Di; Unmute: all three again.
    let (ada, bo) = (&pages[0], &pages[1]);
    ada.click("Stop video").await?;
    ada.button("Start video").await?;
    until_over_a_window(bo, "Ada's video to stop", |before, after| {
        after.frames(&tile("Ada")) == before.frames(&tile("Ada"))
    })
    .await?;
    ada.click("Start video").await?;
    receiving(bo, &["Ada"]).await?;
    ada.click("Mute").await?;
    ada.button("Unmute").await?;
    until_over_a_window(bo, "Ada's audio to stop", |before, after| {
        after.growing(before, true) == 2
    })
    .await?;
    // Her tile at Bo's carries the Muted badge.
    let start = Instant::now();
    loop {
        let caption = bo
            .eval(
                "const f = [...document.querySelectorAll('figure')]
                   .find(f => f.getAttribute('aria-label') === arguments[0]);
                 return f ? f.textContent : '';",
                vec![tile("Ada").into()],
            )
            .await?;
        if caption.as_str().is_some_and(|c| c.contains("Muted")) {
            break;
        }
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout(
                "the Muted badge on Ada's tile".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Muted, she is not shown speaking: over three seconds of her file's speech, her tile never
    // says so.
    watch_speaking(bo, &tile("Ada")).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !has_spoken(bo, &tile("Ada")).await?,
        "a muted person's tile showed Speaking"
    );
    ada.click("Unmute").await?;
    receiving(bo, &["Ada", "Cy", "Di"]).await?;
    // Share screen: Bo decodes a `Screen of Ada` tile; Stop sharing removes it.
    ada.click("Share screen").await?;
    ada.button("Stop sharing").await?;
    let screen = "Screen of Ada";
    bo.until_media(&format!("{screen} decoding"), 2 * DEADLINE, |s| {
        s.frames(screen) >= FRAMES
    })
    .await?;
    ada.click("Stop sharing").await?;
    ada.button("Share screen").await?;
    bo.until_media(&format!("{screen} to go"), DEADLINE, |s| {
        !s.tiles.contains_key(screen)
    })
    .await?;

    // Closing a tab frees that person's connection and tracks on the server.
    if let Some(di) = pages.pop() {
        di.close().await?;
    }
    wait_for_metric(&server, "plenary_media_peers 3").await?;
    wait_for_metric(&server, "plenary_media_tracks 6").await?;

    let cpu = match (cpu_start, cpu_rooms) {
        (Some(a), Some(b)) => format!("{:.1} s", b - a),
        _ => "unknown".into(),
    };
    println!(
        "join to first frame {join_to_frame:?}; move to first frame {move_to_frame:?}; \
         server (test process) CPU {cpu}"
    );
    for page in pages {
        page.close().await?;
    }
    Ok(())
}
