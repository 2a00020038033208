//! What one client may cost the server: how many meetings it may create and how fast, how many
//! WebSocket connections it and everyone together may hold, and how long a connection may wait
//! before joining. Clients are told apart by address (an IPv6 client by its /64, which one
//! household or school usually holds whole), taken from the socket, or from the last
//! `X-Forwarded-For` hop when the server sits behind a proxy it trusts.
//!
//! Creation is limited with `governor` (GCRA, keyed by address). The connection caps are plain
//! counters: a map of per-address counts behind a mutex that only opening and closing a
//! connection touch, with an RAII permit so a count can never leak.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The limits a server runs with (all configurable; see `config.rs`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// A meeting nobody has used for this long is deleted (a scheduled one not before its start).
    pub idle_ms: u64,
    /// Meetings one address may create at once…
    pub create_burst: u32,
    /// …and then per minute.
    pub create_per_minute: u32,
    /// WebSocket connections in all.
    pub max_connections: usize,
    /// WebSocket connections from one address (a school behind one NAT address needs hundreds).
    pub max_connections_per_address: usize,
    /// A connection that has not joined by then is closed.
    pub join_timeout: Duration,
    /// Meetings one server holds.
    pub max_meetings: usize,
    /// Take the client's address from the last `X-Forwarded-For` hop (behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

/// A meeting is forgotten after 30 idle days by default.
pub const DEFAULT_IDLE_DAYS: u64 = 30;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            idle_ms: DEFAULT_IDLE_DAYS * 24 * 60 * 60 * 1000,
            create_burst: 60,
            create_per_minute: 60,
            max_connections: 10_000,
            max_connections_per_address: 1_000,
            join_timeout: Duration::from_secs(10),
            max_meetings: 10_000,
            trust_forwarded_for: false,
        }
    }
}

/// The address a client is counted by: IPv4 as is, IPv6 by its /64 network.
pub fn client_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client's address as the limits count it (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// From the socket's peer address, or the last `X-Forwarded-For` hop if `trust_forwarded`.
    pub fn from_parts(
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
        trust_forwarded: bool,
    ) -> Self {
        let forwarded = trust_forwarded
            .then(|| headers.get("x-forwarded-for")?.to_str().ok())
            .flatten()
            .and_then(|v| v.rsplit(',').next())
            .and_then(|hop| hop.trim().parse::<IpAddr>().ok());
        let addr = forwarded
            .or(peer.map(|p| p.ip()))
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        ClientAddr(client_key(addr))
    }
}

/// Whether to trust `X-Forwarded-For`, as a request extension the router sets.
#[derive(Debug, Clone, Copy)]
pub struct TrustForwarded(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let trust = parts
            .extensions
            .get::<TrustForwarded>()
            .is_some_and(|t| t.0);
        Ok(ClientAddr::from_parts(peer, &parts.headers, trust))
    }
}

/// Meeting creation per address: a burst, then a steady rate.
pub struct CreationLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl CreationLimiter {
    pub fn new(limits: &Limits) -> Self {
        let per_minute =
            NonZeroU32::new(limits.create_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.create_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        CreationLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
        }
    }

    /// `Ok` if `addr` may create a meeting now, else how long until it may.
    pub fn check(&self, addr: IpAddr) -> Result<(), Duration> {
        self.limiter
            .check_key(&addr)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets addresses whose allowance is full again, so the table holds only recent
    /// creators (called every minute).
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many addresses are remembered.
    pub fn tracked(&self) -> usize {
        self.limiter.len()
    }
}

/// Counts open WebSocket connections, in all and per address.
#[derive(Debug)]
pub struct ConnectionGate {
    max_total: usize,
    max_per_address: usize,
    counts: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// Why a connection was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateRefusal {
    ServerFull,
    AddressFull,
}

/// One open connection's place in the counts, given back when dropped.
#[derive(Debug)]
pub struct Permit {
    gate: Arc<ConnectionGate>,
    addr: IpAddr,
}

impl ConnectionGate {
    pub fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(ConnectionGate {
            max_total: limits.max_connections,
            max_per_address: limits.max_connections_per_address,
            counts: Mutex::new((0, HashMap::new())),
        })
    }

    /// A permit for one more connection from `addr`, if both caps allow.
    pub fn admit(self: &Arc<Self>, addr: IpAddr) -> Result<Permit, GateRefusal> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.0 >= self.max_total {
            return Err(GateRefusal::ServerFull);
        }
        let mine = counts.1.get(&addr).copied().unwrap_or(0);
        if mine >= self.max_per_address {
            return Err(GateRefusal::AddressFull);
        }
        counts.0 += 1;
        counts.1.insert(addr, mine + 1);
        Ok(Permit {
            gate: self.clone(),
            addr,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).0
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self
            .gate
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.0 = counts.0.saturating_sub(1);
        if let Some(n) = counts.1.get_mut(&self.addr) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.1.remove(&self.addr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("addr");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("addr");
        assert_eq!(client_key(a), client_key(b));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("addr");
        assert_eq!(
            client_key(mapped),
            "192.0.2.1".parse::<IpAddr>().expect("v4")
        );
    }

    #[test]
    fn the_forwarded_address_counts_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.2".parse().expect("header"),
        );
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 5000)));
        assert_eq!(
            ClientAddr::from_parts(peer, &headers, false).0,
            IpAddr::from([127, 0, 0, 1])
        );
        assert_eq!(
            ClientAddr::from_parts(peer, &headers, true).0,
            IpAddr::from([198, 51, 100, 2])
        );
    }

    #[test]
    fn connection_caps_hold_and_permits_give_back() {
        let limits = Limits {
            max_connections: 3,
            max_connections_per_address: 2,
            ..Limits::default()
        };
        let gate = ConnectionGate::new(&limits);
        let a = IpAddr::from([10, 0, 0, 1]);
        let b = IpAddr::from([10, 0, 0, 2]);
        let p1 = gate.admit(a).expect("first");
        let _p2 = gate.admit(a).expect("second");
        assert_eq!(gate.admit(a).err(), Some(GateRefusal::AddressFull));
        let _p3 = gate.admit(b).expect("other address");
        assert_eq!(gate.admit(b).err(), Some(GateRefusal::ServerFull));
        drop(p1);
        assert_eq!(gate.open(), 2);
        gate.admit(a).expect("room again");
    }

    #[test]
    fn creation_allows_a_burst_then_asks_to_wait() {
        let limits = Limits {
            create_burst: 5,
            create_per_minute: 60,
            ..Limits::default()
        };
        let limiter = CreationLimiter::new(&limits);
        let a = IpAddr::from([10, 0, 0, 1]);
        assert!((0..5).all(|_| limiter.check(a).is_ok()));
        let wait = limiter.check(a).expect_err("over the burst");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(limiter.check(IpAddr::from([10, 0, 0, 2])).is_ok());
        assert_eq!(limiter.tracked(), 2);
    }
}
