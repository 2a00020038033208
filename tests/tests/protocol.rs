//! Protocol-level end-to-end tests: the real server on 127.0.0.1, simulated WebSocket clients.

use plenary_e2e::client::Client;
use plenary_e2e::{Result, TestServer, http_request};
use plenary_shared::ids::HostSecret;
use plenary_shared::meeting::command::{Command, CommandError, Required};
use plenary_shared::meeting::{Credential, Role};
use plenary_shared::protocol::{
    ClientMsg, MAX_FRAME_BYTES, PROTOCOL_VERSION, ProtocolError, ServerMsg,
};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn two_clients_see_each_other_join_and_leave() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let host_cred = Credential::Host {
        secret: created.host_secret.clone(),
    };
    let mut host = Client::join(server.addr, &created.meeting, "Hanne", host_cred).await?;
    assert_eq!(host.names(), vec!["Hanne"]);
    let host_id = host.me.expect("welcomed");
    assert_eq!(
        host.view.participant(host_id).map(|p| p.role),
        Some(Role::Host)
    );

    let per = Client::join(
        server.addr,
        &created.meeting,
        "  Per  ",
        Credential::Participant,
    )
    .await?;
    assert_eq!(per.names(), vec!["Hanne", "Per"]);
    let per_id = per.me.expect("welcomed");
    assert_eq!(
        per.view.participant(per_id).map(|p| p.role),
        Some(Role::Participant)
    );

    host.until_view("Per to appear", |v| v.participants.len() == 2)
        .await?;
    assert_eq!(host.view, per.view, "both clients hold the same picture");

    per.leave().await?;
    host.until_view("Per to leave", |v| v.participants.len() == 1)
        .await?;
    assert_eq!(host.names(), vec!["Hanne"]);
    Ok(())
}

#[tokio::test]
async fn explicit_leave_removes_the_participant_for_others() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let mut host = Client::join(
        server.addr,
        &created.meeting,
        "H",
        Credential::Host {
            secret: created.host_secret.clone(),
        },
    )
    .await?;
    let mut p = Client::join(server.addr, &created.meeting, "P", Credential::Participant).await?;
    host.until_view("P", |v| v.participants.len() == 2).await?;
    p.command(Command::Leave).await?;
    host.until_view("P gone", |v| v.participants.len() == 1)
        .await?;
    // The server closes the leaver's socket.
    while p.next().await?.is_some() {}
    Ok(())
}

#[tokio::test]
async fn the_participant_link_never_gives_host_rights() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let mut p = Client::connect(server.addr, &created.meeting).await?;
    p.send(&ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: "Mallory".into(),
        email: None,
        passcode: None,
        credential: Credential::Host {
            secret: HostSecret("guessed".into()),
        },
    })
    .await?;
    assert_eq!(
        p.next_error().await?,
        ProtocolError::Rejected {
            error: CommandError::NotAllowed {
                required: Required::Host
            }
        }
    );
    // The same connection can still join as a participant, and cannot appoint itself.
    let mut p = Client::join(
        server.addr,
        &created.meeting,
        "Mallory",
        Credential::Participant,
    )
    .await?;
    let me = p.me.expect("welcomed");
    p.command(Command::MakeCoHost { participant: me }).await?;
    assert!(matches!(
        p.next_error().await?,
        ProtocolError::Rejected {
            error: CommandError::NotAllowed { .. }
        }
    ));
    assert_eq!(
        p.view.participant(me).map(|x| x.role),
        Some(Role::Participant)
    );
    Ok(())
}

