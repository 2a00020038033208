//! The planning API over HTTP: plans by CSV or JSON behind the host secret, typed JSON errors,
//! export, and people who join by email landing in their planned rooms.

use plenary_e2e::client::Client;
use plenary_e2e::support::as_host;
use plenary_e2e::{Result, TestServer, http};
use plenary_server::app::AppState;
use plenary_server::clock::Clock;
use plenary_server::store::Store;
use plenary_shared::api::{ApiErrorBody, CsvImported, PlanSaved};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::plan::{Plan, PlannedRoom};
use plenary_shared::meeting::rooms::{BreakoutOptions, Place};
use plenary_shared::plan_csv::RowProblem;
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};

#[tokio::test]
async fn thirty_people_joining_by_email_land_in_their_planned_rooms() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let (m, secret) = (&created.meeting, created.host_secret.0.as_str());
    let mut csv = String::from("\u{feff}room;name;email\r\n");
    for i in 0..30 {
        csv.push_str(&format!(
            "Gruppe {};Elev {i};elev{i}@skole.no\r\n",
            i % 5 + 1
        ));
    }
    let path = format!("/api/meetings/{m}/plan/csv");
    let (status, body) = as_host(server.addr, "POST", &path, secret, csv.as_bytes()).await?;
    assert_eq!(status, 200, "{body}");
    let imported: CsvImported = serde_json::from_str(&body)?;
    assert!(imported.applied && imported.import.is_clean());

    let mut host = Client::join(
        server.addr,
        m,
        "Lærer",
        Credential::Host {
            secret: created.host_secret.clone(),
        },
    )
    .await?;
    assert_eq!(host.view.rooms.len(), 5);
    let mut pupils = Vec::new();
    for i in 0..30 {
        let mut c = Client::connect(server.addr, m).await?;
        // Names differ from the plan (people type what they like); the email matches.
        c.send(&ClientMsg::Join {
            version: PROTOCOL_VERSION,
            name: format!("Pupil {i}"),
            email: Some(format!("  ELEV{i}@skole.no ")),
            passcode: None,
            credential: Credential::Participant,
        })
        .await?;
        c.next_until("welcome", |msg| matches!(msg, ServerMsg::Welcome { .. }))
            .await?;
        pupils.push(c);
    }
    host.command(Command::SetOptions {
        options: BreakoutOptions {
            move_automatically: true,
            ..BreakoutOptions::default()
        },
    })
    .await?;
    host.command(Command::OpenRooms).await?;
    host.sync().await?;
    for (i, p) in pupils.iter_mut().enumerate() {
        p.sync().await?;
        let me = p.me.expect("joined");
        let place = p.view.participant(me).map(|x| x.place);
        let expected = p
            .view
            .rooms
            .iter()
            .find(|r| r.name == format!("Gruppe {}", i % 5 + 1))
            .map(|r| r.id);
        assert_eq!(
            place,
            expected.map(|room| Place::Room { room }),
            "pupil {i}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn bad_csv_rows_are_listed_and_nothing_is_imported_unless_good_rows_are_accepted()
-> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let (m, secret) = (&created.meeting, created.host_secret.0.as_str());
    let csv = "room,name,email\nA,Ola,\n,Kari,\nB,Per,per@\nB,Liv,\n";
    let path = format!("/api/meetings/{m}/plan/csv");
    let (status, body) = as_host(server.addr, "POST", &path, secret, csv.as_bytes()).await?;
    assert_eq!(status, 422);
    let error: ApiErrorBody = serde_json::from_str(&body)?;
    assert_eq!(error.code, "csv_errors");
    let lines: Vec<(u64, RowProblem)> = error
        .rows
        .iter()
        .map(|r| (r.line, r.problem.clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (3, RowProblem::EmptyRoom),
            (
                4,
                RowProblem::InvalidEmail {
                    email: "per@".into()
                }
            )
        ]
    );
    let plan_path = format!("/api/meetings/{m}/plan");
    let (_, body) = as_host(server.addr, "GET", &plan_path, secret, b"").await?;
    assert_eq!(
        serde_json::from_str::<Plan>(&body)?,
        Plan::default(),
        "nothing imported"
    );

    let accept = format!("{path}?accept_good_rows=true");
    let (status, body) = as_host(server.addr, "POST", &accept, secret, csv.as_bytes()).await?;
    assert_eq!(status, 200, "{body}");
    let (_, body) = as_host(server.addr, "GET", &plan_path, secret, b"").await?;
    let plan: Plan = serde_json::from_str(&body)?;
    assert_eq!(
        plan.rooms
            .iter()
            .map(|r| (r.name.as_str(), r.members.len()))
            .collect::<Vec<_>>(),
        [("A", 1), ("B", 1)]
    );
    Ok(())
}

#[tokio::test]
async fn the_plan_api_needs_the_host_secret_and_answers_in_json() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let path = format!("/api/meetings/{m}/plan");
    let (status, body) = http(server.addr, "GET", &path, &[], b"").await?;
    assert_eq!(
        (
            status,
            serde_json::from_str::<ApiErrorBody>(&body)?.code.as_str()
        ),
        (401, "missing_token")
    );
    let (status, body) = http(
        server.addr,
        "GET",
        &path,
        &[("Authorization", "Bearer forged")],
        b"",
    )
    .await?;
    assert_eq!(
        (
            status,
            serde_json::from_str::<ApiErrorBody>(&body)?.code.as_str()
        ),
        (403, "not_allowed")
    );
    let (status, body) = http(
        server.addr,
        "GET",
        "/api/meetings/nope/plan",
        &[("Authorization", "Bearer x")],
        b"",
    )
    .await?;
    assert_eq!(
        (
            status,
            serde_json::from_str::<ApiErrorBody>(&body)?.code.as_str()
        ),
        (404, "unknown_meeting")
    );
    let secret = created.host_secret.0.as_str();
    let (status, body) = as_host(server.addr, "PUT", &path, secret, b"{not json").await?;
    assert_eq!(
        (
            status,
            serde_json::from_str::<ApiErrorBody>(&body)?.code.as_str()
        ),
        (400, "bad_body")
    );
    let twice = br#"{"rooms":[{"name":"A","members":["ola"]},{"name":"B","members":["OLA"]}]}"#;
    let (status, body) = as_host(server.addr, "PUT", &path, secret, twice).await?;
    let error: ApiErrorBody = serde_json::from_str(&body)?;
    assert_eq!((status, error.code.as_str()), (400, "invalid_plan"));
    assert!(error.message.contains("planned twice"), "{}", error.message);
    Ok(())
}

