//! A world without a network for the media core: simulated participants, each an `rtc` peer
//! connection of its own (a standard WebRTC stack, as a browser would be), exchange datagrams
//! with one `Core` in memory, on made-up addresses, with time moved by hand. Offers are answered
//! like a browser answers them: the first one by publishing a microphone and a camera.

use super::super::MediaMap;
use super::super::core::{Core, CoreConfig, MeetingKey, Output};
use super::super::demux::Remote;
use super::super::select::Selection;
use crate::metrics::Metrics;
use bytes::BytesMut;
use plenary_shared::ids::{ParticipantId, RoomId};
use plenary_shared::media::{ClientSignal, ReceivedTrack, ServerSignal, Source};
use plenary_shared::meeting::rooms::Place;
use rtc::crypto::{self, SignatureScheme};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::RTCPeerConnection;
use rtc::peer_connection::RTCPeerConnectionBuilder;
use rtc::peer_connection::certificate::{CertificateParams, RTCCertificate};
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::MediaEngine;
use rtc::peer_connection::message::RTCMessage;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::rtp::{Header, Packet};
use rtc::rtp_transceiver::RTCRtpSenderId;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const MEETING: MeetingKey = 1;

/// Where the core's one socket is, in this world.
pub fn server_addr() -> SocketAddr {
    "192.0.2.1:10000"
        .parse()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
}

/// One packet a participant received: on which track, numbered how, and whose it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub track: String,
    pub ssrc: u32,
    pub seq: u16,
    /// The publisher and source the payload says it came from, and its counter.
    pub from: u32,
    pub source: u8,
    pub counter: u32,
}

pub struct Sim {
    pub who: ParticipantId,
    pub addr: SocketAddr,
    pub pc: RTCPeerConnection,
    pub senders: Vec<(Source, RTCRtpSenderId, u32)>,
    pub got: Vec<Got>,
    pub offers: Vec<ServerSignal>,
    pub failures: Vec<ServerSignal>,
    /// Every `Receiving` the server sent (what the negotiated slots carry).
    pub receiving: Vec<Vec<ReceivedTrack>>,
    /// Every `Speakers` the server sent: the active speaker and who speaks.
    pub speakers: Vec<(Option<ParticipantId>, Vec<ParticipantId>)>,
    /// The audio level stamped on every microphone packet (RFC 6464), if any.
    pub level: Option<u8>,
    /// The audio level extension's id, from the server's offer.
    level_id: Option<u8>,
    /// Answer offers (a test may hold them back).
    pub answering: bool,
    counter: u32,
}

pub struct World {
    pub core: Core,
    pub sims: BTreeMap<ParticipantId, Sim>,
    pub places: BTreeMap<ParticipantId, Place>,
    pub muted: Vec<ParticipantId>,
    pub now: Instant,
    pub metrics: Arc<Metrics>,
    pub dropped_signals: Vec<(ParticipantId, ServerSignal)>,
}

fn certificate() -> RTCCertificate {
    let provider = crypto::default_provider().expect("crypto");
    RTCCertificate::generate(
        provider.crypto(),
        SignatureScheme::EcdsaP256Sha256,
        CertificateParams::new(vec!["test".to_owned()]).expect("params"),
    )
    .expect("certificate")
}

/// A room by number (0 is the main session).
pub fn place(n: u32) -> Place {
    if n == 0 {
        Place::Main
    } else {
        Place::Room { room: RoomId(n) }
    }
}

impl World {
    /// A world forwarding every voice and video (slots grow as needed).
    pub fn new() -> World {
        World::selecting(Selection::ALL)
    }

    /// A world whose core selects as `selection` says (with fixed pools of slots).
    pub fn selecting(selection: Selection) -> World {
        let metrics = Arc::new(Metrics::default());
        let config = CoreConfig {
            candidate: server_addr(),
            tcp_candidate: None,
            offer_udp: true,
            certificate: certificate(),
            selection,
        };
        World {
            core: Core::new(config, metrics.clone()),
            sims: BTreeMap::new(),
            places: BTreeMap::new(),
            muted: Vec::new(),
            now: Instant::now(),
            metrics,
            dropped_signals: Vec::new(),
        }
    }

    /// The map as the meeting would send it.
    pub fn map(&self) -> MediaMap {
        let mut by: BTreeMap<Place, Vec<ParticipantId>> = BTreeMap::new();
        for (who, place) in &self.places {
            by.entry(*place).or_default().push(*who);
        }
        MediaMap {
            places: by.into_iter().collect(),
            muted: self.muted.clone(),
        }
    }

    /// Sends the current map to the core.
    pub fn apply_map(&mut self) {
        let map = self.map();
        self.core.handle_map(MEETING, map, self.now);
        self.pump();
    }

