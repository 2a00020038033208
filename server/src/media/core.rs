//! The forwarding core, in the engine's own style (like str0m's `Rtc`): a plain value fed
//! inputs — a datagram from an address, a meeting's new `MediaMap`, a participant's signalling,
//! a reconnect, a timeout — that yields outputs: datagrams to send and signals for participants.
//! No socket, task or clock inside (time comes with every input), so it is tested without a
//! network; `engine.rs` is the thin socket loop around it.
//!
//! It holds every media connection of the server: one `rtc` peer connection per participant,
//! all behind one UDP socket, told apart by `demux.rs`. Who may receive whom is the meeting's
//! `MediaMap` (the rule lives in `shared`); which receiving slot carries which feed, and when it
//! may switch, is `slots.rs` and `forward.rs`. Media is re-pointed when the map arrives, before
//! the meeting's actor tells anyone they moved.

use super::connections::send_pli;
use super::demux::{Demux, PeerId, Remote};
use super::forward::{frame_step, is_vp8_keyframe};
use super::peer::{Peer, audio_level, is_keyframe_request, kind_of, payload_type};
use super::select::{Selection, Stage};
use super::{MediaError, MediaMap};
use crate::metrics::Metrics;
use bytes::BytesMut;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ClientSignal, ServerSignal, Source};
use plenary_shared::meeting::rooms::Place;
use rtc::peer_connection::certificate::RTCCertificate;
use rtc::peer_connection::event::{RTCPeerConnectionEvent, RTCTrackEvent};
use rtc::peer_connection::message::RTCMessage;
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A meeting, as the media layer numbers them.
pub type MeetingKey = u64;

/// How long an offer waits for its answer before it is sent again, and how often.
pub const OFFER_TIMEOUT: Duration = Duration::from_secs(10);
pub const OFFER_TRIES: u8 = 3;

/// What the core gives back.
#[derive(Debug)]
pub enum Output {
    /// A datagram for the network (over TCP, one RFC 4571 frame).
    Transmit { to: Remote, data: BytesMut },
    /// Signalling for one participant, to go through their meeting's actor.
    Signal {
        meeting: MeetingKey,
        who: ParticipantId,
        signal: ServerSignal,
    },
}

impl Output {
    /// What a connection wrote, to go out on the transport it names.
    pub(super) fn transmit(msg: TaggedBytesMut) -> Output {
        Output::Transmit {
            to: Remote {
                transport: msg.transport.transport_protocol,
                addr: msg.transport.peer_addr,
            },
            data: msg.message,
        }
    }
}

/// How the core reaches the network.
#[derive(Clone)]
pub struct CoreConfig {
    /// The address browsers are told to send UDP to (the socket's, or the one announced for it).
    pub candidate: SocketAddr,
    /// The same for the ICE-TCP listener, if there is one.
    pub tcp_candidate: Option<SocketAddr>,
    /// Whether offers carry the UDP candidate (only tests leave it out, to force TCP).
    pub offer_udp: bool,
    /// One DTLS certificate for every connection.
    pub certificate: RTCCertificate,
    /// How many voices and videos each receiver gets at most.
    pub selection: Selection,
}

/// One meeting's rules and people, as the media layer knows them.
#[derive(Default)]
pub(super) struct MeetingMedia {
    pub map: MediaMap,
    pub peers: BTreeMap<ParticipantId, PeerId>,
    /// Who speaks in each place.
    pub stages: BTreeMap<Place, Stage>,
    /// When the places' speakers are next decided again.
    pub next_restage: Option<Instant>,
}

/// Every media connection of the server.
pub struct Core {
    pub(super) config: CoreConfig,
    pub(super) meetings: HashMap<MeetingKey, MeetingMedia>,
    pub(super) peers: HashMap<PeerId, Peer>,
    pub(super) demux: Demux,
    pub(super) next_peer: u32,
    pub(super) outputs: VecDeque<Output>,
    timers: BinaryHeap<Reverse<(Instant, PeerId)>>,
    pub(super) touched: Vec<PeerId>,
    /// For each published feed, the receivers' slots it goes to.
    pub(super) routes: HashMap<(PeerId, Source), Vec<(PeerId, usize)>>,
    pub(super) metrics: Arc<Metrics>,
}

impl Core {
    pub fn new(config: CoreConfig, metrics: Arc<Metrics>) -> Core {
        Core {
            config,
            meetings: HashMap::new(),
            peers: HashMap::new(),
            demux: Demux::default(),
            next_peer: 1,
            outputs: VecDeque::new(),
            timers: BinaryHeap::new(),
            touched: Vec::new(),
            routes: HashMap::new(),
            metrics,
        }
    }

