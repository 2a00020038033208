//! Assigning by hand and letting people choose, in real headless Chromium through accessible
//! names: the host places one person from the keyboard (`Room for {name}`) and one by drag and
//! drop; people not moved automatically get an invitation with `Join`, may `Leave breakout room`;
//! then a second session where participants `Choose a room` themselves.

use plenary_e2e::browser::{Driver, Page, join_as, require_dist, start_as_host};
use plenary_e2e::{HarnessError, Result, TestServer};
use serde_json::json;

/// Drags the person named `who` from the list `from` onto the room card headed `room`, with the
/// same events a mouse drag fires.
async fn drag(page: &Page, who: &str, from: &str, room: &str) -> Result<()> {
    let done = page
        .eval(
            "const [who, from, room] = arguments;
             const item = [...document.querySelectorAll(`ul[aria-label='${from}'] > li`)]
                 .find(li => li.innerText.includes(who));
             const card = [...document.querySelectorAll('li.room')]
                 .find(li => li.querySelector('h3').innerText.trim() === room);
             if (!item || !card) return false;
             const data = new DataTransfer();
             item.dispatchEvent(new DragEvent('dragstart', { dataTransfer: data, bubbles: true }));
             card.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
             card.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
             return true;",
            vec![json!(who), json!(from), json!(room)],
        )
        .await?;
    if done.as_bool() == Some(true) {
        Ok(())
    } else {
        Err(HarnessError::Other(format!(
            "cannot drag {who} from {from} to {room}"
        )))
    }
}

#[tokio::test]
async fn manual_assignment_then_participants_choose_their_room() -> Result<()> {
    require_dist()?;
    let server = TestServer::start().await?;
    let driver = Driver::start().await?;
    let (host, invite) = start_as_host(&driver, &server.url(), "Hanne").await?;
    let mut people = Vec::new();
    for name in ["Per", "Kari"] {
        people.push(join_as(&driver, &invite, name, (900, 700)).await?);
    }
    host.until_list("Participants", "everyone", |items| items.len() == 3)
        .await?;

    // Two rooms, assigned by hand.
    host.click("Breakout rooms").await?;
    host.fill("Number of rooms", "2").await?;
    host.choose("Assign manually").await?;
    host.click("Create rooms").await?;
    host.until_list("Unassigned", "both wait for a room", |i| i.len() == 2)
        .await?;
    // From the keyboard…
    host.select("Room for Per", "Breakout room 1").await?;
    host.until_list("Breakout room 1", "Per in room 1", |i| {
        i.len() == 1 && i[0].starts_with("Per")
    })
    .await?;
    // …and by dragging.
    drag(&host, "Kari", "Unassigned", "Breakout room 2").await?;
    host.until_list("Breakout room 2", "Kari in room 2", |i| {
        i.len() == 1 && i[0].starts_with("Kari")
    })
    .await?;
    assert!(!host.has_button("Close all rooms").await?);
    // Close at once, without a countdown.
    host.choose("Countdown after closing breakout rooms")
        .await?;
    host.screenshot("panel-manual-1280").await?;
    host.click("Open all rooms").await?;

    // Not moved automatically: each gets an invitation to their own room.
    people[0]
        .until_alert("You are invited to Breakout room 1")
        .await?;
    people[1]
        .until_alert("You are invited to Breakout room 2")
        .await?;
    people[0].screenshot("participant-invitation-900").await?;
    people[0].click("Join").await?;
    people[0]
        .until_role("status", "You are in Breakout room 1")
        .await?;
    // Returning is allowed by default.
    people[0].click("Leave breakout room").await?;
    people[0]
        .until_role("status", "You are in the main session")
        .await?;
    people[0]
        .until_alert("You are invited to Breakout room 1")
        .await?;
    // The host hops into room 2 and back.
    host.click("Join Breakout room 2").await?;
    host.until_role("status", "You are in Breakout room 2")
        .await?;
    host.click("Leave breakout room").await?;
    host.until_role("status", "You are in the main session")
        .await?;
    host.click("Close all rooms").await?;
    people[1].until_no_role("alert", "You are invited").await?;

    // A second session: participants choose.
    host.click("Recreate").await?;
    host.fill("Number of rooms", "3").await?;
    host.choose("Let participants choose room").await?;
    host.click("Create rooms").await?;
    host.until_text("Breakout room 3").await?;
    assert!(host.is_checked("Allow participants to choose room").await?);
    host.click("Open all rooms").await?;
    people[1].click("Choose a room").await?;
    people[1]
        .click_in("Choose a room", "Breakout room 3")
        .await?;
    people[1]
        .until_role("status", "You are in Breakout room 3")
        .await?;
    host.until_list("Breakout room 3", "Kari chose room 3", |i| {
        i.iter().any(|p| p.starts_with("Kari"))
    })
    .await?;
    people[0].click("Choose a room").await?;
    people[0]
        .click_in("Choose a room", "Breakout room 1")
        .await?;
    people[0]
        .until_role("status", "You are in Breakout room 1")
        .await?;
    host.click("Close all rooms").await?;
    for page in &people {
        page.until_role("status", "You are in the main session")
            .await?;
    }
    for page in people {
        page.close().await?;
    }

    // Schools embed the app in their LMS: joining works inside an iframe, 320 px wide.
    let lms = driver.page(900, 800).await?;
    lms.goto(&format!("{}/healthz", server.url())).await?;
    lms.embed(&invite).await?;
    lms.fill("Your name", "Framed").await?;
    lms.click("Join").await?;
    lms.until_role("status", "You are in the main session")
        .await?;
    host.open_panel("Participants").await?;
    host.until_list("Participants", "the framed participant", |items| {
        items.iter().any(|i| i.starts_with("Framed"))
    })
    .await?;
    let (view, scroll) = lms.widths().await?;
    assert!(
        view <= 320 && scroll <= view,
        "overflow in the iframe: {view} {scroll}"
    );
    lms.screenshot("iframe-320").await?;
    lms.close().await?;
    host.close().await?;
    Ok(())
}
