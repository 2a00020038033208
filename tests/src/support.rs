//! Helpers shared by the wire-level tests: a server on a manual clock, credentials, view checks,
//! refusals and metrics.

use crate::client::Client;
use crate::{HarnessError, Result, TestServer, http_request};
use plenary_server::app::AppState;
use plenary_server::clock::{Clock, ManualClock};
use plenary_shared::api::CreatedMeeting;
use plenary_shared::ids::ParticipantId;
use plenary_shared::ids::RoomId;
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::{Command, CommandError};
use plenary_shared::meeting::rooms::{BreakoutOptions, Place, RoomCount, Strategy};
use plenary_shared::protocol::ProtocolError;
use plenary_shared::time::Timestamp;
use std::sync::Arc;
use std::time::Instant;

/// Where manual clocks start.
pub const START: Timestamp = Timestamp(1_800_000_000_000);

pub async fn manual_server(grace_ms: u64) -> Result<(TestServer, Arc<ManualClock>)> {
    let clock = ManualClock::new(START);
    let server =
        TestServer::start_with(AppState::with(Clock::Manual(clock.clone()), grace_ms)).await?;
    Ok((server, clock))
}

pub fn host(created: &CreatedMeeting) -> Credential {
    Credential::Host {
        secret: created.host_secret.clone(),
    }
}

/// Joins `name` by the participant link and has `host` make them a co-host (the host secret
/// would make them host); returns once both have seen the new role.
pub async fn join_co_host(
    host: &mut Client,
    addr: std::net::SocketAddr,
    meeting: &plenary_shared::ids::MeetingId,
    name: &str,
) -> Result<Client> {
    let mut co = Client::join(addr, meeting, name, Credential::Participant).await?;
    let id = co
        .me
        .ok_or_else(|| HarnessError::Other("co-host not welcomed".into()))?;
    host.until_view("the co-host to arrive", |v| v.participant(id).is_some())
        .await?;
    host.command(Command::MakeCoHost { participant: id })
        .await?;
    let is_co = |v: &plenary_shared::meeting::view::MeetingView| {
        v.participant(id)
            .is_some_and(|p| p.role == plenary_shared::meeting::Role::CoHost)
    };
    host.until_view("the new co-host", is_co).await?;
    co.until_view("my co-host role", is_co).await?;
    Ok(co)
}

/// The host creates one room per group, puts each group in its room, sets `options` and opens
/// them all; returns the rooms' ids in group order.
pub async fn open_manual_rooms(
    host: &mut Client,
    groups: &[Vec<ParticipantId>],
    options: BreakoutOptions,
) -> Result<Vec<RoomId>> {
    let count = u32::try_from(groups.len()).map_err(|e| HarnessError::Other(e.to_string()))?;
    host.command(Command::CreateRooms {
        count: RoomCount::Rooms { count },
        strategy: Strategy::Manually,
    })
    .await?;
    host.until_view("the rooms", |v| v.rooms.len() == groups.len())
        .await?;
    let rooms: Vec<RoomId> = host.view.rooms.iter().map(|r| r.id).collect();
    for (room, group) in rooms.iter().zip(groups) {
        for who in group {
            host.command(Command::Assign {
                participant: *who,
                room: Some(*room),
            })
            .await?;
        }
    }
    host.command(Command::SetOptions { options }).await?;
    host.command(Command::OpenRooms).await?;
    Ok(rooms)
}

/// Every client asks the server for its picture and must hold exactly that, including the
/// effects of every command any of them sent before.
///
/// Twice round: the server keeps one connection's messages in order, not several connections',
/// so an earlier client's snapshot may be answered before a later client's command was applied.
/// After the first round every command sent before has been applied; in the second, every
/// client has had their effects before its snapshot.
pub async fn check_all(clients: &mut [&mut Client]) -> Result<()> {
    for _ in 0..2 {
        for c in clients.iter_mut() {
            c.sync().await?;
        }
    }
    Ok(())
}

pub fn place_of(c: &Client, who: ParticipantId) -> Option<Place> {
    c.view.participant(who).map(|p| p.place)
}

/// Waits until `/metrics` shows `line` (the server updates it as it notices things).
pub async fn wait_for_metric(server: &TestServer, line: &str) -> Result<()> {
    metric_where(server, line, |l| l == line).await
}

/// Waits until the counter or gauge `name` exceeds `floor`.
pub async fn wait_for_metric_above(server: &TestServer, name: &str, floor: u64) -> Result<()> {
    let what = format!("{name} above {floor}");
    metric_where(server, &what, |l| {
        l.strip_prefix(name)
            .and_then(|v| v.strip_prefix(' '))
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|v| v > floor)
    })
    .await
}

async fn metric_where(server: &TestServer, what: &str, found: impl Fn(&str) -> bool) -> Result<()> {
    let t = Instant::now();
    loop {
        let (_, body) = http_request(server.addr, "GET", "/metrics").await?;
        if body.lines().any(&found) {
            return Ok(());
        }
        if t.elapsed() > crate::DEADLINE {
            let figures: Vec<&str> = body.lines().filter(|l| !l.starts_with('#')).collect();
            return Err(HarnessError::Timeout(format!(
                "metric {what:?}; have {figures:?}"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

pub async fn rejected(c: &mut Client, command: Command) -> Result<CommandError> {
    c.command(command).await?;
    match c.next_error().await? {
        ProtocolError::Rejected { error } => Ok(error),
        other => Err(HarnessError::Other(format!(
            "expected a refusal, got {other:?}"
        ))),
    }
}

/// An HTTP request carrying the host secret as a bearer token; status and body.
pub async fn as_host(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    secret: &str,
    body: &[u8],
) -> Result<(u16, String)> {
    let bearer = format!("Bearer {secret}");
    crate::http(addr, method, path, &[("Authorization", &bearer)], body).await
}
