//! An automated accessibility check (axe-core, run in the page by real headless Chromium): no
//! serious or critical violation on the home page, the join form, the meeting with each side
//! panel open (Participants, Chat, the host's Breakout rooms with rooms made, Settings), the
//! shortcuts dialog, and the planning page; on a phone-sized meeting too.

use plenary_e2e::browser::{Driver, Page, join_as, require_dist, start_as_host};
use plenary_e2e::{Result, TestServer};

/// Runs the check and fails with what it found.
async fn check(page: &Page, what: &str) -> Result<()> {
    let found = page.accessibility_violations().await?;
    assert!(found.is_empty(), "{what}: {found:#?}");
    println!("{what}: no serious or critical violations");
    Ok(())
}

#[tokio::test]
async fn the_main_views_have_no_serious_accessibility_violations() -> Result<()> {
    require_dist()?;
    let server = TestServer::start().await?;
    let driver = Driver::start().await?;
    let home = driver.page(1280, 800).await?;
    home.goto(&server.url()).await?;
    home.field("Your name").await?;
    // The check sees what it should: a button without a name is a critical violation.
    home.eval(
        "const b = document.createElement('button'); b.id = 'nameless'; \
         document.body.appendChild(b); return null;",
        vec![],
    )
    .await?;
    let found = home.accessibility_violations().await?;
    assert!(
        found.iter().any(|v| v.starts_with("button-name")),
        "axe missed a nameless button: {found:?}"
    );
    home.eval(
        "document.getElementById('nameless').remove(); return null;",
        vec![],
    )
    .await?;
    check(&home, "home").await?;
    home.goto(&format!("{}/plan", server.url())).await?;
    home.field("Title").await?;
    check(&home, "planning").await?;
    home.close().await?;

    let (host, invite) = start_as_host(&driver, &server.url(), "Hanne").await?;
    let join = driver.page(1280, 800).await?;
    join.goto(&invite).await?;
    join.field("Your name").await?;
    check(&join, "join form").await?;
    join.fill("Your name", "Per").await?;
    join.click("Join").await?;
    join.until_role("status", "You are in the main session")
        .await?;
    let phone = join_as(&driver, &invite, "Kari", (390, 844)).await?;
    host.until_list("Participants", "three people", |i| i.len() == 3)
        .await?;
    check(&host, "meeting, Participants").await?;
    host.open_panel("Chat").await?;
    host.fill("Chat message", "Velkommen").await?;
    host.click("Send").await?;
    host.until_list("Chat", "the line", |i| !i.is_empty())
        .await?;
    check(&host, "meeting, Chat").await?;
    host.click("Breakout rooms").await?;
    host.fill("Number of rooms", "2").await?;
    host.click("Create rooms").await?;
    host.until_list("Breakout room 1", "room 1", |_| true)
        .await?;
    check(&host, "meeting, Breakout rooms").await?;
    host.open_panel("Settings").await?;
    check(&host, "meeting, Settings").await?;
    host.click("Keyboard shortcuts").await?;
    host.until_eval(
        "const d = document.querySelector('dialog.shortcuts'); return !!d && d.open;",
        |v| v.as_bool() == Some(true),
    )
    .await?;
    check(&host, "shortcuts dialog").await?;
    check(&join, "meeting, participant").await?;
    check(&phone, "meeting at 390 px").await?;
    phone.open_panel("Participants").await?;
    check(&phone, "meeting at 390 px, Participants").await?;
    for page in [host, join, phone] {
        page.close().await?;
    }
    Ok(())
}
