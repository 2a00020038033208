//! A dropped connection in the browser: the real server is killed under two Chromium pages and
//! started again on the same address; both pages show that they are reconnecting, then come back
//! as the same people, with nothing clicked.

use plenary_e2e::browser::Driver;
use plenary_e2e::{HarnessError, Result, dist_dir};

mod common;
use common::start;

#[tokio::test]
async fn pages_reconnect_by_themselves_after_the_server_comes_back() -> Result<()> {
    if !dist_dir().join("index.html").is_file() {
        return Err(HarnessError::Other(format!(
            "no built frontend in {}: run `cargo xtask test` (it builds dist/ first)",
            dist_dir().display()
        )));
    }
    let data = std::env::temp_dir().join(format!("plenary-browser-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut server = start(&data, None).await?;
    let url = format!("http://{}", server.addr);
    let driver = Driver::start().await?;
    let host = driver.page(1280, 800).await?;
    host.goto(&url).await?;
    host.fill("Your name", "Hanne").await?;
    host.click("Start a meeting").await?;
    host.open_panel("Participants").await?;
    host.until_list("Participants", "the host", |items| items.len() == 1)
        .await?;
    let invite = host.field_value("Invite link").await?;
    let guest = driver.page(800, 800).await?;
    guest.goto(&invite).await?;
    guest.fill("Your name", "Per").await?;
    guest.click("Join").await?;
    host.until_list("Participants", "both", |items| items.len() == 2)
        .await?;

    server.child.kill().await?;
    host.until_role("status", "Reconnecting").await?;
    guest.until_role("status", "Reconnecting").await?;
    host.screenshot("reconnecting").await?;

    let _again = start(&data, Some(server.addr)).await?;
    guest.open_panel("Participants").await?;
    for page in [&host, &guest] {
        page.open_panel("Participants").await?;
        page.until_list("Participants", "the same two people back", |items| {
            items.len() == 2 && items[0].starts_with("Hanne") && items[1].starts_with("Per")
        })
        .await?;
        page.until_no_role("status", "Reconnecting").await?;
    }
    // The connection is live again: chat goes through.
    guest.open_panel("Chat").await?;
    host.open_panel("Chat").await?;
    guest.fill("Chat message", "back again").await?;
    guest.click("Send").await?;
    host.until_list("Chat", "the guest's line", |items| {
        items.iter().any(|i| i == "Per: back again")
    })
    .await?;
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
