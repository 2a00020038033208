//! A class's first week, in real Chromium: the host presses F5 and is still the host (the first
//! participant is still a participant), a participant reloads inside a breakout room and is back
//! in the same room within 2 s with one entry in every list, the host removes someone (who is
//! told why and does not come back on reload), and `End meeting for all` ends it on every page.

use plenary_e2e::Result;
use plenary_e2e::TestServer;
use plenary_e2e::browser::{Driver, Page, join_as, require_dist, start_as_host};
use std::time::{Duration, Instant};

/// The names in a page's `Participants` list, each with its badges.
async fn people(page: &Page) -> Result<Vec<String>> {
    page.open_panel("Participants").await?;
    page.list_items("Participants").await
}

fn count(items: &[String], name: &str) -> usize {
    items.iter().filter(|i| i.starts_with(name)).count()
}

/// Every page lists exactly these people, once each.
async fn everyone_lists(pages: &[&Page], names: &[&str]) -> Result<()> {
    for page in pages {
        page.open_panel("Participants").await?;
        page.until_list("Participants", "each person once", |items| {
            items.len() == names.len() && names.iter().all(|n| count(items, n) == 1)
        })
        .await?;
    }
    Ok(())
}

#[tokio::test]
async fn reloads_resume_the_same_person_in_the_same_place() -> Result<()> {
    require_dist()?;
    let server = TestServer::start().await?;
    let driver = Driver::start().await?;
    let (host, invite) = start_as_host(&driver, &server.url(), "Hanne").await?;
    let ola = join_as(&driver, &invite, "Ola", (800, 700)).await?;
    let kari = join_as(&driver, &invite, "Kari", (800, 700)).await?;
    everyone_lists(&[&host, &ola, &kari], &["Hanne", "Ola", "Kari"]).await?;

    // F5 on the host: still host, with no duplicate, and Ola (who came first by the
    // participant link) is still a participant who cannot remove the host.
    host.reload().await?;
    host.until_role("status", "You are in the main session")
        .await?;
    everyone_lists(&[&host, &ola, &kari], &["Hanne", "Ola", "Kari"]).await?;
    for page in [&host, &ola, &kari] {
        let items = people(page).await?;
        let hanne = items.iter().find(|i| i.starts_with("Hanne"));
        assert!(hanne.is_some_and(|h| h.contains("Host")), "{items:?}");
        let ola_item = items.iter().find(|i| i.starts_with("Ola"));
        assert!(
            ola_item.is_some_and(|o| !o.contains("Host")),
            "Ola is no host: {items:?}"
        );
    }
    assert!(
        host.has_button("Breakout rooms").await?,
        "the host panel is back"
    );
    assert!(!ola.has_button("Remove Hanne").await?);

    // Rooms open, everyone moved; Ola reloads inside her room and is back there within 2 s.
    host.click("Breakout rooms").await?;
    host.fill("Number of rooms", "2").await?;
    host.choose("Assign automatically").await?;
    host.click("Create rooms").await?;
    host.choose("Move all participants into breakout rooms automatically")
        .await?;
    host.click("Open all rooms").await?;
    ola.until_text("You are in Breakout room").await?;
    let room = ola
        .texts_with_role("status")
        .await?
        .into_iter()
        .find(|t| t.starts_with("You are in Breakout room"))
        .unwrap_or_default();
    ola.reload().await?;
    let started = Instant::now();
    ola.until_role("status", &room).await?;
    let back = started.elapsed();
    assert!(
        back < Duration::from_secs(2),
        "back in the room after {back:?}"
    );
    everyone_lists(&[&host, &ola, &kari], &["Hanne", "Ola", "Kari"]).await?;
    ola.screenshot("reloaded-in-room").await?;

    // The host removes Kari: she is told why, and a reload does not bring her back.
    host.click("Remove Kari").await?;
    kari.until_text("You were removed from the meeting by Hanne.")
        .await?;
    everyone_lists(&[&host, &ola], &["Hanne", "Ola"]).await?;
    kari.screenshot("removed").await?;
    kari.reload().await?;
    kari.field("Your name").await?;
    everyone_lists(&[&host, &ola], &["Hanne", "Ola"]).await?;

    // End meeting for all: every page says so, and the media and lists go.
    host.click("End meeting for all").await?;
    for page in [&host, &ola] {
        page.until_text("The host ended the meeting.").await?;
    }
    ola.screenshot("ended").await?;
    ola.reload().await?;
    ola.until_text("The host ended the meeting.").await?;
    for page in [host, ola, kari] {
        page.close().await?;
    }
    Ok(())
}