#[tokio::test]
async fn bad_frames_get_typed_errors_and_the_connection_keeps_working() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let mut watcher = Client::join(
        server.addr,
        &created.meeting,
        "Watcher",
        Credential::Participant,
    )
    .await?;
    let mut c = Client::connect(server.addr, &created.meeting).await?;

    c.send_text("{not json".into()).await?;
    assert!(matches!(
        c.next_error().await?,
        ProtocolError::Malformed { .. }
    ));

    c.send_text(r#"{"teleport":{}}"#.into()).await?;
    assert!(matches!(
        c.next_error().await?,
        ProtocolError::Malformed { .. }
    ));

    c.send_text(format!(r#"{{"pad":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES)))
        .await?;
    assert!(matches!(
        c.next_error().await?,
        ProtocolError::FrameTooLarge {
            limit: MAX_FRAME_BYTES,
            ..
        }
    ));

    c.send_raw(Message::Binary(vec![1, 2, 3].into())).await?;
    assert_eq!(c.next_error().await?, ProtocolError::BinaryFrame);

    c.command(Command::Leave).await?;
    assert_eq!(c.next_error().await?, ProtocolError::NotJoined);

    c.send(&ClientMsg::Join {
        version: 99,
        name: "X".into(),
        email: None,
        passcode: None,
        credential: Credential::Participant,
    })
    .await?;
    assert!(matches!(
        c.next_error().await?,
        ProtocolError::UnsupportedVersion { requested: 99, .. }
    ));

    c.send(&ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: "   ".into(),
        email: None,
        passcode: None,
        credential: Credential::Participant,
    })
    .await?;
    assert!(matches!(
        c.next_error().await?,
        ProtocolError::Rejected {
            error: CommandError::InvalidName { .. }
        }
    ));

    // After all that, the same connection joins normally and the meeting is intact.
    c.send(&ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: "<b>Eve</b>".into(),
        email: None,
        passcode: None,
        credential: Credential::Participant,
    })
    .await?;
    c.next_until("welcome", |m| matches!(m, ServerMsg::Welcome { .. }))
        .await?;
    assert_eq!(c.names(), vec!["Watcher", "<b>Eve</b>"]);
    c.send(&ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: "Again".into(),
        email: None,
        passcode: None,
        credential: Credential::Participant,
    })
    .await?;
    assert_eq!(c.next_error().await?, ProtocolError::AlreadyJoined);
    watcher
        .until_view("Eve to join", |v| v.participants.len() == 2)
        .await?;
    Ok(())
}

#[tokio::test]
async fn unknown_meetings_are_refused_with_a_typed_error() -> Result<()> {
    let server = TestServer::start().await?;
    let mut c = Client::connect(
        server.addr,
        &plenary_shared::ids::MeetingId("no-such-room".into()),
    )
    .await?;
    assert_eq!(c.next_error().await?, ProtocolError::UnknownMeeting);
    Ok(())
}

#[tokio::test]
async fn rest_api_creates_meetings_with_long_secrets_and_reports_health() -> Result<()> {
    let server = TestServer::start().await?;
    let a = server.create_meeting().await?;
    let b = server.create_meeting().await?;
    assert_ne!(a.meeting, b.meeting);
    assert!(a.host_secret.0.len() * 6 >= 128, "at least 128 bits");
    assert_eq!(
        http_request(server.addr, "GET", "/healthz").await?,
        (200, "ok".into())
    );
    let (status, _) = http_request(server.addr, "GET", "/api/meetings").await?;
    assert_eq!(status, 405);
    Ok(())
}

#[tokio::test]
async fn credentials_of_one_meeting_mean_nothing_in_another() -> Result<()> {
    let server = TestServer::start().await?;
    let a = server.create_meeting().await?;
    let b = server.create_meeting().await?;
    let in_a = Client::join(
        server.addr,
        &a.meeting,
        "Ada",
        Credential::Host {
            secret: a.host_secret.clone(),
        },
    )
    .await?;
    let token = in_a.token.clone().expect("token");
    // A's resume token does not open B.
    let mut c = Client::connect(server.addr, &b.meeting).await?;
    c.send(&ClientMsg::Resume {
        version: PROTOCOL_VERSION,
        token,
    })
    .await?;
    assert_eq!(c.next_error().await?, ProtocolError::UnknownSession);
    // A's host secret does not make a host in B.
    c.send(&ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: "Ada".into(),
        email: None,
        passcode: None,
        credential: Credential::Host {
            secret: a.host_secret.clone(),
        },
    })
    .await?;
    assert!(matches!(
        c.next_error().await?,
        ProtocolError::Rejected {
            error: CommandError::NotAllowed { .. }
        }
    ));
    Ok(())
}
