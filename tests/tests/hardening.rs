//! The server against hostile or careless HTTP clients: a creation flood is answered 429 with
//! `Retry-After` while a meeting in progress stays responsive, forms cannot create meetings,
//! every response carries the security headers, the host can delete a meeting, an unused one
//! expires (a scheduled one not before its start), a failing store shows in `/healthz` and loses
//! no chat, and a CSV plan round-trips without giving a spreadsheet formulas to run.

use plenary_e2e::client::Client;
use plenary_e2e::support::{START, as_host, host, wait_for_metric};
use plenary_e2e::{HarnessError, Result, TestServer, header_of, http, http_full};
use plenary_server::app::{AppState, Options};
use plenary_server::clock::{Clock, ManualClock};
use plenary_server::limits::Limits;
use plenary_server::store::Store;
use plenary_shared::api::CreatedMeeting;
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::event::Event;
use plenary_shared::protocol::ServerMsg;
use std::time::{Duration, Instant};

const JSON: [(&str, &str); 1] = [("Content-Type", "application/json")];

async fn create(server: &TestServer) -> Result<(u16, String, String)> {
    http_full(server.addr, "POST", "/api/meetings", &JSON, b"").await
}

/// How long a chat line takes to come back to its sender.
async fn echo(c: &mut Client, text: &str) -> Result<Duration> {
    let sent = Instant::now();
    c.command(Command::SendChat { text: text.into() }).await?;
    c.next_until("own chat line", |m| {
        matches!(m, ServerMsg::Event { event: Event::ChatMessage { message, .. } } if message.text == text)
    })
    .await?;
    Ok(sent.elapsed())
}

#[tokio::test]
async fn a_creation_flood_is_refused_while_a_meeting_in_progress_carries_on() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let mut h = Client::join(server.addr, &created.meeting, "Hanne", host(&created)).await?;
    let before = echo(&mut h, "before").await?;
    let flood = server.addr;
    let flooder = tokio::spawn(async move {
        let mut statuses = Vec::new();
        let mut retry_after = None;
        for _ in 0..300 {
            let (status, head, _) = http_full(flood, "POST", "/api/meetings", &JSON, b"").await?;
            if status == 429 {
                retry_after = retry_after.or_else(|| header_of(&head, "retry-after"));
            }
            statuses.push(status);
        }
        Ok::<_, HarnessError>((statuses, retry_after))
    });
    // A person chatting at a human pace (well within the frame limit) all through the flood.
    let mut during = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(50));
    while !flooder.is_finished() {
        pace.tick().await;
        during.push(echo(&mut h, &format!("during {}", during.len())).await?);
    }
    let (statuses, retry_after) = flooder
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))??;
    let created_count = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    // The burst (60, less the one made above) gets through, then about one a second.
    assert!(
        (59..=70).contains(&created_count),
        "{created_count} created"
    );
    assert_eq!(created_count + refused, 300, "nothing else: {statuses:?}");
    assert!(
        retry_after
            .as_deref()
            .is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s >= 1)),
        "Retry-After: {retry_after:?}"
    );
    during.sort();
    let p50 = during.get(during.len() / 2).copied().unwrap_or_default();
    let max = during.last().copied().unwrap_or_default();
    println!(
        "round trip of a chat line during the creation flood: p50 {p50:?}, max {max:?} over {} lines (before: {before:?})",
        during.len()
    );
    Ok(())
}

