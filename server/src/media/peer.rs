//! One participant's connection as the core holds it: an `rtc` peer connection (webrtc-rs's
//! sans-IO core, driven directly: no tasks, no socket of its own) built the way the SFU needs it
//! — ICE-lite with a ufrag the server chose, one host candidate on the shared media socket, one
//! certificate for all, only Opus and VP8 (so every leg uses the same payload types), the default
//! NACK / report / transport-cc interceptors, keyframe requests handed to the application — and
//! the bookkeeping around it: its three publishing slots, the receiving slots re-pointed as
//! people move, and the offer in flight.

use super::MediaError;
use super::forward::{Feed, KeyframeGate, Rewrite};
use super::select::Voice;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ReceivedTrack, ServerSignal, Source, Tile};
use rtc::ice::tcp_type::TcpType;
use rtc::interceptor::{
    Attribute, Interceptor, Packet, Registry, Slot as InterceptorSlot, StreamInfo, TaggedPacket,
};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::RTCPeerConnection;
use rtc::peer_connection::RTCPeerConnectionBuilder;
use rtc::peer_connection::certificate::RTCCertificate;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::transport::{
    CandidateConfig, CandidateHostConfig, RTCIceCandidate, RTCIceCandidateInit,
};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RTCRtpHeaderExtensionCapability, RtpCodecKind,
};
use rtc::rtp_transceiver::{
    RTCRtpReceiverId, RTCRtpSenderId, RTCRtpTransceiverDirection, RTCRtpTransceiverId,
    RTCRtpTransceiverInit,
};
use rtc::sansio::Protocol;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

/// Where the interceptor that hands keyframe requests to the application sits: after every
/// default one, so they have all seen the RTCP first.
const KEYFRAME_SLOT: usize = 14_000;

/// Opus at 48 kHz stereo: payload type 111 on every leg.
pub const OPUS_PT: u8 = 111;
/// VP8: payload type 96 on every leg.
pub const VP8_PT: u8 = 96;

/// The payload type this SFU uses for one kind of media.
pub fn payload_type(kind: RtpCodecKind) -> u8 {
    if kind == RtpCodecKind::Audio {
        OPUS_PT
    } else {
        VP8_PT
    }
}

pub fn kind_of(source: Source) -> RtpCodecKind {
    if source.is_audio() {
        RtpCodecKind::Audio
    } else {
        RtpCodecKind::Video
    }
}