    /// A datagram arrived on the media socket (or a frame on an ICE-TCP connection). `false`
    /// when it belongs to no connection (a TCP connection that sends such is closed).
    pub fn handle_datagram(&mut self, now: Instant, from: Remote, data: BytesMut) -> bool {
        let peers = &self.peers;
        let known = |p: PeerId, ufrag: &str| peers.get(&p).is_some_and(|peer| peer.ufrag == ufrag);
        let Some(pid) = self.demux.route(from, &data, known) else {
            Metrics::bump(&self.metrics.media_unroutable);
            return false;
        };
        let Some(peer) = self.peers.get_mut(&pid) else {
            return false;
        };
        // The agent knows its own address as the one in its candidates.
        let local_addr = match from.transport {
            TransportProtocol::TCP => self.config.tcp_candidate.unwrap_or(self.config.candidate),
            _ => self.config.candidate,
        };
        let msg = TaggedBytesMut {
            now,
            transport: TransportContext {
                local_addr,
                peer_addr: from.addr,
                ecn: None,
                transport_protocol: from.transport,
            },
            message: data,
        };
        if let Err(e) = peer.pc.handle_read(msg) {
            tracing::debug!(error = %e, "media datagram not handled");
        }
        self.touch(pid);
        self.pump(pid, now);
        true
    }

    /// A meeting's forwarding rules changed: re-point everything now. People no longer in the
    /// map lose their connection.
    pub fn handle_map(&mut self, meeting: MeetingKey, map: MediaMap, now: Instant) {
        let media = self.meetings.entry(meeting).or_default();
        media.map = map;
        let gone: Vec<PeerId> = media
            .peers
            .iter()
            .filter(|(who, _)| !media.map.includes(**who))
            .map(|(_, pid)| *pid)
            .collect();
        for pid in gone {
            self.drop_peer(pid, None, now);
        }
        // A host mute or a move changes who may be heard at once.
        self.restage(meeting, now);
        self.reconcile(meeting, now);
    }

    /// A meeting is gone: every connection in it closes.
    pub fn forget_meeting(&mut self, meeting: MeetingKey, now: Instant) {
        let pids: Vec<PeerId> = self
            .meetings
            .get(&meeting)
            .map(|m| m.peers.values().copied().collect())
            .unwrap_or_default();
        for pid in pids {
            self.drop_peer(pid, None, now);
        }
        self.meetings.remove(&meeting);
    }

    /// Signalling from a participant.
    pub fn handle_signal(
        &mut self,
        meeting: MeetingKey,
        who: ParticipantId,
        signal: ClientSignal,
        now: Instant,
    ) {
        let result = match signal {
            ClientSignal::Start => self.start(meeting, who, now),
            ClientSignal::Answer { sdp } => self.answer(meeting, who, sdp, now),
            ClientSignal::Sending { source, on } => {
                self.set_sending(meeting, who, source, on, now);
                Ok(())
            }
            ClientSignal::View { tiles } => {
                self.set_view(meeting, who, tiles, now);
                Ok(())
            }
            ClientSignal::Stop => {
                if let Some(pid) = self.peer_of(meeting, who) {
                    self.drop_peer(pid, None, now);
                    self.reconcile(meeting, now);
                }
                Ok(())
            }
        };
        if let Err(e) = result {
            tracing::warn!(participant = %who, error = %e, "media set-up failed");
            if !matches!(e, MediaError::NoOfferPending)
                && let Some(pid) = self.peer_of(meeting, who)
            {
                self.drop_peer(pid, None, now);
                self.reconcile(meeting, now);
            }
            self.report(meeting, who, &e);
        }
    }

    /// A participant's signalling connection is back (a new socket): an offer they may have
    /// missed goes again.
    pub fn handle_reconnected(&mut self, meeting: MeetingKey, who: ParticipantId) {
        let Some(pid) = self.peer_of(meeting, who) else {
            return;
        };
        if let Some(pending) = self.peers.get(&pid).and_then(|p| p.pending.clone()) {
            self.outputs.push_back(Output::Signal {
                meeting,
                who,
                signal: pending.signal,
            });
        }
    }

