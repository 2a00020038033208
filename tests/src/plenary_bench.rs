//! The big-plenary benchmark: `people` WebRTC participants (`MediaPeer`) in one main session,
//! each publishing a microphone stamped with its audio level and a camera at a thumbnail's
//! rate, three of them speaking and the rest silent, each page showing 25 thumbnails (a
//! `View`). The server selects (the loudest voices, last-N video); a step measures what that
//! costs and what each receiver gets: forwarded packets per second, loss, the server's CPU per
//! receiver, audio and video streams per receiver, the download bitrate, and how long the
//! `people`-th takes from joining to a first video frame. Shared by `cargo xtask bench` and
//! its smoke test.

use crate::media::{MediaPeer, SILENT, SPEAKING, until};
use crate::traffic::{Totals, Traffic};
use crate::{Result, bench};
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ClientSignal, Tile, TileSize};
use plenary_shared::protocol::ClientMsg;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How many of the people speak.
pub const SPEAKERS: usize = 3;
/// The thumbnails each page shows.
pub const THUMBNAILS: usize = 25;

/// What each person publishes: a microphone and a camera, 25 packets a second each of 400
/// bytes (about 85 kbit/s per stream with headers: a 180p thumbnail's rate; there is one
/// layer, as simulcast is not in yet).
pub fn traffic(epoch: Instant) -> Traffic {
    Traffic {
        sources: &plenary_shared::media::Source::ALL[..2],
        size: 400,
        interval: Duration::from_millis(40),
        epoch,
    }
}

/// What one plenary step measured.
#[derive(Debug, Clone)]
pub struct PlenaryStep {
    pub people: usize,
    /// Packets delivered to receivers per second over the window.
    pub forwarded_pps: f64,
    pub loss: f64,
    /// The server's CPU, in cores, and per receiver (in thousandths of a core).
    pub server_cores: f64,
    pub server_millicores_per_receiver: f64,
    /// The load generator's CPU, in cores (at 1.0 it is the limit, not the server).
    pub load_cores: f64,
    /// The most audio and video streams any receiver got.
    pub audio_streams: usize,
    pub video_streams: usize,
    /// The mean download per receiver, in Mbit/s (RTP: payload, header, SRTP tag).
    pub down_mbit: f64,
    /// From the `people`-th joining to their first video packet.
    pub last_join: Duration,
    /// Receivers that never got every video and voice they should (0 in a healthy step).
    pub incomplete: usize,
}

impl PlenaryStep {
    pub fn within_limits(&self) -> bool {
        self.loss <= crate::sfu_bench::MAX_LOSS && self.incomplete == 0
    }

    /// Whether the load generator's one core was the limit (rather than the server).
    pub fn load_bound(&self) -> bool {
        self.load_cores >= 0.9
    }
}

/// The tiles `me`'s page shows: the first `THUMBNAILS` others.
fn view(all: &[ParticipantId], me: ParticipantId) -> ClientMsg {
    let tiles = all
        .iter()
        .filter(|w| **w != me)
        .take(THUMBNAILS)
        .map(|&who| Tile {
            who,
            size: TileSize::Thumbnail,
        })
        .collect();
    ClientMsg::Media {
        signal: ClientSignal::View { tiles },
    }
}

/// How many receivers do not (yet) get every video and voice they should.
fn lacking(peers: &[MediaPeer], speakers: &[ParticipantId]) -> usize {
    let videos = THUMBNAILS.min(peers.len().saturating_sub(1));
    peers
        .iter()
        .filter(|p| {
            let voices = speakers.iter().filter(|s| **s != p.id).count();
            p.received.streams_of(false) < videos || p.received.streams_of(true) < voices
        })
        .count()
}

/// Waits until every receiver gets the videos and voices it should; how many still do not
/// when the wait gives up (an overloaded step: it counts as over the limit).
async fn until_everyone_receives(peers: &[MediaPeer], speakers: &[ParticipantId]) -> usize {
    let limit = Duration::from_secs(30) + Duration::from_millis(200) * peers.len() as u32;
    let waited = until("every receiver's videos and voices", limit, || {
        lacking(peers, speakers) == 0
    })
    .await;
    match waited {
        Ok(_) => 0,
        Err(_) => lacking(peers, speakers),
    }
}

/// One step: `people` in a fresh meeting on the server at `addr`, measured over `window`.
pub async fn plenary_step(
    addr: SocketAddr,
    server_pid: Option<u32>,
    people: usize,
    window: Duration,
) -> Result<PlenaryStep> {
    let created = crate::create_meeting(addr).await?;
    let epoch = Instant::now();
    let mut peers = Vec::with_capacity(people);
    let join = |i: usize| {
        let meeting = created.meeting.clone();
        async move {
            let p = MediaPeer::join_with(addr, &meeting, &format!("P{i}"), traffic(epoch)).await?;
            p.set_level(Some(if i < SPEAKERS { SPEAKING } else { SILENT }));
            Ok::<MediaPeer, crate::HarnessError>(p)
        }
    };
    for i in 0..people - 1 {
        peers.push(join(i).await?);
    }
    let ids: Vec<ParticipantId> = peers.iter().map(|p| p.id).collect();
    for p in &peers {
        p.send(view(&ids, p.id)).await?;
    }
    let speakers: Vec<ParticipantId> = ids.iter().take(SPEAKERS).copied().collect();
    until_everyone_receives(&peers, &speakers).await;
    // The last one in: from joining to a first video frame.
    let start = Instant::now();
    let last = join(people - 1).await?;
    let first_frame = until(
        "the last one's first frame",
        Duration::from_secs(30),
        || last.received.streams_of(false) > 0,
    )
    .await;
    let last_join = first_frame.unwrap_or_else(|_| start.elapsed());
    let mut all_ids = ids.clone();
    all_ids.push(last.id);
    peers.push(last);
    // Every page now shows the newcomer's tile too (if it is among its first 25).
    for p in &peers {
        p.send(view(&all_ids, p.id)).await?;
    }
    let incomplete = until_everyone_receives(&peers, &speakers).await;
    for p in &peers {
        p.received.reset();
    }
    let server_before = server_pid.and_then(|p| bench::cpu_seconds(Some(p)));
    let load_before = bench::cpu_seconds(None);
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let mut totals = Totals::default();
    let (mut audio_streams, mut video_streams) = (0, 0);
    for p in &peers {
        p.received.add_to(&mut totals);
        audio_streams = audio_streams.max(p.received.streams_of(true));
        video_streams = video_streams.max(p.received.streams_of(false));
    }
    let wall = started.elapsed().as_secs_f64();
    let cores = |before, after| bench::cores(before, after, wall);
    let server_cores = cores(
        server_before,
        server_pid.and_then(|p| bench::cpu_seconds(Some(p))),
    );
    let load_cores = cores(load_before, bench::cpu_seconds(None));
    let step = PlenaryStep {
        people,
        forwarded_pps: totals.received as f64 / wall,
        loss: totals.loss(),
        server_cores,
        server_millicores_per_receiver: server_cores * 1000.0 / people as f64,
        load_cores,
        audio_streams,
        video_streams,
        down_mbit: totals.bytes as f64 * 8.0 / wall / people as f64 / 1e6,
        last_join,
        incomplete,
    };
    let left = futures_util::future::join_all(peers.into_iter().map(MediaPeer::leave)).await;
    left.into_iter().collect::<Result<Vec<()>>>()?;
    Ok(step)
}