#[tokio::test]
async fn plans_export_as_csv_and_survive_a_restart() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("plenary-planning-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("plenary.sqlite3");
    let store = Store::open(&db)
        .await
        .map_err(|e| plenary_e2e::HarnessError::Other(e.to_string()))?;
    let server =
        TestServer::start_with(AppState::with_store(Clock::System, 60_000, Some(store))).await?;
    let created = server.create_meeting().await?;
    let (m, secret) = (&created.meeting, created.host_secret.0.as_str());
    let plan = Plan {
        rooms: vec![
            PlannedRoom {
                name: "Fjord, north".into(),
                topic: "Chapter 3".into(),
                members: vec!["Åse Øvrebø".into(), "kari@skole.no".into()],
            },
            PlannedRoom {
                name: "Fjell".into(),
                topic: String::new(),
                members: vec!["Per".into()],
            },
        ],
    };
    let path = format!("/api/meetings/{m}/plan");
    let (status, body) = as_host(
        server.addr,
        "PUT",
        &path,
        secret,
        serde_json::to_string(&plan)?.as_bytes(),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<PlanSaved>(&body)?,
        PlanSaved {
            rooms: 2,
            people: 3
        }
    );
    let (status, csv) = as_host(server.addr, "GET", &format!("{path}/csv"), secret, b"").await?;
    assert_eq!(status, 200);
    assert_eq!(
        csv,
        "room,name,email\n\"Fjord, north\",Åse Øvrebø,\n\"Fjord, north\",,kari@skole.no\nFjell,Per,\n"
    );
    server.shut_down().await;

    // A new server on the same database has the plan.
    let store = Store::open(&db)
        .await
        .map_err(|e| plenary_e2e::HarnessError::Other(e.to_string()))?;
    let state = AppState::with_store(Clock::System, 60_000, Some(store));
    state
        .registry
        .restore()
        .await
        .map_err(|e| plenary_e2e::HarnessError::Other(e.to_string()))?;
    let again = TestServer::start_with(state).await?;
    let (status, body) = as_host(again.addr, "GET", &path, secret, b"").await?;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Plan>(&body)?, plan);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