#[tokio::test]
async fn forms_cannot_change_anything_and_responses_carry_the_security_headers() -> Result<()> {
    let server = TestServer::start().await?;
    for content_type in [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
    ] {
        let (status, body) = http(
            server.addr,
            "POST",
            "/api/meetings",
            &[("Content-Type", content_type)],
            b"a=b",
        )
        .await?;
        assert_eq!(status, 415, "{content_type}: {body}");
    }
    let (status, _) = http(server.addr, "POST", "/api/meetings", &[], b"").await?;
    assert_eq!(status, 415, "no content type is not JSON either");
    let (status, head, body) = create(&server).await?;
    assert_eq!(status, 201, "{body}");
    for path in ["/", "/m/abc", "/api/meetings/none", "/healthz"] {
        let (_, head, _) = http_full(server.addr, "GET", path, &[], b"").await?;
        let csp = header_of(&head, "content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'self'"), "{path}: {csp}");
        assert_eq!(
            header_of(&head, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            header_of(&head, "referrer-policy").as_deref(),
            Some("no-referrer")
        );
        let permissions = header_of(&head, "permissions-policy").unwrap_or_default();
        assert!(permissions.contains("camera=(self)") && permissions.contains("microphone=(self)"));
    }
    assert!(header_of(&head, "content-security-policy").is_some());
    Ok(())
}

#[tokio::test]
async fn the_host_deletes_a_meeting_and_everyone_in_it_is_told() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut ola = Client::join(server.addr, m, "Ola", Credential::Participant).await?;
    let path = format!("/api/meetings/{m}");
    let (status, _) = http(server.addr, "DELETE", &path, &[], b"").await?;
    assert_eq!(status, 401);
    let (status, _) = as_host(server.addr, "DELETE", &path, "wrong", b"").await?;
    assert_eq!(status, 403);
    let (status, body) = as_host(server.addr, "DELETE", &path, &created.host_secret.0, b"").await?;
    assert_eq!(status, 204, "{body}");
    assert_eq!(ola.closed_with().await?, Some(1000));
    assert!(
        ola.log
            .iter()
            .any(|e| matches!(e, Event::MeetingEnded { .. }))
    );
    let (status, _) = http(server.addr, "GET", &path, &[], b"").await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test]
