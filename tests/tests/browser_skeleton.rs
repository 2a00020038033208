//! The walking skeleton in real headless Chromium: a host starts a meeting, a participant joins
//! from the invite link, both see each other in `Participants`, and leaving shows up for the other
//! within a second — by `Leave meeting` and by closing the browser.

use plenary_e2e::browser::{Driver, require_dist};
use plenary_e2e::client::Client;
use plenary_e2e::{Result, TestServer};
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
    let server = TestServer::start().await?;
    let driver = Driver::start().await?;

    // The host starts a meeting from the home page.
    let host = driver.page(1280, 800).await?;
    host.goto(&server.url()).await?;
    host.fill("Your name", "Hanne Host").await?;
    host.screenshot("home").await?;
    host.click("Start a meeting").await?;
    host.until_list("Participants", "the host in the list", |items| {
        items.len() == 1 && has(items, "Hanne Host")
    })
    .await?;
    let host_items = host.list_items("Participants").await?;
    assert!(
        host_items[0].contains("Host"),
        "host is marked: {host_items:?}"
    );
    assert!(
        host.url().await?.contains("#host="),
        "host link carries the secret"
    );

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
    guest.fill("Chat message", "<b>hi</b> & bye").await?;
    guest.click("Send").await?;
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

    // A broadcast from a co-host (a protocol client holding the host link) reaches the guest as
    // an alert once rooms are open.
    let host_url = host.url().await?;
    let secret = host_url
        .split("#host=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let meeting = MeetingId(invite.rsplit("/m/").next().unwrap_or_default().to_owned());
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
    co.close().await?;
    host.until_list("Participants", "the co-host gone", |items| items.len() == 2)
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
    let took = host
        .until_list("Participants", "the closed guest to go", |items| {
            items.len() == 1
        })
        .await?;
    assert!(took < Duration::from_secs(1), "tab close took {took:?}");
    host.close().await?;
    Ok(())
}
