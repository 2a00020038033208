//! Trust and lifecycle over the wire: the host stays host across drops and returns, a clean
//! close is a drop (only `Leave` leaves), `End meeting for all` and `Remove`, unjoined sockets
//! and connection caps, frames the server cannot read (1007, 1009) leave no ghost, and the
//! passcode is throttled per connection.

use plenary_e2e::client::Client;
use plenary_e2e::support::{START, host, join_co_host};
use plenary_e2e::{HarnessError, Result, TestServer};
use plenary_server::app::{AppState, Options};
use plenary_server::clock::{Clock, ManualClock};
use plenary_server::limits::Limits;
use plenary_shared::meeting::command::{Command, CommandError};
use plenary_shared::meeting::event::Event;
use plenary_shared::meeting::info::MeetingInfo;
use plenary_shared::meeting::{Credential, Role};
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION, ProtocolError, ServerMsg};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A server on a manual clock with these limits and a 60 s grace period.
async fn server_with(limits: Limits) -> Result<(TestServer, Arc<ManualClock>)> {
    let clock = ManualClock::new(START);
    let state = AppState::from_options(Options {
        clock: Clock::Manual(clock.clone()),
        grace_ms: 60_000,
        limits,
        ..Options::default()
    });
    Ok((TestServer::start_with(state).await?, clock))
}

fn role(c: &Client, who: Option<plenary_shared::ids::ParticipantId>) -> Option<Role> {
    who.and_then(|id| c.view.participant(id)).map(|p| p.role)
}

