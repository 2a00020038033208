//! The walking skeleton in real headless Chromium: a host starts a meeting, a participant joins
//! from the invite link, both see each other in `Participants`, and `Leave meeting` shows up for
//! the other within a second; closing the browser keeps the place for the grace period (a closed
//! tab may be restored), then it goes.

use plenary_e2e::browser::{Driver, require_dist};
use plenary_e2e::client::Client;
use plenary_e2e::{Result, TestServer};
use plenary_server::app::AppState;
use plenary_server::clock::Clock;
use plenary_shared::ids::{HostSecret, MeetingId};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BroadcastTarget, RoomCount, Strategy};
use std::time::Duration;

fn has(items: &[String], name: &str) -> bool {
    items.iter().any(|i| i.starts_with(name))
}

#[tokio::test]
async fn host_and_participant_see_each_other_come_and_go() -> Result<()> {
    require_dist()?;
    // A short grace period, so the closed tab's place can be seen to end.
    let grace = Duration::from_secs(3);
    let state = AppState::with(
        Clock::System,
        u64::try_from(grace.as_millis()).unwrap_or(3000),
    );
    let server = TestServer::start_with(state).await?;
    let driver = Driver::start().await?;

    // The host starts a meeting from the home page.
    let host = driver.page(1280, 800).await?;
    host.goto(&server.url()).await?;
    host.fill("Your name", "Hanne Host").await?;
    host.screenshot("home").await?;
    host.click("Start a meeting").await?;
    host.open_panel("Participants").await?;
    host.until_list("Participants", "the host in the list", |items| {
        items.len() == 1 && has(items, "Hanne Host")
    })
    .await?;
    let host_items = host.list_items("Participants").await?;
    assert!(
        host_items[0].contains("Host"),
        "host is marked: {host_items:?}"
    );
    // The host link's secret is kept by the tab but taken out of the address bar (so it does
    // not show in a screen share or the history).
    let url = host.url().await?;
    assert!(!url.contains("host=") && url.contains("/m/"), "{url}");
    let meeting = MeetingId(url.rsplit("/m/").next().unwrap_or_default().to_owned());
    let secret = host
        .session_value(&format!("plenary.host.{meeting}"))
        .await?
        .unwrap_or_default();
    assert!(secret.len() >= 32, "the tab keeps the secret");

    // The invite link is read-only and is the participant link (no secret in it).
    assert!(host.field_is_readonly("Invite link").await?);
    let invite = host.field_value("Invite link").await?;
    assert!(invite.starts_with(&server.url()) && invite.contains("/m/"));
    assert!(
        !invite.contains("host"),
        "invite link must not carry host rights: {invite}"
    );
    host.screenshot("host-meeting").await?;

    // A participant joins from the invite link.
    let guest = driver.page(375, 812).await?;
    guest.goto(&invite).await?;
    guest.fill("Your name", "  Per <i>Participant</i> ").await?;
    guest.screenshot("join").await?;
    guest.click("Join").await?;
    guest.open_panel("Participants").await?;
    guest
        .until_list("Participants", "both in the guest's list", |items| {
            items.len() == 2
        })
        .await?;
    let guest_items = guest.list_items("Participants").await?;
    assert!(has(&guest_items, "Hanne Host") && guest_items[0].contains("Host"));
    // The name is shown as text, trimmed, with no HTML interpreted.
    assert!(
        has(&guest_items, "Per <i>Participant</i>"),
        "{guest_items:?}"
    );
    let italic = guest
        .eval("return document.querySelectorAll('li i').length", vec![])
        .await?;
    assert_eq!(italic, 0);
    // Participants do not get the invite field.
    assert!(
        guest
            .eval(
                "return document.querySelectorAll('input[readonly]').length",
                vec![]
            )
            .await?
            == 0
    );
    host.until_list("Participants", "the guest in the host's list", |items| {
        items.len() == 2 && has(items, "Per <i>Participant</i>")
    })
    .await?;

    // Chat: the guest writes, the host reads it, as text.
    guest.open_panel("Chat").await?;
    host.open_panel("Chat").await?;
    guest.fill("Chat message", "<b>hi</b> & bye").await?;
    guest.click("Send").await?;
    guest
        .until_list(
            "Chat",
            "the guest's own line, back from the server",
            |items| {
                items
                    .iter()
                    .any(|i| i == "Per <i>Participant</i>: <b>hi</b> & bye")
            },
        )
        .await?;
    host.until_list("Chat", "the guest's chat line", |items| {
        items
            .iter()
            .any(|i| i == "Per <i>Participant</i>: <b>hi</b> & bye")
    })
    .await?;
    let bold = host
        .eval(
            "return document.querySelectorAll('.chat-log b').length",
            vec![],
        )
        .await?;
    assert_eq!(bold, 0, "chat is rendered as text");

    // A broadcast from a second holder of the host link (a protocol client, now the host; the
    // page's host becomes a co-host) reaches the guest as an alert once rooms are open.
    let mut co = Client::join(
        server.addr,
        &meeting,
        "Cato",
        Credential::Host {
            secret: HostSecret(secret),
        },
    )
    .await?;
    co.command(Command::CreateRooms {
        count: RoomCount::Rooms { count: 1 },
        strategy: Strategy::Manually,
    })
    .await?;
    co.command(Command::OpenRooms).await?;
    co.command(Command::Broadcast {
        text: "Two <em>minutes</em> left".into(),
        target: BroadcastTarget::All,
    })
    .await?;
    co.sync().await?;
    guest.until_alert("Two <em>minutes</em> left").await?;
    guest.screenshot("participant-meeting").await?;
    host.screenshot("host-meeting-with-chat").await?;
    co.leave().await?;
    host.open_panel("Participants").await?;
    host.until_list("Participants", "the second host gone", |items| {
        items.len() == 2 && items[0].contains("Host")
    })
    .await?;

    // `Leave meeting`: the host sees the guest go within a second.
    guest.click("Leave meeting").await?;
    let took = host
        .until_list("Participants", "the guest to leave", |items| {
            items.len() == 1
        })
        .await?;
    assert!(took < Duration::from_secs(1), "leave took {took:?}");

    // The guest joins again, then closes the browser: same result.
    guest.click("Join again").await?;
    guest.click("Join").await?;
    host.until_list("Participants", "the guest back", |items| items.len() == 2)
        .await?;
    guest.close().await?;
    let closed = std::time::Instant::now();
    host.until_list("Participants", "the closed guest to go", |items| {
        items.len() == 1
    })
    .await?;
    assert!(
        closed.elapsed() >= grace - Duration::from_millis(500),
        "a closed tab keeps its place for the grace period, gone after {:?}",
        closed.elapsed()
    );
    host.close().await?;
    Ok(())
}