/// The codecs every connection negotiates.
pub fn codec(kind: RtpCodecKind) -> RTCRtpCodec {
    if kind == RtpCodecKind::Audio {
        RTCRtpCodec {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: 48_000,
            channels: 2,
            sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
            rtcp_feedback: vec![],
        }
    } else {
        let fb = |typ: &str, parameter: &str| RTCPFeedback {
            typ: typ.to_owned(),
            parameter: parameter.to_owned(),
        };
        RTCRtpCodec {
            mime_type: MIME_TYPE_VP8.to_owned(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![
                fb("goog-remb", ""),
                fb("ccm", "fir"),
                fb("nack", ""),
                fb("nack", "pli"),
            ],
        }
    }
}

/// The audio level header extension (RFC 6464): every publisher stamps each audio packet with
/// its level, which the loudest-voices selection reads.
pub const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

fn media_engine() -> Result<MediaEngine, MediaError> {
    let mut engine = MediaEngine::default();
    for kind in [RtpCodecKind::Audio, RtpCodecKind::Video] {
        engine.register_codec(
            RTCRtpCodecParameters {
                rtp_codec: codec(kind),
                payload_type: payload_type(kind),
            },
            kind,
        )?;
    }
    engine.register_header_extension(
        RTCRtpHeaderExtensionCapability {
            uri: AUDIO_LEVEL_URI.to_owned(),
        },
        RtpCodecKind::Audio,
        Some(RTCRtpTransceiverDirection::Recvonly),
    )?;
    Ok(engine)
}

/// The id our description gave the audio level extension (the answer must keep it, RFC 8285).
pub fn audio_level_id(sdp: &str) -> Option<u8> {
    sdp.lines().find_map(|line| {
        let rest = line.trim_end().strip_prefix("a=extmap:")?;
        let (id, uri) = rest.split_once(' ')?;
        let id = id.split('/').next()?;
        (uri.trim() == AUDIO_LEVEL_URI)
            .then(|| id.parse().ok())
            .flatten()
    })
}

/// The level (0 loudest … 127 silence) an audio level extension carries.
pub fn audio_level(extension: &[u8]) -> Option<u8> {
    extension.first().map(|b| b & 0x7f)
}

/// A new connection: ICE-lite answering to `ufrag`/`pwd` (so the demultiplexer can tell whose
/// a STUN request is), with `certificate`.
pub fn build_pc(
    certificate: &RTCCertificate,
    ufrag: String,
    pwd: String,
    now: Instant,
) -> Result<RTCPeerConnection, MediaError> {
    let mut engine = media_engine()?;
    let registry = register_default_interceptors(Registry::new(), &mut engine)?.with(
        InterceptorSlot::from(KEYFRAME_SLOT),
        KeyframeRequests::default(),
    );
    let settings = SettingEngineBuilder::new()
        .with_lite(true)
        .with_ice_credentials(ufrag, pwd)
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .build();
    let configuration = RTCConfigurationBuilder::new()
        .with_certificates(vec![certificate.clone()])
        .build();
    Ok(RTCPeerConnectionBuilder::new()
        .with_configuration(configuration)
        .with_media_engine(engine)
        .with_setting_engine(settings)
        .with_interceptor_registry(registry)
        .build(now)?)
}

/// A host candidate every connection offers: the shared media socket, or the ICE-TCP listener
/// (or the address announced for either).
pub fn host_candidate(addr: SocketAddr, tcp: bool) -> Result<RTCIceCandidateInit, MediaError> {
    let candidate = CandidateHostConfig {
        base_config: CandidateConfig {
            network: if tcp { "tcp" } else { "udp" }.to_owned(),
            address: addr.ip().to_string(),
            port: addr.port(),
            component: 1,
            ..Default::default()
        },
        // The server only listens: browsers connect out (RFC 6544's passive candidate).
        tcp_type: if tcp {
            TcpType::Passive
        } else {
            TcpType::Unspecified
        },
    }
    .new_candidate_host()?;
    Ok(RTCIceCandidate::from(&candidate).to_json()?)
}

/// The description of one receiving slot's track, fixed for the slot's life (the connection
/// routes RTCP by it, and the client learns whose media it carries from the offer's list).
pub fn slot_track(slot: usize, kind: RtpCodecKind, ssrc: u32) -> MediaStreamTrack {
    let id = format!("slot{slot}");
    MediaStreamTrack::new(
        id.clone(),
        id.clone(),
        id,
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: codec(kind),
            ..Default::default()
        }],
    )
}

/// Whether an RTCP packet asks for a keyframe.
pub fn is_keyframe_request(packet: &dyn rtc::rtcp::Packet) -> bool {
    let payload = packet.as_any();
    payload.is::<PictureLossIndication>() || payload.is::<FullIntraRequest>()
}

/// What a participant publishes on one of their three slots.
#[derive(Debug)]
pub struct Published {
    pub ssrc: u32,
    pub receiver: RTCRtpReceiverId,
    pub keyframes: KeyframeGate,
}

/// One sending slot on a receiver's connection. Slots are reused as people move, without
/// touching the SDP: a slot keeps its SSRC for life, and `rewrite` keeps its stream continuous.
#[derive(Debug)]
pub struct Slot {
    pub kind: RtpCodecKind,
    pub sender: RTCRtpSenderId,
    pub transceiver: RTCRtpTransceiverId,
    pub ssrc: u32,
    /// The feed it carries now.
    pub carries: Option<Feed>,
    /// The feed the client should show on it: a video slot re-pointed after it was negotiated
    /// shows its new feed only from the keyframe that feed starts with (and nothing between).
    pub shown: Option<Feed>,
    /// Declared in an offer that the client has answered: media may flow into it.
    pub negotiated: bool,
    /// Declared in the offer now waiting for an answer.
    pub offered: bool,
    pub rewrite: Rewrite,
    /// A video slot re-pointed to a new feed forwards nothing until that feed's next keyframe.
    pub awaiting_keyframe: bool,
}

/// An offer sent and not yet answered, kept to send again (after a reconnect, or a timeout).
#[derive(Debug, Clone)]
pub struct PendingOffer {
    pub signal: ServerSignal,
    pub sent_at: Instant,
    pub tries: u8,
}