    /// Timers due at `now`: the connections' own, deferred keyframe requests, offers unanswered.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, pid))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(peer) = self.peers.get_mut(&pid) else {
                continue;
            };
            if peer.deadline != Some(at) {
                continue; // superseded by a later schedule
            }
            peer.deadline = None;
            if let Err(e) = peer.pc.handle_timeout(now) {
                tracing::debug!(error = %e, "media timeout not handled");
            }
            self.deferred_keyframes(pid, now);
            self.offer_timeout(pid, now);
            self.touch(pid);
            self.pump(pid, now);
        }
    }

    /// The next thing to send or to tell someone.
    pub fn poll_output(&mut self) -> Option<Output> {
        if self.outputs.is_empty() {
            self.flush_touched();
        }
        self.outputs.pop_front()
    }

    /// When `handle_timeout` is next due.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.flush_touched();
        while let Some(Reverse((at, pid))) = self.timers.peek().copied() {
            if self.peers.get(&pid).is_some_and(|p| p.deadline == Some(at)) {
                return Some(at);
            }
            self.timers.pop();
        }
        None
    }

    /// How many connections are open.
    #[cfg(test)]
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    pub(super) fn peer_of(&self, meeting: MeetingKey, who: ParticipantId) -> Option<PeerId> {
        self.meetings.get(&meeting)?.peers.get(&who).copied()
    }

    pub(super) fn touch(&mut self, pid: PeerId) {
        if let Some(peer) = self.peers.get_mut(&pid)
            && !peer.touched
        {
            peer.touched = true;
            self.touched.push(pid);
        }
    }

    /// Collects what touched connections have to send, and re-arms their timers.
    fn flush_touched(&mut self) {
        for pid in std::mem::take(&mut self.touched) {
            let Some(peer) = self.peers.get_mut(&pid) else {
                continue;
            };
            peer.touched = false;
            if peer.remap && peer.pending.is_none() && !peer.dirty {
                peer.remap = false;
                let receive = peer.receiving();
                if receive != peer.announced {
                    peer.announced = receive.clone();
                    self.outputs.push_back(Output::Signal {
                        meeting: peer.meeting,
                        who: peer.who,
                        signal: ServerSignal::Receiving { receive },
                    });
                }
            }
            while let Some(msg) = peer.pc.poll_write() {
                self.outputs.push_back(Output::transmit(msg));
            }
            let deadline = [
                peer.pc.poll_timeout(),
                peer.pending.as_ref().map(|p| p.sent_at + OFFER_TIMEOUT),
                peer.published
                    .values()
                    .filter_map(|p| p.keyframes.due())
                    .min(),
            ]
            .into_iter()
            .flatten()
            .min();
            if deadline != peer.deadline {
                peer.deadline = deadline;
                if let Some(at) = deadline {
                    self.timers.push(Reverse((at, pid)));
                }
            }
        }
    }

    /// Acts on what a connection has for us: state changes, new tracks, media, feedback.
    fn pump(&mut self, pid: PeerId, now: Instant) {
        let mut events = Vec::new();
        let mut failed = false;
        {
            let Some(peer) = self.peers.get_mut(&pid) else {
                return;
            };
            while let Some(event) = peer.pc.poll_event() {
                events.push(event);
            }
        }
        for event in events {
            match event {
                RTCPeerConnectionEvent::OnTrack(RTCTrackEvent::OnOpen(init)) => {
                    self.on_track(pid, init.track_id, init.receiver_id, init.ssrc, now);
                }
                RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) => match state {
                    RTCPeerConnectionState::Connected => self.on_up(pid, now),
                    RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                        failed = true;
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        if failed {
            self.fail(pid, MediaError::ConnectionLost, now);
            return;
        }
        loop {
            let message = match self.peers.get_mut(&pid) {
                Some(peer) => peer.pc.poll_read(),
                None => return,
            };
            let Some(message) = message else {
                break;
            };
            match message.message {
                RTCMessage::RtpPacket(_, packet) => {
                    let ssrc = packet.header.ssrc;
                    let source = self
                        .peers
                        .get(&pid)
                        .and_then(|p| p.sources_by_ssrc.get(&ssrc))
                        .copied();
                    if let Some(source) = source {
                        self.forward(pid, source, packet, now);
                    }
                }
                RTCMessage::RtcpPacket(track, packets)
                    if packets.iter().any(|p| is_keyframe_request(p.as_ref())) =>
                {
                    self.relay_keyframe_request(pid, &track, now);
                }
                _ => {}
            }
        }
    }

    /// One publisher's packet to every slot that carries it now.
    fn forward(
        &mut self,
        publisher: PeerId,
        source: Source,
        mut packet: rtc::rtp::Packet,
        now: Instant,
    ) {
        if packet.header.payload_type != payload_type(kind_of(source)) {
            return;
        }
        let Some(peer) = self.peers.get_mut(&publisher) else {
            return;
        };
        if peer.paused.contains(&source) {
            return;
        }
        let keyframe = !source.is_audio() && is_vp8_keyframe(&packet.payload);
        if keyframe && let Some(published) = peer.published.get_mut(&source) {
            published.keyframes.keyframe();
        }
        if source.is_audio() {
            let level = peer
                .audio_level_id
                .and_then(|id| packet.header.get_extension(id))
                .and_then(|ext| audio_level(&ext));
            if let Some(level) = level {
                peer.voice.hear(level, now);
            }
            let meeting = peer.meeting;
            self.restage_if_due(meeting, now);
        }
        let Some(targets) = self.routes.get_mut(&(publisher, source)) else {
            return;
        };
        let targets = std::mem::take(targets);
        // Header extensions belong to the publisher's leg; the receiving legs route by the SSRCs
        // their offers declared, so none is carried over.
        packet.header.extension = false;
        packet.header.extension_profile = 0;
        packet.header.extensions.clear();
        let step = frame_step(source);
        let mut forwarded = 0u64;
        let mut waiting = false;
        for &(receiver, index) in &targets {
            let Some(peer) = self.peers.get_mut(&receiver) else {
                continue;
            };
            if !peer.up {
                continue;
            }
            let Some(slot) = peer.slots.get_mut(index) else {
                continue;
            };
            if !slot.negotiated {
                continue;
            }
            if slot.awaiting_keyframe {
                if !keyframe {
                    waiting = true;
                    continue;
                }
                slot.awaiting_keyframe = false;
                // The client sees the new feed from this keyframe on.
                slot.shown = slot.carries;
                peer.remap = true;
            }
            let mut copy = packet.clone();
            let (seq, ts) =
                slot.rewrite
                    .apply(packet.header.sequence_number, packet.header.timestamp, step);
            copy.header.ssrc = slot.ssrc;
            copy.header.sequence_number = seq;
            copy.header.timestamp = ts;
            let sender = slot.sender;
            let written = peer
                .pc
                .rtp_sender(sender)
                .map(|mut s| s.write_rtp(now, copy));
            if let Some(Ok(())) = written {
                forwarded += 1;
                if !peer.touched {
                    peer.touched = true;
                    self.touched.push(receiver);
                }
            }
        }
        if let Some(slot) = self.routes.get_mut(&(publisher, source)) {
            *slot = targets;
        }
        // A slot still waits for a keyframe: the request may have been lost (or sent before the
        // publisher could act on it), so ask again, at most once per `KEYFRAME_EVERY`.
        if waiting {
            self.request_keyframe(publisher, source, now);
        }
        if forwarded > 0 {
            self.metrics
                .media_packets_forwarded
                .fetch_add(forwarded, Ordering::Relaxed);
        }
    }

    /// A receiver asked for a keyframe on one of its slots: ask the publisher behind it.
    fn relay_keyframe_request(&mut self, receiver: PeerId, track: &str, now: Instant) {
        let Some(peer) = self.peers.get(&receiver) else {
            return;
        };
        let Some(index) = peer.slot_of_track.get(track) else {
            return;
        };
        let Some((who, source)) = peer.slots.get(*index).and_then(|s| s.carries) else {
            return;
        };
        let meeting = peer.meeting;
        Metrics::bump(&self.metrics.media_keyframe_requests_relayed);
        if let Some(publisher) = self.peer_of(meeting, who) {
            self.request_keyframe(publisher, source, now);
        }
    }

    /// Asks `publisher` for a keyframe of `source` through its `KeyframeGate` (a request held
    /// back is sent when its time comes, unless a keyframe serves it first).
    pub(super) fn request_keyframe(&mut self, publisher: PeerId, source: Source, now: Instant) {
        if source.is_audio() {
            return;
        }
        let Some(peer) = self.peers.get_mut(&publisher) else {
            return;
        };
        let Some(published) = peer.published.get_mut(&source) else {
            return;
        };
        if published.keyframes.request(now) {
            send_pli(peer, source, now);
            Metrics::bump(&self.metrics.media_keyframe_requests_sent);
        }
        self.touch(publisher);
    }

    fn deferred_keyframes(&mut self, pid: PeerId, now: Instant) {
        let Some(peer) = self.peers.get_mut(&pid) else {
            return;
        };
        let due: Vec<Source> = peer
            .published
            .iter_mut()
            .filter_map(|(s, p)| p.keyframes.poll(now).then_some(*s))
            .collect();
        for source in due {
            send_pli(peer, source, now);
        }
    }
}

/// Whether a slot of `kind` can carry `source`.
pub(super) fn fits(kind: RtpCodecKind, source: Source) -> bool {
    kind == kind_of(source)
}
