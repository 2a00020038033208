//! The SFU forwarding benchmark and its physical baseline. A step puts `peers` simulated
//! publishers in one place, each sending audio-like or video-like `Traffic` and receiving everyone
//! else's, and measures over a window what arrived: packets per second, loss and one-way latency,
//! with the relay's and the load generator's CPU. The SFU step uses real WebRTC (`MediaPeer`,
//! the `webrtc` crate: DTLS, SRTP, RTCP) against the real server; the null step sends the same
//! payloads as plain UDP through `null_relay`, which forwards each datagram to every other member
//! and nothing else. Shared by `cargo xtask bench` and its smoke test.

use crate::media::{MediaPeer, until};
use crate::traffic::{Received, Totals, Traffic};
use crate::{HarnessError, Result, bench};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Loss above this ends a series (the limit: 0.5 %).
pub const MAX_LOSS: f64 = 0.005;
/// Latency p99 above this ends a series.
pub const MAX_P99: Duration = Duration::from_millis(10);

/// What one step measured.
#[derive(Debug, Clone)]
pub struct Step {
    pub peers: usize,
    /// Packets delivered to receivers per second over the window.
    pub forwarded_pps: f64,
    pub loss: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// CPU the relay process used, in cores (CPU seconds per second).
    pub relay_cores: f64,
    /// CPU the load generator used, in cores.
    pub load_cores: f64,
    /// UDP ports the server's offers named (SFU steps; 0 for the null relay).
    pub server_ports: usize,
    /// The server's resident memory per media participant, in KiB (SFU steps).
    pub kib_per_peer: f64,
}

impl Step {
    /// Whether this step stayed within the loss and latency limits.
    pub fn within_limits(&self) -> bool {
        self.loss <= MAX_LOSS && self.p99 <= MAX_P99
    }

    /// Forwarded packets per second per fully used relay core.
    pub fn pps_per_core(&self) -> f64 {
        if self.relay_cores <= 0.0 {
            return 0.0;
        }
        self.forwarded_pps / self.relay_cores
    }
}

/// Waits until every receiver has heard `want` streams.
async fn until_everyone_hears(received: &[Arc<Received>], want: usize) -> Result<()> {
    let limit = Duration::from_secs(30) + Duration::from_millis(500) * received.len() as u32;
    let all_hear = || received.iter().all(|r| r.streams() >= want);
    until("every peer to hear", limit, all_hear)
        .await
        .map_err(|_| {
            let heard: Vec<usize> = received.iter().map(|r| r.streams()).collect();
            HarnessError::Timeout(format!(
                "every peer to hear {want} streams (heard: {heard:?})"
            ))
        })?;
    Ok(())
}

/// How long signalling must have been quiet before a window starts.
const SETTLED: Duration = Duration::from_millis(500);

/// Waits until no peer has had an offer for `SETTLED`: the last joiners' renegotiations (one
/// offer to each of the others per joiner) are over, so the window measures forwarding alone.
/// Measured from inside, the renegotiation storm after the last join had held packets up for
/// tens of milliseconds at the start of the window.
async fn until_settled(peers: &[MediaPeer]) -> Result<()> {
    let settled = || peers.iter().all(|p| p.since_last_offer() >= SETTLED);
    until("signalling to settle", Duration::from_secs(60), settled).await?;
    Ok(())
}

/// Counts afresh, lets traffic flow for `window` (the measurement itself) and sums up.
async fn measure(
    received: &[Arc<Received>],
    relay_pid: Option<u32>,
    window: Duration,
    peers: usize,
) -> Step {
    for r in received {
        r.reset();
    }
    let relay_before = relay_pid.and_then(|p| bench::cpu_seconds(Some(p)));
    let load_before = bench::cpu_seconds(None);
    let start = Instant::now();
    tokio::time::sleep(window).await;
    let mut totals = Totals::default();
    for r in received {
        r.add_to(&mut totals);
    }
    let wall = start.elapsed().as_secs_f64();
    let cores = |before, after| bench::cores(before, after, wall);
    let relay_cores = cores(
        relay_before,
        relay_pid.and_then(|p| bench::cpu_seconds(Some(p))),
    );
    let load_cores = cores(load_before, bench::cpu_seconds(None));
    Step {
        peers,
        forwarded_pps: totals.received as f64 / wall,
        loss: totals.loss(),
        p50: totals.latency(50.0),
        p99: totals.latency(99.0),
        relay_cores,
        load_cores,
        server_ports: 0,
        kib_per_peer: 0.0,
    }
}