#[tokio::test]
async fn the_host_stays_host_across_drops_and_returns() -> Result<()> {
    let (server, clock) = server_with(Limits::default()).await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let h = Client::join(server.addr, m, "Hanne", host(&created)).await?;
    let mut ola = Client::join(server.addr, m, "Ola", Credential::Participant).await?;
    let mut kari = Client::join(server.addr, m, "Kari", Credential::Participant).await?;
    let hanne = h.me;
    // A reload closes the socket cleanly: that is a drop, not a leave.
    h.close().await?;
    ola.sync().await?;
    assert_eq!(role(&ola, hanne), Some(Role::Host), "still listed as host");
    // The grace period runs out: nobody inherits host powers by order of arrival.
    clock.advance_ms(61_000);
    ola.until_view("the host gone", |v| v.participants.len() == 2)
        .await?;
    assert_eq!(role(&ola, ola.me), Some(Role::Participant));
    assert_eq!(role(&ola, kari.me), Some(Role::Participant));
    assert!(matches!(
        {
            ola.command(Command::RemoveParticipant {
                participant: kari.me.expect("kari"),
            })
            .await?;
            ola.next_error().await?
        },
        ProtocolError::Rejected {
            error: CommandError::NotAllowed { .. }
        }
    ));
    // The meeting runs on unattended; the host link brings the host back as host.
    let mut h = Client::join(server.addr, m, "Hanne", host(&created)).await?;
    assert_eq!(role(&h, h.me), Some(Role::Host));
    kari.until_view("the host back", |v| v.participants.len() == 3)
        .await?;

    // With a co-host: the co-host stands in while the host is away, and steps back.
    let cato = join_co_host(&mut h, server.addr, m, "Cato").await?;
    let cato_id = cato.me.ok_or_else(|| HarnessError::Other("cato".into()))?;
    h.command(Command::Leave).await?;
    let _ = h.closed_with().await?;
    kari.until_view("Cato standing in", |v| {
        v.participant(cato_id).is_some_and(|p| p.role == Role::Host)
    })
    .await?;
    let h = Client::join(server.addr, m, "Hanne", host(&created)).await?;
    let hanne = h.me.ok_or_else(|| HarnessError::Other("hanne".into()))?;
    kari.until_view("the host back, Cato a co-host again", |v| {
        v.participant(cato_id)
            .is_some_and(|p| p.role == Role::CoHost)
            && v.participant(hanne).is_some_and(|p| p.role == Role::Host)
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_dropped_session_resumes_as_the_same_person_and_a_second_tab_takes_over() -> Result<()> {
    let (server, _clock) = server_with(Limits::default()).await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Hanne", host(&created)).await?;
    let ola = Client::join(server.addr, m, "Ola", Credential::Participant).await?;
    let (id, token) = (ola.me, ola.token.clone().expect("token"));
    ola.close().await?;
    let mut back = Client::resume(server.addr, m, token.clone()).await?;
    assert_eq!(back.me, id);
    h.sync().await?;
    assert_eq!(h.names(), vec!["Hanne", "Ola"], "one entry, not two");
    // The same session opened again elsewhere: the old connection is told it was taken over
    // (4001), so a page does not fight for it.
    let _again = Client::resume(server.addr, m, token).await?;
    assert_eq!(back.closed_with().await?, Some(4001));
    Ok(())
}

#[tokio::test]
async fn removed_people_are_told_and_cannot_resume_and_an_ended_meeting_refuses_everyone()
-> Result<()> {
    let (server, _clock) = server_with(Limits::default()).await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Hanne", host(&created)).await?;
    let mut ola = Client::join(server.addr, m, "Ola", Credential::Participant).await?;
    let mut kari = Client::join(server.addr, m, "Kari", Credential::Participant).await?;
    h.until_view("everyone", |v| v.participants.len() == 3)
        .await?;
    let token = ola.token.clone().expect("token");
    h.command(Command::RemoveParticipant {
        participant: ola.me.expect("ola"),
    })
    .await?;
    assert_eq!(ola.closed_with().await?, Some(1000));
    assert!(ola.log.iter().any(|e| matches!(e,
        Event::ParticipantRemoved { participant, by } if Some(*participant) == ola.me && Some(*by) == h.me)));
    kari.until_view("Ola gone", |v| v.participants.len() == 2)
        .await?;
    let mut again = Client::connect(server.addr, m).await?;
    again
        .send(&ClientMsg::Resume {
            version: PROTOCOL_VERSION,
            token,
        })
        .await?;
    assert_eq!(again.next_error().await?, ProtocolError::UnknownSession);

    // End meeting for all: everyone is told, then closed; nobody gets in any more.
    let kari_token = kari.token.clone().expect("token");
    h.command(Command::EndMeeting).await?;
    for c in [&mut h, &mut kari] {
        assert_eq!(c.closed_with().await?, Some(1000));
        assert!(
            c.log
                .iter()
                .any(|e| matches!(e, Event::MeetingEnded { .. }))
        );
    }
    let mut late = Client::connect(server.addr, m).await?;
    late.send(&ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: "Late".into(),
        email: None,
        credential: Credential::Participant,
        passcode: None,
    })
    .await?;
    let ended = ProtocolError::Rejected {
        error: CommandError::MeetingEnded,
    };
    assert_eq!(late.next_error().await?, ended);
    let mut back = Client::connect(server.addr, m).await?;
    back.send(&ClientMsg::Resume {
        version: PROTOCOL_VERSION,
        token: kari_token,
    })
    .await?;
    assert_eq!(back.next_error().await?, ended);
    let (status, body) =
        plenary_e2e::http(server.addr, "GET", &format!("/api/meetings/{m}"), &[], b"").await?;
    assert_eq!(status, 200);
    assert!(body.contains("\"ended\":true"), "{body}");
    Ok(())
}

#[tokio::test]
async fn a_thousand_sockets_that_never_join_are_closed() -> Result<()> {
    let (server, _clock) = server_with(Limits {
        join_timeout: Duration::from_millis(500),
        max_connections_per_address: 2000,
        ..Limits::default()
    })
    .await?;
    let created = server.create_meeting().await?;
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(Client::connect(server.addr, &created.meeting).await?);
    }
    let mut closed = 0;
    for c in &mut idle {
        let error = c.next_error().await?;
        assert_eq!(error, ProtocolError::JoinTimeout { seconds: 1 });
        if c.closed_with().await? == Some(1008) {
            closed += 1;
        }
    }
    assert_eq!(closed, 1000);
    // A client that joins in time is not affected.
    let h = Client::join(server.addr, &created.meeting, "Hanne", host(&created)).await?;
    assert!(h.me.is_some());
    Ok(())
}

#[tokio::test]
async fn connections_beyond_the_caps_are_refused_with_a_reason() -> Result<()> {
    let (server, _clock) = server_with(Limits {
        max_connections_per_address: 3,
        ..Limits::default()
    })
    .await?;
    let created = server.create_meeting().await?;
    let mut open = Vec::new();
    for i in 0..3 {
        open.push(
            Client::join(
                server.addr,
                &created.meeting,
                &format!("P{i}"),
                host(&created),
            )
            .await?,
        );
    }
    let mut fourth = Client::connect(server.addr, &created.meeting).await?;
    assert_eq!(
        fourth.next_error().await?,
        ProtocolError::TooManyConnections {
            from_your_address: true
        }
    );
    assert_eq!(fourth.closed_with().await?, Some(1013));
    // One leaves: there is room again.
    let gone = open
        .pop()
        .ok_or_else(|| HarnessError::Other("none".into()))?;
    gone.leave().await?;
    let mut retry = None;
    for _ in 0..50 {
        let c = Client::connect(server.addr, &created.meeting).await?;
        let mut c = c;
        c.send(&ClientMsg::Snapshot).await?;
        match c.next_error().await? {
            ProtocolError::NotJoined => {
                retry = Some(c);
                break;
            }
            ProtocolError::TooManyConnections { .. } => {
                // The closing socket has not released its place yet.
                tokio::task::yield_now().await;
            }
            other => return Err(HarnessError::Other(format!("unexpected {other:?}"))),
        }
    }
    assert!(retry.is_some(), "a freed place can be used again");
    Ok(())
}

#[tokio::test]
async fn unreadable_frames_close_with_the_right_code_and_leave_no_ghost() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Hanne", host(&created)).await?;
    let mut bad = Client::join(server.addr, m, "Bad", Credential::Participant).await?;
    h.until_view("Bad", |v| v.participants.len() == 2).await?;
    // A text frame that is not UTF-8.
    bad.send_raw(not_utf8_text()).await?;
    assert_eq!(bad.closed_with().await?, Some(1007));
    h.until_view("no ghost of Bad", |v| v.participants.len() == 1)
        .await?;
    // A frame over the hard limit.
    let mut big = Client::join(server.addr, m, "Big", Credential::Participant).await?;
    h.until_view("Big", |v| v.participants.len() == 2).await?;
    big.send_raw(Message::Text(
        "x".repeat(plenary_server::ws::HARD_MESSAGE_LIMIT + 1)
            .into(),
    ))
    .await?;
    assert_eq!(big.closed_with().await?, Some(1009));
    h.until_view("no ghost of Big", |v| v.participants.len() == 1)
        .await?;
    Ok(())
}