/// One participant's connection and what it publishes and receives.
pub struct Peer {
    pub meeting: u64,
    pub who: ParticipantId,
    pub ufrag: String,
    pub pc: RTCPeerConnection,
    /// The three receive-only transceivers the participant publishes on, in `Source::ALL` order.
    pub publish: [RTCRtpTransceiverId; 3],
    /// The source each published SSRC carries (a track id need not be unique: SSRCs are).
    pub sources_by_ssrc: HashMap<u32, Source>,
    pub published: BTreeMap<Source, Published>,
    /// Published sources the participant says they stopped sending (forwarded to nobody).
    pub paused: BTreeSet<Source>,
    pub slots: Vec<Slot>,
    /// Slot index by its track id (`slot{n}`), for the RTCP the receiver sends about it.
    pub slot_of_track: HashMap<String, usize>,
    pub offers: u32,
    pub pending: Option<PendingOffer>,
    /// Slots were added since the last offer: a new offer must declare them.
    pub dirty: bool,
    /// What a negotiated slot carries may have changed: tell the client if it did.
    pub remap: bool,
    /// What the client was last told its slots carry (by an offer or `Receiving`).
    pub announced: Vec<ReceivedTrack>,
    /// Who speaks in the participant's place, as they were last told (`None`: nobody yet).
    pub told_speakers: Option<(Option<ParticipantId>, Vec<ParticipantId>)>,
    /// The tiles the participant's page shows (`None` until it says).
    pub view: Option<Vec<Tile>>,
    /// Their voice, from the levels on their audio packets.
    pub voice: Voice,
    /// The audio level extension's id on this connection, once offered.
    pub audio_level_id: Option<u8>,
    /// ICE and DTLS are up: media sent now arrives.
    pub up: bool,
    /// When the core last scheduled this peer's timer.
    pub deadline: Option<Instant>,
    pub touched: bool,
}

impl Peer {
    /// The published sources being sent now.
    pub fn sources(&self) -> impl Iterator<Item = Source> + '_ {
        self.published
            .keys()
            .copied()
            .filter(|s| !self.paused.contains(s))
    }

    /// A new sending slot of `kind` (declared in the next offer).
    pub fn add_slot(&mut self, kind: RtpCodecKind, ssrc: u32) -> Result<usize, MediaError> {
        let i = self.slots.len();
        let init = RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Sendonly,
            streams: vec![],
            send_encodings: vec![],
        };
        let transceiver = self
            .pc
            .add_transceiver_from_track(slot_track(i, kind, ssrc), Some(init))?;
        let sender = self
            .pc
            .rtp_transceiver(transceiver)
            .and_then(|t| t.sender())
            .ok_or_else(|| MediaError::Internal("a slot without a sender".into()))?;
        self.slot_of_track.insert(format!("slot{i}"), i);
        self.slots.push(Slot {
            kind,
            sender,
            transceiver,
            ssrc,
            carries: None,
            shown: None,
            negotiated: false,
            offered: false,
            rewrite: Default::default(),
            awaiting_keyframe: false,
        });
        self.dirty = true;
        Ok(i)
    }

    /// What the slots carry, as the client should see it now (`Slot::shown`).
    pub fn receiving(&mut self) -> Vec<ReceivedTrack> {
        let mut out = Vec::new();
        for slot in &self.slots {
            let Some((from, source)) = slot.shown else {
                continue;
            };
            let mid = self
                .pc
                .rtp_transceiver(slot.transceiver)
                .and_then(|t| t.mid().clone());
            if let Some(mid) = mid {
                out.push(ReceivedTrack { mid, from, source });
            }
        }
        out
    }

    /// The source a publishing receiver carries.
    pub fn source_of_receiver(&mut self, receiver: RTCRtpReceiverId) -> Option<Source> {
        let mut found = None;
        for (i, t) in self.publish.iter().enumerate() {
            if let Some(transceiver) = self.pc.rtp_transceiver(*t)
                && transceiver.receiver() == Some(receiver)
            {
                found = Source::ALL.get(i).copied();
            }
        }
        found
    }
}

/// Passes inbound PLI and FIR on to the application (inbound RTCP otherwise ends in the
/// interceptor chain); drops every other inbound RTCP packet here, after the default
/// interceptors have acted on it. After webrtc-rs's `rtcp-processing` example.
#[derive(Default)]
pub struct KeyframeRequests {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeRequests {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            let requests: Vec<Box<dyn rtc::rtcp::Packet>> = packets
                .iter()
                .filter(|p| is_keyframe_request(p.as_ref()))
                .cloned()
                .collect();
            if requests.is_empty() {
                return Ok(());
            }
            msg.message.packet = Packet::Rtcp(requests);
            msg.message.add(Attribute::DeliverToApplication);
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<Self::Rout> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<Self::Wout> {
        self.write.pop_front()
    }
}

impl Interceptor for KeyframeRequests {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