    /// Participant `n` joins in `place` and starts media.
    pub fn join(&mut self, n: u32, at: Place) {
        let who = ParticipantId(n);
        self.places.insert(who, at);
        self.apply_map();
        let mut engine = MediaEngine::default();
        engine.register_default_codecs().expect("codecs");
        // Browsers stamp audio levels (RFC 6464) when the offer asks for them.
        engine
            .register_header_extension(
                rtc::rtp_transceiver::rtp_sender::RTCRtpHeaderExtensionCapability {
                    uri: super::super::peer::AUDIO_LEVEL_URI.to_owned(),
                },
                RtpCodecKind::Audio,
                None,
            )
            .expect("audio level extension");
        let registry =
            register_default_interceptors(rtc::interceptor::Registry::new(), &mut engine)
                .expect("interceptors");
        let pc = RTCPeerConnectionBuilder::new()
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .build(self.now)
            .expect("client connection");
        let addr = SocketAddr::from(([198, 51, 100, u8::try_from(n % 250).unwrap_or(1)], 5000));
        self.sims.insert(
            who,
            Sim {
                who,
                addr,
                pc,
                senders: Vec::new(),
                got: Vec::new(),
                offers: Vec::new(),
                failures: Vec::new(),
                receiving: Vec::new(),
                speakers: Vec::new(),
                level: None,
                level_id: None,
                answering: true,
                counter: 0,
            },
        );
        self.core
            .handle_signal(MEETING, who, ClientSignal::Start, self.now);
        self.pump();
    }

    /// Moves `n` to `to`.
    pub fn move_to(&mut self, n: u32, to: Place) {
        self.places.insert(ParticipantId(n), to);
        self.apply_map();
    }

    /// Moves every datagram and signal along until nothing is left to move.
    pub fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(output) = self.core.poll_output() {
                moved = true;
                match output {
                    Output::Transmit { to, data } => {
                        if let Some(sim) = self.sims.values_mut().find(|s| s.addr == to.addr) {
                            let msg = TaggedBytesMut {
                                now: self.now,
                                transport: TransportContext {
                                    local_addr: sim.addr,
                                    peer_addr: server_addr(),
                                    ecn: None,
                                    transport_protocol: TransportProtocol::UDP,
                                },
                                message: data,
                            };
                            let _ = sim.pc.handle_read(msg);
                        }
                    }
                    Output::Signal { who, signal, .. } => self.signal(who, signal),
                }
            }
            let now = self.now;
            let mut out = Vec::new();
            for sim in self.sims.values_mut() {
                while let Some(msg) = sim.pc.poll_write() {
                    out.push((sim.addr, msg.message));
                }
                while let Some(msg) = sim.pc.poll_read() {
                    if let RTCMessage::RtpPacket(track, packet) = msg.message {
                        sim.got.push(got(track, &packet));
                    }
                }
                while sim.pc.poll_event().is_some() {}
            }
            for (from, data) in out {
                moved = true;
                self.core.handle_datagram(now, Remote::udp(from), data);
            }
            if !moved {
                return;
            }
        }
        panic!("the world never settled");
    }

    fn signal(&mut self, who: ParticipantId, signal: ServerSignal) {
        let Some(sim) = self.sims.get_mut(&who) else {
            self.dropped_signals.push((who, signal));
            return;
        };
        match &signal {
            ServerSignal::Offer { sdp, .. } => {
                sim.offers.push(signal.clone());
                if sim.answering {
                    let answer = sim.answer(sdp, self.now);
                    self.core.handle_signal(
                        MEETING,
                        who,
                        ClientSignal::Answer { sdp: answer },
                        self.now,
                    );
                }
            }
            ServerSignal::Failed { .. } => sim.failures.push(signal),
            ServerSignal::Receiving { receive } => sim.receiving.push(receive.clone()),
            ServerSignal::Speakers { active, speaking } => {
                sim.speakers.push((*active, speaking.clone()));
            }
        }
    }

    /// Answers `n`'s latest offer now (after holding it back).
    pub fn answer_now(&mut self, n: u32) {
        let who = ParticipantId(n);
        let Some(sim) = self.sims.get_mut(&who) else {
            return;
        };
        sim.answering = true;
        let Some(ServerSignal::Offer { sdp, .. }) = sim.offers.last().cloned() else {
            return;
        };
        let answer = sim.answer(&sdp, self.now);
        self.core
            .handle_signal(MEETING, who, ClientSignal::Answer { sdp: answer }, self.now);
        self.pump();
    }

    /// Moves time on by `ms`, in steps, letting every timer fire.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + Duration::from_millis(ms);
        while self.now < end {
            self.now = (self.now + Duration::from_millis(10)).min(end);
            self.core.handle_timeout(self.now);
            for sim in self.sims.values_mut() {
                let _ = sim.pc.handle_timeout(self.now);
            }
            self.pump();
        }
    }

    /// `n` sends `count` packets on each of its sources, a video keyframe first if `keyframe`.
    pub fn send(&mut self, n: u32, count: u32, keyframe: bool) {
        let now = self.now;
        if let Some(sim) = self.sims.get_mut(&ParticipantId(n)) {
            for i in 0..count {
                sim.counter += 1;
                let counter = sim.counter;
                for (source, sender, ssrc) in sim.senders.clone() {
                    let key = keyframe && i == 0;
                    let mut packet = media_packet(n, source, ssrc, counter, key);
                    if let (true, Some(level), Some(id)) =
                        (source.is_audio(), sim.level, sim.level_id)
                    {
                        packet
                            .header
                            .set_extension(id, bytes::Bytes::copy_from_slice(&[level]))
                            .expect("an audio level extension");
                    }
                    if let Some(mut s) = sim.pc.rtp_sender(sender) {
                        let _ = s.write_rtp(now, packet);
                    }
                }
            }
        }
        self.pump();
    }

    /// Connects everyone and gets their media going, as browsers that are always sending: time
    /// for ICE and DTLS, a packet from each (the server learns of a track from its first
    /// packet, then offers it to the others), and time for those offers and answers.
    pub fn settle(&mut self) {
        self.advance(500);
        let everyone: Vec<u32> = self.sims.keys().map(|w| w.0).collect();
        for n in everyone {
            self.send(n, 1, true);
        }
        self.advance(500);
    }

    pub fn sim(&self, n: u32) -> &Sim {
        &self.sims[&ParticipantId(n)]
    }

    pub fn sim_mut(&mut self, n: u32) -> &mut Sim {
        self.sims
            .get_mut(&ParticipantId(n))
            .expect("a simulated participant")
    }

    /// Forgets what everyone received so far.
    pub fn clear(&mut self) {
        for sim in self.sims.values_mut() {
            sim.got.clear();
        }
    }

    /// `n` leaves the meeting.
    pub fn leave(&mut self, n: u32) {
        self.places.remove(&ParticipantId(n));
        self.sims.remove(&ParticipantId(n));
        self.apply_map();
    }
}

