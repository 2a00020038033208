//! The signalling fan-out benchmark: many simulated participants in one meeting, the host opens,
//! closes (with a countdown) and moves, and we time how long until the last participant has heard. Shared by the
//! `plenary-bench` binary (`cargo xtask bench`, release server on its own core) and a scaled-down
//! smoke test inside `cargo xtask test`, so the benchmark cannot rot.
//!
//! Participants do not parse every frame: they look for the event's tag in the text, which keeps
//! the load generator cheap enough not to be mistaken for a slow server.

use crate::client::Client;
use crate::{HarnessError, Result};
use futures_util::StreamExt;
use plenary_shared::ids::{HostSecret, MeetingId, ParticipantId};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BreakoutOptions, Place, RoomCount, Strategy};
use plenary_shared::protocol::ClientMsg;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct FanoutConfig {
    /// Participants besides the host.
    pub participants: usize,
    pub rooms: u32,
    pub repetitions: usize,
    /// How long to wait for everyone to hear of one operation.
    pub deadline: Duration,
}

/// The closing countdown the rooms close with, in seconds (the shortest, to keep the run short).
pub const CLOSE_COUNTDOWN_SECS: u32 = 1;
const CLOSE_COUNTDOWN: Duration = Duration::from_secs(CLOSE_COUNTDOWN_SECS as u64);

/// One kind of operation timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Open,
    /// The closing countdown started.
    Closing,
    Close,
    Move,
}

impl Op {
    fn tag(self) -> &'static str {
        match self {
            Op::Open => "{\"rooms_opened\":",
            Op::Closing => "{\"rooms_closing\":",
            Op::Close => "\"event\":\"rooms_closed\"",
            Op::Move => "{\"participant_moved\":",
        }
    }
}

/// Latencies (host sends → last participant has it) of each repetition, per operation.
#[derive(Debug, Clone, Default)]
pub struct FanoutTimes {
    pub open: Vec<Duration>,
    /// Closing with a countdown: from the host's command until everyone has the countdown.
    pub close_notice: Vec<Duration>,
    /// From the countdown's end until everyone is back in the main session.
    pub close: Vec<Duration>,
    pub single_move: Vec<Duration>,
}

/// The `p`th percentile (0–100) of some durations, nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Joins `config.participants` clients; each reports when it sees an operation's event.
async fn crowd(
    addr: SocketAddr,
    meeting: &MeetingId,
    count: usize,
) -> Result<mpsc::UnboundedReceiver<(Op, Instant)>> {
    let (tx, rx) = mpsc::unbounded_channel();
    for i in 0..count {
        let mut c = Client::connect(addr, meeting).await?;
        c.join_on(&format!("P{i}"), Credential::Participant).await?;
        let tx = tx.clone();
        let mut ws = c.into_stream();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = ws.next().await {
                let Message::Text(text) = frame else { continue };
                // The event's name opens the frame: look there only, not through a long list.
                let head = text.get(..64).unwrap_or(text.as_str());
                for op in [Op::Open, Op::Closing, Op::Close, Op::Move] {
                    if head.contains(op.tag()) {
                        let _ = tx.send((op, Instant::now()));
                    }
                }
            }
        });
    }
    Ok(rx)
}

