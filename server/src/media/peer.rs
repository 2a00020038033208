//! Building one participant's `PeerConnection` the way the SFU needs it: only Opus and VP8 (so
//! every leg uses the same payload types and forwarding needs no mapping), the default NACK /
//! report / transport-cc interceptors, keyframe requests handed to the application, no mDNS, and
//! a UDP socket from the configured port range. Also the two packet loops: forwarding a
//! published track to its current receivers, and relaying a receiver's keyframe requests.

use super::sfu::Control;
use super::{MediaConfig, MediaError};
use crate::metrics::Metrics;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::Source;
use rtc::interceptor::{Attribute, Interceptor, Packet, Slot, StreamInfo, TaggedPacket};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::peer_connection::transport::RTCIceCandidateType;
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::rtp_transceiver::rtp_sender::{RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters};
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodingParameters, RTCRtpEncodingParameters};
use rtc::sansio::Protocol;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, Registry, SettingEngineBuilder, register_default_interceptors,
};
use webrtc::peer_connection::{RTCIceGatheringState, RTCPeerConnectionState};
use webrtc::runtime::TokioRuntime;

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
    Ok(engine)
}

/// A new connection with `handler` for its events, bound to the first free port of the range.
pub async fn build(
    config: &MediaConfig,
    handler: Arc<dyn PeerConnectionEventHandler>,
) -> Result<Arc<dyn PeerConnection>, MediaError> {
    let attempts = config.ports.attempts();
    let mut last = None;
    for _ in 0..attempts {
        let port = config.ports.next();
        let mut engine = media_engine()?;
        let registry = register_default_interceptors(Registry::new(), &mut engine)?
            .with(Slot::from(KEYFRAME_SLOT), KeyframeRequests::default());
        let mut settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled);
        if let Some(ip) = config.announce {
            settings = settings.with_nat_1to1_ips(vec![ip.to_string()], RTCIceCandidateType::Host);
        }
        let built = PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(engine)
            .with_setting_engine(settings.build())
            .with_interceptor_registry(registry)
            .with_handler(handler.clone())
            .with_runtime(Arc::new(TokioRuntime))
            .with_udp_addrs(vec![SocketAddr::new(config.bind, port)])
            .build()
            .await;
        match built {
            Ok(pc) => return Ok(Arc::new(pc)),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => MediaError::NoPort(e.to_string()),
        None => MediaError::NoPort("the port range is empty".into()),
    })
}

/// Reads a published track and writes each packet to whoever may receive it now.
///
/// `outputs` is replaced by the SFU whenever the meeting moves people, so re-pointing takes
/// effect from the next packet. Only the negotiated codec's packets pass (nothing else was
/// negotiated on the receivers' legs), and header extensions are dropped: their ids belong to
/// the publisher's leg, and a receiving leg refuses packets with ids it did not negotiate.
pub async fn forward(
    track: Arc<dyn TrackRemote>,
    payload_type: u8,
    outputs: tokio::sync::watch::Receiver<Arc<[Output]>>,
    metrics: Arc<Metrics>,
) {
    // One 30 fps video frame, or one 20 ms audio frame, in the codec's clock.
    let frame_step = if payload_type == OPUS_PT { 960 } else { 3000 };
    while let Some(event) = track.poll().await {
        let TrackRemoteEvent::OnRtpPacket(mut packet) = event else {
            continue;
        };
        if packet.header.payload_type != payload_type {
            continue;
        }
        packet.header.extension = false;
        packet.header.extension_profile = 0;
        packet.header.extensions.clear();
        let targets = outputs.borrow().clone();
        let mut forwarded = 0;
        for target in targets.iter() {
            let mut copy = packet.clone();
            copy.header.ssrc = target.ssrc;
            target
                .rewrite
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .apply(&mut copy.header, packet.header.ssrc, frame_step);
            if target.track.write_rtp(copy).await.is_ok() {
                forwarded += 1;
            }
        }
        if forwarded > 0 {
            metrics
                .media_packets_forwarded
                .fetch_add(forwarded, Ordering::Relaxed);
        }
    }
}

/// One receiver of a published track: the track object bound to their sending slot, the SSRC
/// the slot announces, and the slot's numbering.
#[derive(Clone)]
pub struct Output {
    pub track: Arc<TrackLocalStaticRTP>,
    pub ssrc: u32,
    pub rewrite: Arc<Mutex<Rewrite>>,
}

/// Keeps one slot's sequence numbers and timestamps continuous across changes of publisher:
/// when packets from a new source SSRC arrive, the offsets are re-based so the slot's stream
/// goes on one packet and one frame later, as receivers' jitter buffers expect.
#[derive(Debug, Default)]
pub struct Rewrite {
    source: Option<u32>,
    seq_offset: u16,
    ts_offset: u32,
    last_seq: u16,
    last_ts: u32,
}