/// One SFU step: `peers` WebRTC participants in a fresh meeting on the server at `addr`.
pub async fn sfu_step(
    addr: SocketAddr,
    server_pid: Option<u32>,
    traffic: Traffic,
    peers: usize,
    window: Duration,
) -> Result<Step> {
    let created = crate::create_meeting(addr).await?;
    let rss_before = server_pid.and_then(bench::rss_kib);
    let mut joined = Vec::with_capacity(peers);
    for i in 0..peers {
        let name = format!("S{i}");
        joined.push(MediaPeer::join_with(addr, &created.meeting, &name, traffic).await?);
    }
    let received: Vec<_> = joined.iter().map(|p| p.received.clone()).collect();
    until_everyone_hears(&received, (peers - 1) * traffic.sources.len()).await?;
    until_settled(&joined).await?;
    let mut step = measure(&received, server_pid, window, peers).await;
    let ports: std::collections::BTreeSet<u16> =
        joined.iter().flat_map(MediaPeer::candidate_ports).collect();
    step.server_ports = ports.len();
    if let (Some(before), Some(after)) = (rss_before, server_pid.and_then(bench::rss_kib)) {
        step.kib_per_peer = after.saturating_sub(before) as f64 / peers.max(1) as f64;
    }
    let left = futures_util::future::join_all(joined.into_iter().map(MediaPeer::leave)).await;
    left.into_iter().collect::<Result<Vec<()>>>()?;
    Ok(step)
}

/// The physical baseline: forwards every datagram from a member to every other member of the
/// one group; the first datagram from an address (a one-byte hello will do) makes it a member.
/// Runs until the socket fails.
pub fn null_relay(socket: &UdpSocket) -> std::io::Result<()> {
    let mut members: Vec<SocketAddr> = Vec::new();
    let mut buf = [0u8; 2048];
    loop {
        let (n, from) = socket.recv_from(&mut buf)?;
        if !members.contains(&from) {
            members.push(from);
        }
        if n <= 1 {
            continue;
        }
        for to in members.iter().filter(|m| **m != from) {
            // A full socket buffer drops the datagram, as a router would; receivers count it.
            let _ = socket.send_to(&buf[..n], to);
        }
    }
}

/// One null step: `peers` plain UDP sockets send `traffic` through the relay at `relay`.
pub async fn null_step(
    relay: SocketAddr,
    relay_pid: Option<u32>,
    traffic: Traffic,
    peers: usize,
    window: Duration,
) -> Result<Step> {
    let mut tasks = Vec::new();
    let mut received = Vec::new();
    for i in 0..peers {
        let socket = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await?);
        socket.connect(relay).await?;
        socket.send(&[0]).await?;
        let got = Arc::new(Received::new(traffic.epoch));
        received.push(got.clone());
        let inbound = socket.clone();
        tasks.push(tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            while let Ok(n) = inbound.recv(&mut buf).await {
                got.add(&buf[..n]);
            }
        }));
        let from = u32::try_from(i).unwrap_or(u32::MAX);
        tasks.push(tokio::spawn(async move {
            let mut tick = traffic.ticks(from);
            let mut counter: u32 = 0;
            loop {
                tick.tick().await;
                counter = counter.wrapping_add(1);
                for source in traffic.sources {
                    let _ = socket.send(&traffic.payload(from, *source, counter)).await;
                }
            }
        }));
    }
    let heard = until_everyone_hears(&received, (peers - 1) * traffic.sources.len()).await;
    let step = match heard {
        Ok(()) => Ok(measure(&received, relay_pid, window, peers).await),
        Err(e) => Err(e),
    };
    for task in tasks {
        task.abort();
    }
    step
}
