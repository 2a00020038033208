//! Abuse and limits over the wire: floods, clients that stop reading, grace periods running
//! out, and the metrics that count it all. Other clients must be unaffected throughout.

use plenary_e2e::client::Client;
use plenary_e2e::support::{host, manual_server, rejected, wait_for_metric};
use plenary_e2e::{HarnessError, Result, TestServer, http_request};
use plenary_shared::ids::MeetingId;
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::event::Event;
use plenary_shared::protocol::{ProtocolError, ServerMsg};
use std::time::Instant;

#[tokio::test]
async fn floods_are_limited_while_others_carry_on() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Host", host(&created)).await?;
    let mut flood = Client::join(server.addr, m, "Flood", Credential::Participant).await?;
    for i in 0..300 {
        flood
            .command(Command::SendChat {
                text: format!("spam {i}"),
            })
            .await?;
    }
    // Every frame is answered: its chat line comes back, or it is refused as too fast.
    let (mut accepted, mut limited) = (0, 0);
    while accepted + limited < 300 {
        match flood.next().await? {
            Some(ServerMsg::Event {
                event: Event::ChatMessage { .. },
            }) => accepted += 1,
            Some(ServerMsg::Error {
                error: ProtocolError::RateLimited,
                ..
            }) => limited += 1,
            Some(other) => return Err(HarnessError::Other(format!("unexpected {other:?}"))),
            None => return Err(HarnessError::Other("flooder disconnected".into())),
        }
    }
    assert!(limited >= 150, "only {limited} refused");
    // The burst (less the join's own token) plus what refilled while the frames arrived.
    assert!((99..150).contains(&accepted), "{accepted} got through");
    // The host is unaffected: a command goes through and comes back at once.
    let t = Instant::now();
    h.command(Command::SendChat {
        text: "still here".into(),
    })
    .await?;
    h.next_until("own chat", |m| matches!(m, ServerMsg::Event { event: Event::ChatMessage { message, .. } } if message.text == "still here")).await?;
    assert!(
        t.elapsed() < std::time::Duration::from_secs(1),
        "host slowed down: {:?}",
        t.elapsed()
    );
    h.sync().await?;
    let spam = h
        .log
        .iter()
        .filter(
            |e| matches!(e, Event::ChatMessage { message, .. } if message.text.starts_with("spam")),
        )
        .count();
    assert_eq!(spam, accepted, "the host saw exactly the accepted lines");
    // The flooder's connection still works once it slows down: within a second the bucket has
    // tokens again and a snapshot request is answered.
    let t = Instant::now();
    loop {
        flood
            .send(&plenary_shared::protocol::ClientMsg::Snapshot)
            .await?;
        let answer = flood
            .next_until("snapshot or refusal", |m| {
                matches!(m, ServerMsg::Snapshot { .. } | ServerMsg::Error { .. })
            })
            .await?;
        match answer {
            ServerMsg::Snapshot { .. } => break,
            _ if t.elapsed() < std::time::Duration::from_secs(3) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            other => return Err(HarnessError::Other(format!("still limited: {other:?}"))),
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_dropped_participant_keeps_their_place_for_the_grace_period_only() -> Result<()> {
    let (server, clock) = manual_server(60_000).await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Host", host(&created)).await?;
    let p = Client::join(server.addr, m, "Pupil", Credential::Participant).await?;
    let token = p.token.clone().expect("token");
    h.until_view("pupil", |v| v.participants.len() == 2).await?;
    p.drop_abruptly();
    // The grace period starts when the server notices the drop.
    wait_for_metric(&server, "plenary_connections 1").await?;
    clock.advance_ms(59_000);
    h.sync().await?;
    assert_eq!(
        h.view.participants.len(),
        2,
        "still there within the grace period"
    );
    clock.advance_ms(1_000);
    h.until_view("pupil removed", |v| v.participants.len() == 1)
        .await?;
    let mut late = Client::connect(server.addr, m).await?;
    late.send(&plenary_shared::protocol::ClientMsg::Resume {
        version: plenary_shared::protocol::PROTOCOL_VERSION,
        token,
    })
    .await?;
    assert_eq!(late.next_error().await?, ProtocolError::UnknownSession);
    Ok(())
}

#[tokio::test]
async fn metrics_count_meetings_people_and_refusals() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m: &MeetingId = &created.meeting;
    let mut h = Client::join(server.addr, m, "Host", host(&created)).await?;
    let mut p = Client::join(server.addr, m, "P", Credential::Participant).await?;
    let _ = rejected(&mut p, Command::MuteAll).await?;
    h.sync().await?;
    let (status, body) = http_request(server.addr, "GET", "/metrics").await?;
    assert_eq!(status, 200);
    for line in [
        "plenary_meetings 1",
        "plenary_participants 2",
        "plenary_rejected_commands_total 1",
        "plenary_connections 2",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "missing {line:?} in\n{body}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_without_slowing_the_meeting() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Host", host(&created)).await?;
    let mut sluggard = Client::connect_small_buffer(server.addr, m).await?;
    sluggard
        .join_on("Sluggard", Credential::Participant)
        .await?;
    let mut talkers = Vec::new();
    for i in 0..20 {
        talkers.push(
            Client::join(
                server.addr,
                m,
                &format!("Talker {i}"),
                Credential::Participant,
            )
            .await?,
        );
    }
    // 20 × 90 lines of about 1,000 characters (1.8 MB): far more than one client's queue and socket can hold.
    let line = "x".repeat(990);
    for round in 0..90 {
        for t in talkers.iter_mut() {
            t.command(Command::SendChat {
                text: format!("{round} {line}"),
            })
            .await?;
        }
        // Everyone else keeps up with what they are sent; only the sluggard never reads.
        let prefix = format!("{round} ");
        for t in talkers.iter_mut().chain(std::iter::once(&mut h)) {
            let mut seen = 0;
            while seen < 20 {
                t.next_until("a chat line", |m| matches!(m, ServerMsg::Event { event: Event::ChatMessage { message, .. } } if message.text.starts_with(&prefix))).await?;
                seen += 1;
            }
        }
    }
    wait_for_metric(&server, "plenary_slow_clients_dropped_total 1").await?;
    // Everyone else carries on at once.
    let t = Instant::now();
    h.command(Command::SendChat {
        text: "still fine".into(),
    })
    .await?;
    h.sync().await?;
    assert!(
        t.elapsed() < std::time::Duration::from_secs(2),
        "host waited {:?}",
        t.elapsed()
    );
    for t in talkers.iter_mut() {
        t.sync().await?;
    }
    drop(sluggard);
    Ok(())
}
