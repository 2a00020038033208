//! Meetings planned ahead over HTTP: created with a title, start time, passcode, designated
//! co-hosts and a plan in one request; the passcode enforced on join; saved group sets; and all
//! of it still there after a restart on the same database.

use plenary_e2e::client::Client;
use plenary_e2e::support::as_host;
use plenary_e2e::{HarnessError, Result, TestServer, http};
use plenary_server::app::AppState;
use plenary_server::clock::Clock;
use plenary_server::store::Store;
use plenary_shared::api::{ApiErrorBody, CreatedMeeting, NewMeeting};
use plenary_shared::ids::MeetingId;
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::CommandError;
use plenary_shared::meeting::groups::GroupSetView;
use plenary_shared::meeting::info::{MeetingInfo, PublicInfo};
use plenary_shared::meeting::plan::{Plan, PlannedRoom};
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION, ProtocolError, ServerMsg};
use plenary_shared::time::Timestamp;
use std::path::Path;

async fn server_on(db: &Path) -> Result<TestServer> {
    let store = Store::open(db)
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    let state = AppState::with_store(Clock::System, 60_000, Some(store));
    state
        .registry
        .restore()
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    TestServer::start_with(state).await
}

/// Joins as a participant with this passcode; the server's answer.
async fn join_with(
    server: &TestServer,
    m: &MeetingId,
    name: &str,
    passcode: Option<&str>,
) -> Result<ServerMsg> {
    let mut c = Client::connect(server.addr, m).await?;
    c.send(&ClientMsg::Join {
        version: PROTOCOL_VERSION,
        name: name.into(),
        email: None,
        credential: Credential::Participant,
        passcode: passcode.map(str::to_owned),
    })
    .await?;
    c.next_until("answer", |msg| {
        matches!(msg, ServerMsg::Welcome { .. } | ServerMsg::Error { .. })
    })
    .await
}