impl Sim {
    fn answer(&mut self, sdp: &str, now: Instant) -> String {
        self.level_id = super::super::peer::audio_level_id(sdp);
        let offer = RTCSessionDescription::offer(sdp.to_owned()).expect("offer");
        self.pc
            .set_remote_description(now, offer)
            .expect("remote offer");
        let first = self.senders.is_empty();
        if first {
            for source in [Source::Microphone, Source::Camera] {
                let ssrc = 10_000 + self.who.0 * 10 + u32::from(tag(source));
                let kind = if source.is_audio() {
                    RtpCodecKind::Audio
                } else {
                    RtpCodecKind::Video
                };
                let track = MediaStreamTrack::new(
                    format!("stream{}", self.who.0),
                    format!("{source:?}{}", self.who.0),
                    format!("{source:?}"),
                    kind,
                    vec![RTCRtpEncodingParameters {
                        rtp_coding_parameters: RTCRtpCodingParameters {
                            ssrc: Some(ssrc),
                            ..Default::default()
                        },
                        codec: super::super::peer::codec(kind),
                        ..Default::default()
                    }],
                );
                let sender = self.pc.add_track(track).expect("publish");
                self.senders.push((source, sender, ssrc));
            }
        }
        let answer = self.pc.create_answer(None).expect("answer");
        self.pc
            .set_local_description(now, answer)
            .expect("local answer");
        if first {
            let host = super::super::peer::host_candidate(self.addr, false).expect("candidate");
            self.pc.add_local_candidate(host).expect("add candidate");
            self.pc
                .add_local_candidate(Default::default())
                .expect("end of candidates");
        }
        self.pc.local_description().expect("described").sdp
    }

    /// Who `self` received media from (by payload), and of which source.
    pub fn feeds(&self) -> std::collections::BTreeSet<(u32, u8)> {
        self.got.iter().map(|g| (g.from, g.source)).collect()
    }
}

pub fn tag(source: Source) -> u8 {
    match source {
        Source::Microphone => 1,
        Source::Camera => 2,
        Source::Screen => 3,
    }
}

/// A packet whose payload says who sent it, which source, and its counter; video carries a
/// VP8 payload descriptor (a keyframe when `key`).
fn media_packet(from: u32, source: Source, ssrc: u32, counter: u32, key: bool) -> Packet {
    let mut payload = Vec::new();
    if !source.is_audio() {
        payload.extend_from_slice(&[0x10, if key { 0x00 } else { 0x01 }]);
    }
    payload.extend_from_slice(&from.to_be_bytes());
    payload.push(tag(source));
    payload.extend_from_slice(&counter.to_be_bytes());
    Packet {
        header: Header {
            version: 2,
            marker: true,
            payload_type: if source.is_audio() { 111 } else { 96 },
            sequence_number: u16::try_from(counter % 65_536).unwrap_or(0),
            timestamp: counter.wrapping_mul(if source.is_audio() { 960 } else { 3000 }),
            ssrc,
            ..Default::default()
        },
        payload: BytesMut::from(&payload[..]).freeze(),
    }
}

fn got(track: String, packet: &Packet) -> Got {
    let p = &packet.payload;
    let skip = if packet.header.payload_type == 96 {
        2
    } else {
        0
    };
    let word = |at: usize| {
        p.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .unwrap_or(0)
    };
    Got {
        track,
        ssrc: packet.header.ssrc,
        seq: packet.header.sequence_number,
        from: word(skip),
        source: p.get(skip + 4).copied().unwrap_or(0),
        counter: word(skip + 5),
    }
}
