//! The trust-and-lifecycle figures of `cargo xtask bench`: what one chat line costs the disk (at
//! one client's 50 lines a second, in a small meeting and in one with a 1,000-person plan), the
//! round trip of a well-behaved client while someone floods meeting creation, how many passcode
//! guesses a minute one address gets, and how long a large rotation holds its meeting while
//! another meeting and `/healthz` stay responsive.

use crate::bench::{cpu_seconds, percentile};
use crate::client::Client;
use crate::{HarnessError, Result, create_meeting, http, http_full};
use plenary_shared::api::CreatedMeeting;
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::event::Event;
use plenary_shared::meeting::info::MeetingInfo;
use plenary_shared::meeting::plan::{Plan, PlannedRoom};
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION, ProtocolError, ServerMsg};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Bytes the process has caused to be written to storage (`/proc/{pid}/io`, `write_bytes`).
pub fn disk_bytes(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

/// One figure from `/metrics`, if the server has it.
pub async fn metric(addr: SocketAddr, name: &str) -> Option<u64> {
    let (_, body) = http(addr, "GET", "/metrics", &[], b"").await.ok()?;
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// What chat costs the store.
#[derive(Debug, Clone, Default)]
pub struct ChatCost {
    pub lines: u64,
    pub seconds: f64,
    pub disk_bytes_per_line: f64,
    /// Write transactions a second, where the server counts them.
    pub writes_per_sec: Option<f64>,
    pub echo_p50: Duration,
    pub echo_p99: Duration,
}

async fn json_meeting(addr: SocketAddr, plan: Option<Plan>) -> Result<CreatedMeeting> {
    let body = serde_json::json!({ "plan": plan });
    let (status, text) = http(
        addr,
        "POST",
        "/api/meetings",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await?;
    if status != 201 {
        return Err(HarnessError::Other(format!("create: {status} {text}")));
    }
    Ok(serde_json::from_str(&text)?)
}

/// A plan of `people` names in 100 rooms (the state a chat line used to rewrite).
pub fn big_plan(people: usize) -> Plan {
    Plan {
        rooms: (0..100)
            .map(|r| PlannedRoom {
                name: format!("Group {r}"),
                topic: "Chapter 1: read it before we meet".into(),
                members: (0..people / 100)
                    .map(|i| format!("Student {r}-{i} Nordmann").into())
                    .collect(),
            })
            .collect(),
    }
}

/// One client says `rate` lines a second for `secs` in a meeting (with `plan`), while the disk
/// bytes the server writes are counted.
pub async fn chat_cost(
    addr: SocketAddr,
    pid: u32,
    plan: Option<Plan>,
    rate: u32,
    secs: u64,
) -> Result<ChatCost> {
    let created = json_meeting(addr, plan).await?;
    let secret = created.host_secret.clone();
    let mut c = Client::join(
        addr,
        &created.meeting,
        "Talker",
        Credential::Host { secret },
    )
    .await?;
    c.sync().await?;
    // Let the join's own write settle first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let disk_before = disk_bytes(pid).unwrap_or(0);
    let writes_before = metric(addr, "plenary_store_writes_total").await;
    let started = Instant::now();
    let mut pace = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    let mut echoes = Vec::new();
    let total = u64::from(rate) * secs;
    for i in 0..total {
        pace.tick().await;
        let text = format!("line {i}: a sentence of ordinary length in a class chat");
        let sent = Instant::now();
        c.command(Command::SendChat { text: text.clone() }).await?;
        c.next_until("own line", |m| {
            matches!(m, ServerMsg::Event { event: Event::ChatMessage { message, .. } } if message.text == text)
        })
        .await?;
        echoes.push(sent.elapsed());
    }
    let seconds = started.elapsed().as_secs_f64();
    // Writes coalesce for up to 200 ms: wait them out before counting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let disk = disk_bytes(pid).unwrap_or(0).saturating_sub(disk_before);
    let writes_after = metric(addr, "plenary_store_writes_total").await;
    echoes.sort();
    Ok(ChatCost {
        lines: total,
        seconds,
        disk_bytes_per_line: disk as f64 / total.max(1) as f64,
        writes_per_sec: writes_before
            .zip(writes_after)
            .map(|(a, b)| (b - a) as f64 / seconds),
        echo_p50: percentile(&echoes, 50.0),
        echo_p99: percentile(&echoes, 99.0),
    })
}

/// A creation flood and a well-behaved client's round trip meanwhile.
#[derive(Debug, Clone, Default)]
pub struct Flood {
    pub attempts: usize,
    pub created: usize,
    pub refused: usize,
    pub seconds: f64,
    pub echo_p50: Duration,
    pub echo_p99: Duration,
    pub echo_before_p50: Duration,
}

/// `tasks` clients from one address create meetings as fast as they can for `secs`, while a
/// host in an existing meeting says a line every 50 ms.
pub async fn creation_flood(addr: SocketAddr, tasks: usize, secs: u64) -> Result<Flood> {
    let created = create_meeting(addr).await?;
    let secret = created.host_secret.clone();
    let mut h = Client::join(addr, &created.meeting, "Host", Credential::Host { secret }).await?;
    let echo = async |h: &mut Client, i: usize| -> Result<Duration> {
        let text = format!("steady {i}");
        let sent = Instant::now();
        h.command(Command::SendChat { text: text.clone() }).await?;
        h.next_until("own line", |m| {
            matches!(m, ServerMsg::Event { event: Event::ChatMessage { message, .. } } if message.text == text)
        })
        .await?;
        Ok(sent.elapsed())
    };
    let mut before = Vec::new();
    for i in 0..20 {
        before.push(echo(&mut h, i).await?);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let flooders: Vec<_> = (0..tasks)
        .map(|_| {
            tokio::spawn(async move {
                let (mut ok, mut refused, mut n) = (0, 0, 0);
                while Instant::now() < until {
                    let json = [("Content-Type", "application/json")];
                    let (status, _, _) =
                        http_full(addr, "POST", "/api/meetings", &json, b"").await?;
                    n += 1;
                    match status {
                        201 => ok += 1,
                        429 => refused += 1,
                        _ => {}
                    }
                }
                Ok::<_, HarnessError>((n, ok, refused))
            })
        })
        .collect();
    let started = Instant::now();
    let mut during = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(50));
    while Instant::now() < until {
        pace.tick().await;
        during.push(echo(&mut h, 1000 + during.len()).await?);
    }
    let mut flood = Flood::default();
    for f in flooders {
        let (n, ok, refused) = f.await.map_err(|e| HarnessError::Other(e.to_string()))??;
        flood.attempts += n;
        flood.created += ok;
        flood.refused += refused;
    }
    flood.seconds = started.elapsed().as_secs_f64();
    during.sort();
    before.sort();
    flood.echo_p50 = percentile(&during, 50.0);
    flood.echo_p99 = percentile(&during, 99.0);
    flood.echo_before_p50 = percentile(&before, 50.0);
    Ok(flood)
}

/// Guesses one address got through in `secs` at the fastest pace the server allows (each on a
/// new connection, waiting exactly as long as told between tries).
pub async fn passcode_guesses(addr: SocketAddr, secs: u64) -> Result<u64> {
    let created = create_meeting(addr).await?;
    let info = MeetingInfo {
        passcode: Some("918273".into()),
        ..MeetingInfo::default()
    };
    let path = format!("/api/meetings/{}/settings", created.meeting);
    let bearer = format!("Bearer {}", created.host_secret.0);
    let (status, _) = http(
        addr,
        "PUT",
        &path,
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        serde_json::to_string(&info)?.as_bytes(),
    )
    .await?;
    if status != 200 {
        return Err(HarnessError::Other(format!("settings: {status}")));
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let mut guesses = 0u64;
    let mut code = 0u32;
    while Instant::now() < until {
        let mut c = Client::connect(addr, &created.meeting).await?;
        c.send(&ClientMsg::Join {
            version: PROTOCOL_VERSION,
            name: "Guesser".into(),
            email: None,
            credential: Credential::Participant,
            passcode: Some(format!("{code:06}")),
        })
        .await?;
        match c.next_error().await? {
            ProtocolError::Rejected { error } => match error {
                plenary_shared::meeting::command::CommandError::WrongPasscode => {
                    guesses += 1;
                    code += 1;
                }
                plenary_shared::meeting::command::CommandError::TooManyPasscodeTries {
                    retry_after_secs,
                } => {
                    let wait = Duration::from_secs(u64::from(retry_after_secs));
                    tokio::time::sleep(wait.min(until.saturating_duration_since(Instant::now())))
                        .await;
                }
                other => return Err(HarnessError::Other(format!("unexpected {other}"))),
            },
            other => return Err(HarnessError::Other(format!("unexpected {other}"))),
        }
    }
    Ok(guesses)
}

/// A rotation of `people` in groups of `size` over `rounds` rounds, and what it held up.
#[derive(Debug, Clone, Default)]
pub struct RotationCost {
    pub people: usize,
    pub command: Duration,
    pub server_cpu: f64,
    /// The slowest `/healthz` answer while it ran.
    pub healthz_max: Duration,
    /// The slowest chat round trip in another meeting while it ran.
    pub other_meeting_max: Duration,
}

pub async fn rotation_cost(
    addr: SocketAddr,
    pid: u32,
    people: usize,
    size: u32,
    rounds: u32,
) -> Result<RotationCost> {
    let created = create_meeting(addr).await?;
    let secret = created.host_secret.clone();
    let mut h = Client::join(addr, &created.meeting, "Host", Credential::Host { secret }).await?;
    let mut crowd = Vec::new();
    for i in 0..people {
        let c = Client::join(
            addr,
            &created.meeting,
            &format!("P{i}"),
            Credential::Participant,
        )
        .await?;
        crowd.push(c.into_stream());
    }
    h.sync().await?;
    let other = create_meeting(addr).await?;
    let other_secret = other.host_secret.clone();
    let mut o = Client::join(
        addr,
        &other.meeting,
        "Other",
        Credential::Host {
            secret: other_secret,
        },
    )
    .await?;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        tokio::spawn(async move {
            let (mut health, mut chat) = (Duration::ZERO, Duration::ZERO);
            let mut i = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                // A stalled server times out (10 s); that counts as 10 s, not as a failure.
                let _ = http(addr, "GET", "/healthz", &[], b"").await;
                health = health.max(t.elapsed());
                let text = format!("other {i}");
                i += 1;
                let t = Instant::now();
                o.command(Command::SendChat { text: text.clone() }).await?;
                // However long it takes (an unbounded solver once held this for 43 s).
                loop {
                    match o.next_within(Some(Duration::from_secs(600))).await? {
                        Some(ServerMsg::Event {
                            event: Event::ChatMessage { message, .. },
                        }) if message.text == text => break,
                        Some(_) => {}
                        None => return Err(HarnessError::Other("closed".into())),
                    }
                }
                chat = chat.max(t.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok::<_, HarnessError>((health, chat))
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cpu_before = cpu_seconds(Some(pid)).unwrap_or(0.0);
    let started = Instant::now();
    h.command(Command::StartRotation {
        rounds,
        group_size: size,
        round_minutes: 5,
    })
    .await?;
    loop {
        match h.next_within(Some(Duration::from_secs(600))).await? {
            Some(ServerMsg::Event {
                event: Event::RotationRound { .. },
            }) => break,
            Some(_) => {}
            None => return Err(HarnessError::Other("closed before the rotation".into())),
        }
    }
    let command = started.elapsed();
    let server_cpu = cpu_seconds(Some(pid)).unwrap_or(0.0) - cpu_before;
    tokio::time::sleep(Duration::from_millis(200)).await;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (healthz_max, other_meeting_max) = watcher
        .await
        .map_err(|e| HarnessError::Other(e.to_string()))??;
    drop(crowd);
    Ok(RotationCost {
        people,
        command,
        server_cpu,
        healthz_max,
        other_meeting_max,
    })
}