async fn unused_meetings_expire_but_not_before_their_scheduled_start() -> Result<()> {
    const DAY: u64 = 24 * 60 * 60 * 1000;
    let dir = std::env::temp_dir().join(format!("plenary-expiry-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("plenary.sqlite3");
    let store = Store::open(&db)
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    let clock = ManualClock::new(START);
    let server = TestServer::start_with(AppState::from_options(Options {
        clock: Clock::Manual(clock.clone()),
        store: Some(store.clone()),
        limits: Limits {
            idle_ms: DAY,
            ..Limits::default()
        },
        ..Options::default()
    }))
    .await?;
    let plain = server.create_meeting().await?;
    let scheduled = serde_json::json!({"info": {"starts_at": START.0 + 10 * DAY}});
    let (status, body) = http(
        server.addr,
        "POST",
        "/api/meetings",
        &JSON,
        scheduled.to_string().as_bytes(),
    )
    .await?;
    assert_eq!(status, 201, "{body}");
    let scheduled: CreatedMeeting = serde_json::from_str(&body)?;
    let exists = |m: &plenary_shared::ids::MeetingId| {
        let path = format!("/api/meetings/{m}");
        async move { Ok::<_, HarnessError>(http(server.addr, "GET", &path, &[], b"").await?.0 == 200) }
    };
    // A meeting in use does not expire, however long.
    let mut h = Client::join(server.addr, &plain.meeting, "Hanne", host(&plain)).await?;
    clock.advance_ms(3 * DAY);
    h.sync().await?;
    assert!(exists(&plain.meeting).await?);
    h.leave().await?;
    wait_for_metric(&server, "plenary_participants 0").await?;
    // Unused for a day: gone, from the store too. The scheduled one waits for its start.
    clock.advance_ms(DAY + 1);
    until(
        || async { Ok(!exists(&plain.meeting).await?) },
        "the idle meeting to go",
    )
    .await?;
    assert!(exists(&scheduled.meeting).await?);
    clock.advance_ms(8 * DAY);
    until(
        || async { Ok(!exists(&scheduled.meeting).await?) },
        "the scheduled meeting to go",
    )
    .await?;
    let left = store
        .load_all()
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    assert!(left.is_empty(), "{} meetings left in the store", left.len());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Waits until `check` holds (each check is one HTTP round trip).
async fn until<F, Fut>(check: F, what: &str) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let started = Instant::now();
    while !check().await? {
        if started.elapsed() > plenary_e2e::DEADLINE {
            return Err(HarnessError::Timeout(what.into()));
        }
        tokio::task::yield_now().await;
    }
    Ok(())
}

#[tokio::test]
async fn a_failing_store_shows_in_healthz_and_loses_no_chat() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("plenary-degraded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("plenary.sqlite3");
    let open = || async {
        Store::open(&db)
            .await
            .map_err(|e| HarnessError::Other(e.to_string()))
    };
    let server = TestServer::start_with(AppState::with_store(
        Clock::System,
        60_000,
        Some(open().await?),
    ))
    .await?;
    let created = server.create_meeting().await?;
    let mut h = Client::join(server.addr, &created.meeting, "Hanne", host(&created)).await?;
    let (status, _) = http(server.addr, "GET", "/healthz", &[], b"").await?;
    assert_eq!(status, 200);
    // Another connection to the file makes every chat insert fail, as a full disk would.
    let saboteur = open().await?;
    saboteur
        .execute_raw(
            "CREATE TRIGGER full BEFORE INSERT ON chat BEGIN SELECT RAISE(FAIL, 'disk full'); END",
        )
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    echo(&mut h, "said while the disk was full").await?;
    until(
        || async { Ok(http(server.addr, "GET", "/healthz", &[], b"").await?.0 == 503) },
        "healthz to say degraded",
    )
    .await?;
    let (_, metrics) = http(server.addr, "GET", "/metrics", &[], b"").await?;
    assert!(metrics.contains("plenary_store_failing 1"), "{metrics}");
    saboteur
        .execute_raw("DROP TRIGGER full")
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    until(
        || async { Ok(http(server.addr, "GET", "/healthz", &[], b"").await?.0 == 200) },
        "healthz to recover",
    )
    .await?;
    server.shut_down().await;
    // The line said during the failure was kept and written once the store worked again.
    let again = open().await?;
    let (rows, _) = again
        .load_chat(&created.meeting, 100)
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    assert!(
        rows.iter()
            .any(|r| r.line.contains("said while the disk was full")),
        "{rows:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test]
async fn a_csv_row_with_name_and_email_matches_either_and_exports_safely() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let secret = &created.host_secret.0;
    let csv = "room;name;email\nGruppe 1;\"Ås, Kari\";kari@skole.no\n=Lure;+Per;\n";
    let path = format!("/api/meetings/{m}/plan/csv");
    let (status, body) = as_host(server.addr, "POST", &path, secret, csv.as_bytes()).await?;
    assert_eq!(status, 200, "{body}");
    // Kari types her name as the join form asks; an LMS launch would bring her email.
    let mut kari = Client::join(server.addr, m, "ås, kari", Credential::Participant).await?;
    let id = kari.me.ok_or_else(|| HarnessError::Other("kari".into()))?;
    kari.sync().await?;
    let group = kari
        .view
        .rooms
        .iter()
        .find(|r| r.name == "Gruppe 1")
        .map(|r| r.id);
    assert!(group.is_some());
    assert_eq!(kari.view.participant(id).and_then(|p| p.assigned), group);
    // The export escapes what a spreadsheet would run, and reads back the same.
    let (status, exported) = as_host(server.addr, "GET", &path, secret, b"").await?;
    assert_eq!(status, 200);
    assert!(exported.contains("'=Lure,'+Per,"), "{exported}");
    assert!(
        exported.contains("\"Ås, Kari\",kari@skole.no"),
        "{exported}"
    );
    let (status, body) = as_host(server.addr, "POST", &path, secret, exported.as_bytes()).await?;
    assert_eq!(status, 200, "{body}");
    let (_, plan) = as_host(
        server.addr,
        "GET",
        &format!("/api/meetings/{m}/plan"),
        secret,
        b"",
    )
    .await?;
    assert!(
        plan.contains("\"=Lure\"") && plan.contains("\"+Per\""),
        "{plan}"
    );
    Ok(())
}