/// A text frame whose bytes are not UTF-8, as a broken client would send it (a raw frame: the
/// client library checks nothing).
fn not_utf8_text() -> Message {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let payload = bytes::Bytes::from_static(&[b'{', 0xff, 0xfe, b'}']);
    Message::Frame(Frame::message(payload, OpCode::Data(Data::Text), true))
}

#[tokio::test]
async fn wrong_passcodes_on_one_connection_are_slowed_down() -> Result<()> {
    let (server, clock) = server_with(Limits::default()).await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let settings = format!("/api/meetings/{m}/settings");
    let info = MeetingInfo {
        passcode: Some("918273".into()),
        ..MeetingInfo::default()
    };
    let (status, body) = plenary_e2e::support::as_host(
        server.addr,
        "PUT",
        &settings,
        &created.host_secret.0,
        serde_json::to_string(&info)?.as_bytes(),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let mut guesser = Client::connect(server.addr, m).await?;
    let guess = |code: &str| ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: "Guesser".into(),
        email: None,
        credential: Credential::Participant,
        passcode: Some(code.into()),
    };
    for i in 0..3 {
        guesser.send(&guess(&format!("00000{i}"))).await?;
        assert_eq!(
            guesser.next_error().await?,
            ProtocolError::Rejected {
                error: CommandError::WrongPasscode
            }
        );
    }
    // The fourth mistake makes the next try wait; even the right code is not read meanwhile.
    guesser.send(&guess("000003")).await?;
    let _ = guesser.next_error().await?;
    guesser.send(&guess("918273")).await?;
    assert!(matches!(
        guesser.next_error().await?,
        ProtocolError::Rejected {
            error: CommandError::TooManyPasscodeTries { .. }
        }
    ));
    clock.advance_ms(2_000);
    guesser.send(&guess("918273")).await?;
    guesser
        .next_until("welcome", |msg| matches!(msg, ServerMsg::Welcome { .. }))
        .await?;
    let (_, metrics) = plenary_e2e::http(server.addr, "GET", "/metrics", &[], b"").await?;
    assert!(
        metrics.contains("plenary_passcode_failures_total 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("plenary_passcode_throttled_total 1"),
        "{metrics}"
    );
    Ok(())
}
