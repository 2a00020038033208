//! A whole breakout session in real headless Chromium, driven only through accessible names: a
//! host and four participants; the host mutes one and makes another co-host and back from the
//! Participants list; the host creates rooms automatically (checking the preview),
//! renames one, opens them, broadcasts, answers a call for help by joining that room, and closes
//! with a countdown that everyone sees before they are all back in the main session.

use plenary_e2e::browser::{Driver, Page, join_as, require_dist, start_as_host};
use plenary_e2e::{DEADLINE, HarnessError, Result, TestServer};
use std::time::{Duration, Instant};

const PEOPLE: [&str; 4] = ["Ada", "Bo", "Cy", "Di"];

/// The `You are in …` line of a page.
async fn where_am_i(page: &Page) -> Result<String> {
    Ok(page
        .texts_with_role("status")
        .await?
        .into_iter()
        .find(|s| s.starts_with("You are in"))
        .unwrap_or_default())
}

/// Waits until the page says it is in a breakout room; returns the room's name.
async fn until_in_a_room(page: &Page) -> Result<String> {
    let start = Instant::now();
    loop {
        let here = where_am_i(page).await?;
        if let Some(room) = here.strip_prefix("You are in ")
            && room != "the main session"
        {
            return Ok(room.to_owned());
        }
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout(format!("a room (last: {here:?})")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_host_runs_a_whole_session_through_the_panel() -> Result<()> {
    require_dist()?;
    let server = TestServer::start().await?;
    let driver = Driver::start().await?;
    let (host, invite) = start_as_host(&driver, &server.url(), "Hanne").await?;
    let mut pages = Vec::new();
    for (i, name) in PEOPLE.iter().enumerate() {
        // One participant uses a phone-sized screen.
        let size = if i == 0 { (375, 812) } else { (900, 700) };
        pages.push(join_as(&driver, &invite, name, size).await?);
    }
    host.until_list("Participants", "everyone", |items| items.len() == 5)
        .await?;

    // The host's actions in the Participants list. Mute Di: the list says so and Di's page
    // offers Unmute (which she uses).
    let item = |items: &[String], name: &str, label: &str| {
        items
            .iter()
            .any(|i| i.starts_with(name) && i.contains(label))
    };
    host.click("Mute Di").await?;
    host.until_list("Participants", "Di muted", |items| {
        item(items, "Di", "Muted")
    })
    .await?;
    pages[3].click("Unmute").await?;
    host.until_list("Participants", "Di unmuted", |items| {
        !item(items, "Di", "Muted")
    })
    .await?;
    // Make Cy a co-host: the list says so and Cy's page gets the breakout panel; then back.
    host.click("Make co-host Cy").await?;
    host.until_list("Participants", "Cy co-host", |items| {
        item(items, "Cy", "Co-host")
    })
    .await?;
    pages[2].button("Breakout rooms").await?;
    host.click("Remove co-host Cy").await?;
    host.until_list("Participants", "Cy a participant again", |items| {
        !item(items, "Cy", "Co-host")
    })
    .await?;

    // Set up: two rooms, automatically, with a preview of the split.
    host.click("Breakout rooms").await?;
    host.fill("Number of rooms", "2").await?;
    assert!(host.is_checked("Assign automatically").await?);
    host.until_text("People per room: 2, 2").await?;
    host.fill("Number of rooms", "3").await?;
    host.until_text("People per room: 2, 1, 1").await?;
    host.fill("Number of rooms", "2").await?;
    host.screenshot("panel-setup-1280").await?;
    host.click("Create rooms").await?;
    host.until_list("Breakout room 1", "two people in room 1", |i| i.len() == 2)
        .await?;
    host.until_list("Breakout room 2", "two people in room 2", |i| i.len() == 2)
        .await?;

    // Rename room 1.
    host.click("Rename Breakout room 1").await?;
    host.fill("New name", "Fjord").await?;
    host.click("Save").await?;
    host.until_list("Fjord", "the renamed room keeps its people", |i| {
        i.len() == 2
    })
    .await?;

    // Options: move everyone automatically, a 3-second countdown.
    host.choose("Move all participants into breakout rooms automatically")
        .await?;
    host.fill("Countdown seconds", "3\u{E004}").await?;
    host.until_text("Open all rooms").await?;
    host.screenshot("panel-rooms-1280").await?;
    host.click("Open all rooms").await?;
    host.until_role("status", "Breakout rooms - In Progress")
        .await?;

    // Everyone is in a room, two and two.
    let mut rooms = Vec::new();
    for page in &pages {
        rooms.push(until_in_a_room(page).await?);
    }
    let in_fjord = rooms.iter().filter(|r| *r == "Fjord").count();
    assert_eq!(in_fjord, 2, "{rooms:?}");
    pages[0].screenshot("participant-in-room-375").await?;
    host.screenshot("panel-running-1280").await?;

    // A broadcast reaches every room.
    host.click("Broadcast a message to all").await?;
    host.fill("Message", "Five minutes left").await?;
    host.until_text("123 characters left").await?;
    host.click("Broadcast").await?;
    for page in &pages {
        page.until_alert("Five minutes left").await?;
    }

    // Ada asks for help; the host sees who and where, and joins her room.
    pages[0].click("Ask for help").await?;
    pages[0]
        .until_text("The host has been asked to help.")
        .await?;
    let ada_room = rooms[0].clone();
    host.until_list("Help requests", "Ada's request", |items| {
        items
            .iter()
            .any(|i| i.contains("Ada asks for help in") && i.contains(&ada_room))
    })
    .await?;
    host.click_in("Help requests", "Join").await?;
    host.until_role("status", &format!("You are in {ada_room}"))
        .await?;
    host.until_list("Help requests", "the request is handled", |items| {
        items.is_empty()
    })
    .await?;

    // Close with the countdown: everyone sees it (each page notes every alert, so one checked
    // after the 3 s are over still counts), then everyone is back.
    for page in &pages {
        page.record_alerts().await?;
    }
    host.click("Close all rooms").await?;
    pages[0].until_alert("Breakout rooms close in").await?;
    pages[0].screenshot("participant-countdown-375").await?;
    for page in &pages {
        page.until_alert_seen("Breakout rooms close in").await?;
    }
    for page in &pages {
        page.until_role("status", "You are in the main session")
            .await?;
    }
    host.until_role("status", "You are in the main session")
        .await?;
    host.until_no_role("status", "Breakout rooms - In Progress")
        .await?;

    // Nothing spills sideways on the phone, nor on the host's screen.
    let (view, scroll) = pages[0].widths().await?;
    assert_eq!(view, 375);
    assert!(scroll <= view, "the page overflows at 375 px: {scroll}");
    let (view, scroll) = host.widths().await?;
    assert!(scroll <= view, "the page overflows at 1280 px: {scroll}");
    for page in pages {
        page.close().await?;
    }
    host.close().await?;
    Ok(())
}
