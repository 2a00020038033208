//! Restart survival against the real `plenary` binary: SIGKILL it mid-breakout, start it again on
//! the same data directory, and every client resumes into the same room while the running timer
//! still ends at its original deadline. Then SIGTERM: a clean exit that loses nothing.

use plenary_e2e::client::Client;
use plenary_e2e::{HarnessError, Result};
use plenary_shared::api::CreatedMeeting;
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::event::Event;
use plenary_shared::meeting::rooms::{BreakoutOptions, RoomCount, RoomStatus, Strategy};
use plenary_shared::protocol::ServerMsg;
use plenary_shared::time::Timestamp;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

mod common;
use common::start;

fn wall_clock() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    Timestamp(u64::try_from(ms).unwrap_or(0))
}

fn data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plenary-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Waits until the server's database holds a state of meeting `m` that satisfies `done` (given
/// the state's and the sessions' JSON): what a SIGKILL at that moment would keep.
async fn until_stored(
    data: &std::path::Path,
    m: &plenary_shared::ids::MeetingId,
    done: impl Fn(&str, &str) -> bool,
) -> Result<()> {
    let store = plenary_server::store::Store::open(&data.join("plenary.sqlite3"))
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))?;
    let started = std::time::Instant::now();
    loop {
        let records = store
            .load_all()
            .await
            .map_err(|e| HarnessError::Other(e.to_string()))?;
        if records
            .iter()
            .any(|r| &r.id == m && done(&r.state, &r.sessions))
        {
            return Ok(());
        }
        if started.elapsed() > plenary_e2e::DEADLINE {
            return Err(HarnessError::Timeout("the state to reach the disk".into()));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sigkill_mid_breakout_then_restart_resumes_everyone_and_keeps_the_deadline() -> Result<()> {
    let data = data_dir();
    let mut server = start(&data, None).await?;
    let (status, body) = plenary_e2e::http(
        server.addr,
        "POST",
        "/api/meetings",
        &[("Content-Type", "application/json")],
        b"",
    )
    .await?;
    assert_eq!(status, 201);
    let created: CreatedMeeting = serde_json::from_str(&body)?;
    let m = &created.meeting;
    let host_cred = Credential::Host {
        secret: created.host_secret.clone(),
    };
    let mut clients = vec![Client::join(server.addr, m, "Host", host_cred).await?];
    for i in 0..6 {
        clients
            .push(Client::join(server.addr, m, &format!("P{i}"), Credential::Participant).await?);
    }
    let h = &mut clients[0];
    h.command(Command::CreateRooms {
        count: RoomCount::Rooms { count: 2 },
        strategy: Strategy::Automatically,
    })
    .await?;
    h.command(Command::SetOptions {
        options: BreakoutOptions {
            move_automatically: true,
            auto_close_minutes: Some(1),
            countdown_seconds: None,
            ..BreakoutOptions::default()
        },
    })
    .await?;
    h.command(Command::OpenRooms).await?;
    h.sync().await?;
    // Bring the deadline close so the test can see it fire: 6 s from now.
    let room_ids: Vec<_> = h.view.rooms.iter().map(|r| r.id).collect();
    for room in &room_ids {
        h.command(Command::ExtendRoomTime {
            room: *room,
            seconds: -54,
        })
        .await?;
    }
    h.sync().await?;
    let deadline = match h.view.rooms[0].status {
        RoomStatus::Open { deadline: Some(d) } => d,
        other => return Err(HarnessError::Other(format!("no deadline: {other:?}"))),
    };
    // Every client has seen the state confirmed…
    let mut before = Vec::new();
    for c in clients.iter_mut() {
        c.sync().await?;
        let me = c.me.expect("joined");
        before.push((
            me,
            c.view.participant(me).map(|p| p.place),
            c.token.clone().expect("token"),
        ));
    }

    // …and it reaches the disk by itself within a moment (writes are coalesced, at most one
    // every 200 ms): wait until the file holds every session and the moved deadline.
    let tokens: Vec<String> = before.iter().map(|(_, _, t)| t.0.clone()).collect();
    until_stored(&data, m, |state, sessions| {
        state.contains(&format!("\"deadline\":{}", deadline.0))
            && tokens.iter().all(|t| sessions.contains(t.as_str()))
    })
    .await?;

    server.child.kill().await?; // SIGKILL
    let restarted = start(&data, None).await?;
    let mut resumed = Vec::new();
    for (me, place, token) in &before {
        let c = Client::resume(restarted.addr, m, token.clone()).await?;
        assert_eq!(c.me, Some(*me));
        assert_eq!(
            c.view.participant(*me).map(|p| p.place),
            *place,
            "same place after restart"
        );
        assert!(c.view.rooms.iter().all(|r| r.status
            == RoomStatus::Open {
                deadline: Some(deadline)
            }));
        resumed.push(c);
    }
    for c in resumed.iter_mut() {
        c.sync().await?;
    }
    // The timer still fires at its original deadline.
    resumed[0]
        .next_until("rooms closed", |msg| {
            matches!(
                msg,
                ServerMsg::Event {
                    event: Event::RoomsClosed
                }
            )
        })
        .await?;
    let fired = wall_clock();
    assert!(fired >= deadline, "fired {}ms early", deadline.0 - fired.0);
    assert!(
        fired.0 - deadline.0 < 2_000,
        "fired {}ms late",
        fired.0 - deadline.0
    );

    // SIGTERM: a clean shutdown that flushes, then everything is still there.
    let pid = restarted
        .child
        .id()
        .ok_or_else(|| HarnessError::Other("no pid".into()))?;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    assert!(status.success());
    let mut child = restarted.child;
    let exit = tokio::time::timeout(plenary_e2e::DEADLINE, child.wait())
        .await
        .map_err(|_| HarnessError::Timeout("a clean exit".into()))??;
    assert!(exit.success(), "exit status {exit}");
    let third = start(&data, None).await?;
    let (me, _, token) = before[1].clone();
    let c = Client::resume(third.addr, m, token).await?;
    assert_eq!(c.me, Some(me));
    assert!(
        c.view
            .participants
            .iter()
            .all(|p| p.place == plenary_shared::meeting::rooms::Place::Main)
    );
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