fn refusal(msg: &ServerMsg) -> Option<CommandError> {
    match msg {
        ServerMsg::Error {
            error: ProtocolError::Rejected { error },
            ..
        } => Some(error.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn a_meeting_planned_ahead_keeps_settings_passcode_and_groups_across_a_restart() -> Result<()>
{
    let dir = std::env::temp_dir().join(format!("plenary-settings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("plenary.sqlite3");
    let server = server_on(&db).await?;
    let info = MeetingInfo {
        title: "Naturfag 9B".into(),
        starts_at: Some(Timestamp(1_800_000_000_000)),
        passcode: Some("424242".into()),
        co_hosts: vec!["kari@skole.no".into()],
    };
    let plan = Plan {
        rooms: vec![
            PlannedRoom {
                name: "Fjord".into(),
                topic: "Tides".into(),
                members: vec!["Åse".into()],
            },
            PlannedRoom {
                name: "Fjell".into(),
                topic: String::new(),
                members: vec!["Per".into()],
            },
        ],
    };
    let new = NewMeeting {
        info: info.clone(),
        plan: Some(plan.clone()),
    };
    let (status, body) = http(
        server.addr,
        "POST",
        "/api/meetings",
        &[("Content-Type", "application/json")],
        serde_json::to_string(&new)?.as_bytes(),
    )
    .await?;
    assert_eq!(status, 201, "{body}");
    let created: CreatedMeeting = serde_json::from_str(&body)?;
    let (m, secret) = (&created.meeting, created.host_secret.0.as_str());

    // Anyone may read the public part; it never carries the passcode.
    let (status, body) = http(server.addr, "GET", &format!("/api/meetings/{m}"), &[], b"").await?;
    assert_eq!(status, 200);
    assert!(!body.contains("424242"), "{body}");
    assert_eq!(
        serde_json::from_str::<PublicInfo>(&body)?,
        PublicInfo {
            title: "Naturfag 9B".into(),
            starts_at: info.starts_at,
            passcode_required: true,
            ended: false,
        }
    );
    // The settings need the secret.
    let settings = format!("/api/meetings/{m}/settings");
    let (status, _) = http(server.addr, "GET", &settings, &[], b"").await?;
    assert_eq!(status, 401);
    let (status, body) = as_host(server.addr, "GET", &settings, "wrong", b"").await?;
    assert_eq!(status, 403);
    assert_eq!(
        serde_json::from_str::<ApiErrorBody>(&body)?.code,
        "not_allowed"
    );
    let (status, body) = as_host(server.addr, "GET", &settings, secret, b"").await?;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<MeetingInfo>(&body)?, info);

    // The passcode is enforced on join.
    let answer = join_with(&server, m, "Per", None).await?;
    assert_eq!(refusal(&answer), Some(CommandError::PasscodeRequired));
    let answer = join_with(&server, m, "Per", Some("000000")).await?;
    assert_eq!(refusal(&answer), Some(CommandError::WrongPasscode));
    let ServerMsg::Welcome { meeting, .. } = join_with(&server, m, "Per", Some("424242")).await?
    else {
        return Err(HarnessError::Other("the right passcode was refused".into()));
    };
    assert_eq!(meeting.info.title, "Naturfag 9B");
    assert_eq!(meeting.rooms.len(), 2);
    let per = meeting.participants.iter().find(|p| p.name == "Per");
    assert_eq!(per.and_then(|p| p.assigned), Some(meeting.rooms[1].id));

    // Save the groups under a name.
    let (status, body) = as_host(
        server.addr,
        "PUT",
        &format!("/api/meetings/{m}/groups/Week%201"),
        secret,
        b"",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let sets: Vec<GroupSetView> = serde_json::from_str(&body)?;
    assert_eq!(sets.len(), 1);
    assert_eq!(
        (sets[0].name.as_str(), sets[0].rooms, sets[0].people),
        ("Week 1", 2, 2)
    );
    server.shut_down().await;

    // Everything is still there on a new server over the same file.
    let again = server_on(&db).await?;
    let (status, body) = as_host(again.addr, "GET", &settings, secret, b"").await?;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<MeetingInfo>(&body)?, info);
    let groups = format!("/api/meetings/{m}/groups");
    let (status, body) = as_host(again.addr, "GET", &groups, secret, b"").await?;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Vec<GroupSetView>>(&body)?, sets);
    let (status, body) = as_host(
        again.addr,
        "POST",
        &format!("{groups}/Week%201/load"),
        secret,
        b"",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let (status, body) = as_host(
        again.addr,
        "POST",
        &format!("{groups}/Week%209/load"),
        secret,
        b"",
    )
    .await?;
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<ApiErrorBody>(&body)?.code,
        "unknown_group_set"
    );
    let (status, body) = as_host(
        again.addr,
        "GET",
        &format!("/api/meetings/{m}/plan"),
        secret,
        b"",
    )
    .await?;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Plan>(&body)?.rooms.len(), 2);
    let (status, body) = as_host(
        again.addr,
        "DELETE",
        &format!("{groups}/Week%201"),
        secret,
        b"",
    )
    .await?;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<Vec<GroupSetView>>(&body)?.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test]
async fn bad_settings_or_bodies_create_nothing_and_say_why() -> Result<()> {
    let server = TestServer::start().await?;
    let bad = NewMeeting {
        info: MeetingInfo {
            passcode: Some("12".into()),
            ..MeetingInfo::default()
        },
        plan: None,
    };
    let (status, body) = http(
        server.addr,
        "POST",
        "/api/meetings",
        &[("Content-Type", "application/json")],
        serde_json::to_string(&bad)?.as_bytes(),
    )
    .await?;
    assert_eq!(status, 400);
    let error: ApiErrorBody = serde_json::from_str(&body)?;
    assert_eq!(error.code, "invalid_info");
    assert!(error.message.contains("passcode"), "{}", error.message);
    let json = [("Content-Type", "application/json")];
    let (status, body) = http(server.addr, "POST", "/api/meetings", &json, b"{not json").await?;
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<ApiErrorBody>(&body)?.code,
        "bad_body"
    );
    let (status, _) = http(server.addr, "GET", "/api/meetings/nope", &[], b"").await?;
    assert_eq!(status, 404);
    assert_eq!(server_meetings(&server).await?, 0, "nothing was created");
    Ok(())
}

async fn server_meetings(server: &TestServer) -> Result<u64> {
    let (_, metrics) = http(server.addr, "GET", "/metrics", &[], b"").await?;
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("plenary_meetings "))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| HarnessError::Other(format!("no meetings gauge in {metrics}")))
}