impl Rewrite {
    /// Rewrites `header` (from the publisher whose SSRC is `source`) for this slot.
    pub fn apply(&mut self, header: &mut rtc::rtp::Header, source: u32, frame_step: u32) {
        if self.source != Some(source) {
            if self.source.is_some() {
                self.seq_offset = self
                    .last_seq
                    .wrapping_add(1)
                    .wrapping_sub(header.sequence_number);
                self.ts_offset = self
                    .last_ts
                    .wrapping_add(frame_step)
                    .wrapping_sub(header.timestamp);
            }
            self.source = Some(source);
        }
        header.sequence_number = header.sequence_number.wrapping_add(self.seq_offset);
        header.timestamp = header.timestamp.wrapping_add(self.ts_offset);
        // Retransmissions and reordering may go backwards; only move the marks forwards.
        if header.sequence_number.wrapping_sub(self.last_seq) < 0x8000 {
            self.last_seq = header.sequence_number;
            self.last_ts = header.timestamp;
        }
    }
}

/// Waits for keyframe requests on one receiving slot and calls `request` for each, until the
/// connection ends.
pub async fn relay_keyframe_requests(track: Arc<TrackLocalStaticRTP>, request: impl Fn()) {
    while let Some(TrackLocalEvent::OnRtcpPacket(packets)) = track.poll().await {
        if packets.iter().any(|p| is_keyframe_request(p.as_ref())) {
            request();
        }
    }
}

/// Asks a publisher for a keyframe on `ssrc`.
pub async fn request_keyframe(track: &Arc<dyn TrackRemote>, ssrc: u32) {
    let pli = PictureLossIndication {
        sender_ssrc: 0,
        media_ssrc: ssrc,
    };
    if let Err(e) = track.write_rtcp(vec![Box::new(pli)]).await {
        tracing::debug!(error = %e, "keyframe request not sent");
    }
}

fn is_keyframe_request(packet: &dyn rtc::rtcp::Packet) -> bool {
    let payload = packet.as_any();
    payload.is::<PictureLossIndication>() || payload.is::<FullIntraRequest>()
}

/// Passes inbound PLI and FIR on to the application (inbound RTCP otherwise ends in the
/// interceptor chain); drops every other inbound RTCP packet here, after the default
/// interceptors have acted on it. After webrtc-rs's `rtcp-processing` example.
#[derive(Default)]
struct KeyframeRequests {
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

/// Whether two handles point at the same object (for trait objects too).
pub fn same<T: ?Sized>(a: &Arc<T>, b: &Arc<T>) -> bool {
    std::ptr::eq(Arc::as_ptr(a).cast::<()>(), Arc::as_ptr(b).cast::<()>())
}

pub fn kind_of(source: Source) -> RtpCodecKind {
    if source.is_audio() {
        RtpCodecKind::Audio
    } else {
        RtpCodecKind::Video
    }
}

/// The description of one slot's track, fixed for the slot's life (the connection routes RTCP
/// by track id, and the client learns whose media it carries from the receive list).
pub fn slot_track(slot_id: usize, kind: RtpCodecKind, ssrc: u32) -> MediaStreamTrack {
    MediaStreamTrack::new(
        format!("slot{slot_id}"),
        format!("slot{slot_id}"),
        format!("slot{slot_id}"),
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

pub fn random_ssrc() -> u32 {
    // A failed draw still yields a usable (if predictable) SSRC; it is not a secret.
    let draw = crate::secrets::seed().unwrap_or(1);
    u32::try_from(draw & u64::from(u32::MAX))
        .unwrap_or(1)
        .max(1)
}

/// Relays a connection's events to the SFU task.
pub(super) struct Events {
    pub who: ParticipantId,
    pub generation: u64,
    pub tx: mpsc::WeakUnboundedSender<Control>,
    pub gathered: watch::Sender<bool>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Events {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.send_replace(true);
        }
    }
    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let control = match state {
            RTCPeerConnectionState::Connected => Control::Up(self.who, self.generation),
            RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                Control::Down(self.who, self.generation)
            }
            _ => return,
        };
        if let Some(tx) = self.tx.upgrade() {
            let _ = tx.send(control);
        }
    }
    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        if let Some(tx) = self.tx.upgrade() {
            let _ = tx.send(Control::Track(self.who, self.generation, track));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rewrite;
    use rtc::rtp::Header;

    fn header(seq: u16, ts: u32) -> Header {
        Header {
            sequence_number: seq,
            timestamp: ts,
            ..Header::default()
        }
    }

    #[test]
    fn a_slot_stays_continuous_when_its_publisher_changes() {
        let mut r = Rewrite::default();
        let mut h = header(100, 5000);
        r.apply(&mut h, 1, 3000);
        assert_eq!(
            (h.sequence_number, h.timestamp),
            (100, 5000),
            "the first source passes as is"
        );
        let mut h = header(101, 8000);
        r.apply(&mut h, 1, 3000);
        assert_eq!((h.sequence_number, h.timestamp), (101, 8000));
        // Another publisher, with its own numbering: continues one packet and one frame on.
        let mut h = header(60_000, 42);
        r.apply(&mut h, 2, 3000);
        assert_eq!((h.sequence_number, h.timestamp), (102, 11_000));
        let mut h = header(60_001, 3042);
        r.apply(&mut h, 2, 3000);
        assert_eq!((h.sequence_number, h.timestamp), (103, 14_000));
        // A late retransmission keeps its mapping and does not move the marks back.
        let mut h = header(60_000, 42);
        r.apply(&mut h, 2, 3000);
        assert_eq!(h.sequence_number, 102);
        let mut h = header(65_535, 0);
        r.apply(&mut h, 3, 3000);
        assert_eq!(
            (h.sequence_number, h.timestamp),
            (104, 17_000),
            "wraps cleanly"
        );
    }
}
