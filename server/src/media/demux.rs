//! Which connection a datagram on the one media socket belongs to. A known remote address maps
//! straight to its peer; a datagram from a new address must be a STUN binding request whose
//! USERNAME begins with a ufrag this server chose (`local_ufrag`), which names the peer. The
//! ICE agent behind it then checks the request's MESSAGE-INTEGRITY with that peer's password, so
//! a forged username gets nowhere. Each peer keeps at most `MAX_ADDRS_PER_PEER` addresses (a
//! browser may try a few candidate pairs); all are forgotten with the peer. An address is UDP or
//! TCP (ICE-TCP, one TCP connection per address), and the two never mix.

use rtc::shared::TransportProtocol;
use rtc::stun::attributes::ATTR_USERNAME;
use rtc::stun::message::{Message, is_stun_message};
use rtc::stun::textattrs::Username;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Where a datagram came from: a UDP address, or the TCP connection from an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Remote {
    pub transport: TransportProtocol,
    pub addr: SocketAddr,
}

impl Remote {
    pub fn udp(addr: SocketAddr) -> Remote {
        Remote {
            transport: TransportProtocol::UDP,
            addr,
        }
    }

    pub fn tcp(addr: SocketAddr) -> Remote {
        Remote {
            transport: TransportProtocol::TCP,
            addr,
        }
    }
}

/// A connection's number on this server (also inside its ufrag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u32);

/// Remote addresses one peer may use at once.
pub const MAX_ADDRS_PER_PEER: usize = 4;

/// The ufrag for `peer`: its number, then random letters so two peers never share credentials.
/// ICE allows letters, digits, `+` and `/` (RFC 8839), 4 to 256 of them.
pub fn local_ufrag(peer: PeerId, random: &str) -> String {
    format!("p{:x}+{random}", peer.0)
}

/// The peer a ufrag of ours names.
pub fn peer_of_ufrag(ufrag: &str) -> Option<PeerId> {
    let number = ufrag.strip_prefix('p')?.split_once('+')?.0;
    u32::from_str_radix(number, 16).ok().map(PeerId)
}

/// Routes datagrams to peers.
#[derive(Debug, Default)]
pub struct Demux {
    by_addr: HashMap<Remote, PeerId>,
    addrs: HashMap<PeerId, Vec<Remote>>,
}

impl Demux {
    /// The peer a datagram from `from` belongs to, learning the address from a STUN request
    /// that names a peer `known` accepts (by its number and full ufrag).
    pub fn route(
        &mut self,
        from: Remote,
        data: &[u8],
        known: impl Fn(PeerId, &str) -> bool,
    ) -> Option<PeerId> {
        if let Some(peer) = self.by_addr.get(&from) {
            return Some(*peer);
        }
        let ufrag = stun_local_ufrag(data)?;
        let peer = peer_of_ufrag(&ufrag)?;
        if !known(peer, &ufrag) {
            return None;
        }
        let list = self.addrs.entry(peer).or_default();
        if list.len() >= MAX_ADDRS_PER_PEER {
            let oldest = list.remove(0);
            self.by_addr.remove(&oldest);
        }
        list.push(from);
        self.by_addr.insert(from, peer);
        Some(peer)
    }

    /// Forgets every address of `peer`.
    pub fn forget(&mut self, peer: PeerId) {
        for addr in self.addrs.remove(&peer).unwrap_or_default() {
            self.by_addr.remove(&addr);
        }
    }

    /// How many addresses are known.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_addr.len()
    }

    /// Whether no address is known.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.by_addr.is_empty()
    }
}

/// The local (first) half of a STUN request's USERNAME, if `data` is one.
fn stun_local_ufrag(data: &[u8]) -> Option<String> {
    if !is_stun_message(data) {
        return None;
    }
    let mut stun = Message::new();
    stun.unmarshal_binary(data).ok()?;
    let username = Username::get_from_as(&stun, ATTR_USERNAME).ok()?;
    Some(username.text.split_once(':')?.0.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::stun::message::{BINDING_REQUEST, Setter, TransactionId};

    fn binding(username: &str) -> Vec<u8> {
        let mut m = Message::new();
        let attrs: Vec<Box<dyn Setter>> = vec![
            Box::new(BINDING_REQUEST),
            Box::new(TransactionId::new()),
            Box::new(Username::new(ATTR_USERNAME, username.to_owned())),
        ];
        m.build(&attrs).expect("build");
        m.raw.clone()
    }

    #[test]
    fn ufrags_name_their_peer() {
        let u = local_ufrag(PeerId(0x2a), "abcdEFGH");
        assert_eq!(u, "p2a+abcdEFGH");
        assert_eq!(peer_of_ufrag(&u), Some(PeerId(42)));
        assert_eq!(peer_of_ufrag("zz+x"), None);
        assert_eq!(peer_of_ufrag("pzz+x"), None);
    }

    #[test]
    fn a_new_address_is_learnt_only_from_a_request_for_a_known_peer() {
        let mut d = Demux::default();
        let a = Remote::udp("127.0.0.1:5000".parse().expect("addr"));
        let ours = local_ufrag(PeerId(7), "secretXY");
        let known = |p: PeerId, u: &str| p == PeerId(7) && u == ours;
        // Media from an unknown address is not routed.
        assert_eq!(d.route(a, &[0x80, 0x60, 0, 1], known), None);
        // A request naming someone else's ufrag, or a guessed one, is not either.
        assert_eq!(d.route(a, &binding("p7+guessed:browser"), known), None);
        assert_eq!(d.route(a, &binding("p8+secretXY:browser"), known), None);
        assert!(d.is_empty());
        // The right one binds the address, and then media from it is routed.
        assert_eq!(
            d.route(a, &binding(&format!("{ours}:browser")), known),
            Some(PeerId(7))
        );
        assert_eq!(d.route(a, &[0x80, 0x60, 0, 1], known), Some(PeerId(7)));
        d.forget(PeerId(7));
        assert_eq!(d.route(a, &[0x80, 0x60, 0, 1], known), None);
    }

    #[test]
    fn the_same_address_over_tcp_is_another_remote() {
        let mut d = Demux::default();
        let addr: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        let ours = local_ufrag(PeerId(3), "z");
        let known = |_: PeerId, u: &str| u == ours;
        let request = binding(&format!("{ours}:b"));
        assert_eq!(d.route(Remote::udp(addr), &request, known), Some(PeerId(3)));
        // Bound over UDP, the address's TCP connection still has to identify itself.
        assert_eq!(d.route(Remote::tcp(addr), &[0x80, 0x60, 0, 1], known), None);
        assert_eq!(d.route(Remote::tcp(addr), &request, known), Some(PeerId(3)));
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn a_peer_keeps_a_bounded_number_of_addresses() {
        let mut d = Demux::default();
        let ours = local_ufrag(PeerId(1), "k");
        let request = binding(&format!("{ours}:b"));
        for port in 0..10u16 {
            let from = Remote::udp(SocketAddr::from(([127, 0, 0, 1], 6000 + port)));
            assert_eq!(d.route(from, &request, |_, u| u == ours), Some(PeerId(1)));
        }
        assert_eq!(d.len(), MAX_ADDRS_PER_PEER);
    }
}