/// Waits until `count` participants reported `op`; the time of the last one.
async fn last_heard(
    rx: &mut mpsc::UnboundedReceiver<(Op, Instant)>,
    op: Op,
    count: usize,
    deadline: Duration,
) -> Result<Instant> {
    let mut seen = 0;
    let mut last = Instant::now();
    let give_up = tokio::time::Instant::now() + deadline;
    while seen < count {
        match tokio::time::timeout_at(give_up, rx.recv()).await {
            Ok(Some((got, at))) if got == op => {
                seen += 1;
                last = last.max(at);
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err(HarnessError::Other("the crowd went away".into())),
            Err(_) => {
                return Err(HarnessError::Timeout(format!(
                    "{op:?}: only {seen} of {count} participants heard"
                )));
            }
        }
    }
    Ok(last)
}

/// Server CPU seconds spent on each kind of operation, summed over the repetitions. Each span
/// runs from the host's command until the host's next snapshot, which the server sends only once
/// the change is written to the store, so the write is counted too.
#[derive(Debug, Clone, Default)]
pub struct OpCpu {
    pub open: f64,
    pub single_move: f64,
    /// Both halves of closing with a countdown, and the countdown in between.
    pub close: f64,
}

/// What a run measured: the latencies, the server's CPU per kind of operation, and the server's
/// memory and CPU (and the load generator's CPU) once everyone had joined, to separate joining
/// from the operations.
#[derive(Debug, Clone, Default)]
pub struct FanoutRun {
    pub times: FanoutTimes,
    pub cpu: OpCpu,
    pub rss_joined_kib: u64,
    pub server_cpu_joined: f64,
    pub load_cpu_joined: f64,
}

/// Runs the whole benchmark against a server at `addr` (whose process is `server_pid`, when
/// it is a separate one): a meeting, a host, the crowd; then `repetitions` × (open all rooms,
/// move one person, close all rooms).
pub async fn fanout(
    addr: SocketAddr,
    config: FanoutConfig,
    server_pid: Option<u32>,
) -> Result<FanoutRun> {
    let created = crate::create_meeting(addr).await?;
    let secret: HostSecret = created.host_secret.clone();
    let mut host =
        Client::join(addr, &created.meeting, "Host", Credential::Host { secret }).await?;
    let mut rx = crowd(addr, &created.meeting, config.participants).await?;
    host.sync().await?;
    let mut run = FanoutRun {
        rss_joined_kib: server_pid.and_then(rss_kib).unwrap_or(0),
        server_cpu_joined: server_pid.and_then(|p| cpu_seconds(Some(p))).unwrap_or(0.0),
        load_cpu_joined: cpu_seconds(None).unwrap_or(0.0),
        ..FanoutRun::default()
    };
    host.command(Command::SetOptions {
        options: BreakoutOptions {
            move_automatically: true,
            countdown_seconds: Some(CLOSE_COUNTDOWN_SECS),
            ..BreakoutOptions::default()
        },
    })
    .await?;
    host.command(Command::CreateRooms {
        count: RoomCount::Rooms {
            count: config.rooms,
        },
        strategy: Strategy::Automatically,
    })
    .await?;
    host.sync().await?;
    let mover: ParticipantId = host
        .view
        .participants
        .iter()
        .find(|p| p.name == "P0")
        .map(|p| p.id)
        .ok_or_else(|| HarnessError::Other("P0 is missing".into()))?;
    // The server's CPU so far; zero when it runs in this process (the smoke test).
    let cpu = || server_pid.and_then(|p| cpu_seconds(Some(p))).unwrap_or(0.0);
    let (times, used) = (&mut run.times, &mut run.cpu);
    for _ in 0..config.repetitions {
        let cpu_start = cpu();
        let start = Instant::now();
        host.send(&ClientMsg::Command {
            command: Command::OpenRooms,
        })
        .await?;
        let done = last_heard(&mut rx, Op::Open, config.participants, config.deadline).await?;
        times.open.push(done - start);
        host.sync().await?;
        used.open += cpu() - cpu_start;
        let rooms: Vec<_> = host.view.rooms.iter().map(|r| r.id).collect();
        let to = match host.view.participant(mover).map(|p| p.place) {
            Some(Place::Room { room }) if rooms.first() == Some(&room) => rooms.get(1),
            _ => rooms.first(),
        }
        .copied()
        .ok_or_else(|| HarnessError::Other("no rooms".into()))?;
        let cpu_start = cpu();
        let start = Instant::now();
        host.command(Command::MoveParticipant {
            participant: mover,
            to: Place::Room { room: to },
        })
        .await?;
        let done = last_heard(&mut rx, Op::Move, config.participants, config.deadline).await?;
        times.single_move.push(done - start);
        host.sync().await?;
        used.single_move += cpu() - cpu_start;
        let cpu_start = cpu();
        let start = Instant::now();
        host.command(Command::CloseRooms).await?;
        let told = last_heard(&mut rx, Op::Closing, config.participants, config.deadline).await?;
        times.close_notice.push(told - start);
        let within = CLOSE_COUNTDOWN + config.deadline;
        let done = last_heard(&mut rx, Op::Close, config.participants, within).await?;
        // Counted from the host's command, so it includes the command's way to the server.
        times
            .close
            .push((done - start).saturating_sub(CLOSE_COUNTDOWN));
        host.sync().await?;
        used.close += cpu() - cpu_start;
    }
    Ok(run)
}

/// CPU seconds (user + system) a process has used so far, from `/proc/{pid}/stat`.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may contain spaces) start at the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 overall, 12 and 13 after the name; clock ticks
    // are 100 a second on Linux.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Cores used over `wall` seconds, from two readings of `cpu_seconds` (0 if either failed).
pub fn cores(before: Option<f64>, after: Option<f64>, wall: f64) -> f64 {
    match (before, after) {
        (Some(b), Some(a)) if wall > 0.0 => (a - b) / wall,
        _ => 0.0,
    }
}

/// Resident memory of a process in KiB, from `/proc/{pid}/status`.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}
