//! A media participant without a browser: a WebSocket client plus a `webrtc`-crate connection
//! that answers the server's offers, publishes synthetic audio and video (`traffic`), and counts
//! what it receives. The media tests and the SFU benchmark drive it.

use crate::client::Client;
use crate::traffic::{Received, Traffic};
use crate::{DEADLINE, HarnessError, Result};
use plenary_shared::ids::{MeetingId, ParticipantId};
use plenary_shared::media::{ClientSignal, ServerSignal, Source};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::view::MeetingView;
use plenary_shared::protocol::{ClientMsg, ServerMsg};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp::extension::HeaderExtension;
use rtc::rtp::extension::audio_level_extension::AudioLevelExtension;
use rtc::rtp::{Header, Packet};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RTCRtpHeaderExtensionCapability,
    RtpCodecKind,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, RTCIceGatheringState, Registry, register_default_interceptors,
};
use webrtc::runtime::TokioRuntime;

/// The audio level extension (RFC 6464), which browsers stamp on every audio packet.
const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
/// `level` when no audio level is stamped.
const NO_LEVEL: u8 = u8::MAX;
/// Silence, as an audio level (−127 dBov).
pub const SILENT: u8 = 127;
/// A voice speaking up (−20 dBov).
pub const SPEAKING: u8 = 20;

/// Who speaks, as the server last said: the active speaker and everyone audible.
pub type Speakers = (Option<ParticipantId>, Vec<ParticipantId>);

/// One simulated participant with media.
pub struct MediaPeer {
    pub id: ParticipantId,
    pub received: Arc<Received>,
    /// The audio level our microphone packets carry (`NO_LEVEL`: none).
    level: Arc<AtomicU8>,
    speakers: watch::Receiver<Speakers>,
    commands: mpsc::Sender<ClientMsg>,
    view: watch::Receiver<MeetingView>,
    failures: watch::Receiver<Option<String>>,
    /// When the server's latest offer arrived.
    last_offer: watch::Receiver<Instant>,
    /// Every port the server's offers named in their candidates.
    ports: Arc<Mutex<std::collections::BTreeSet<u16>>>,
    tracks: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for MediaPeer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl MediaPeer {
    /// Joins as `name`, starts media and publishes microphone and camera once the first offer
    /// is answered.
    pub async fn join(addr: SocketAddr, meeting: &MeetingId, name: &str) -> Result<MediaPeer> {
        Self::join_with(addr, meeting, name, Traffic::test(Instant::now())).await
    }

    /// Like `join`, also sharing a screen.
    pub async fn join_sharing(
        addr: SocketAddr,
        meeting: &MeetingId,
        name: &str,
    ) -> Result<MediaPeer> {
        Self::join_with(addr, meeting, name, Traffic::test_sharing(Instant::now())).await
    }

    /// Joins as `name`, starts media and, once the first offer is answered, publishes `traffic`.
    pub async fn join_with(
        addr: SocketAddr,
        meeting: &MeetingId,
        name: &str,
        traffic: Traffic,
    ) -> Result<MediaPeer> {
        let mut client = Client::connect(addr, meeting).await?;
        client.join_on(name, Credential::Participant).await?;
        let id = client
            .me
            .ok_or_else(|| HarnessError::Other("no id after joining".into()))?;
        client
            .send(&ClientMsg::Media {
                signal: ClientSignal::Start,
            })
            .await?;
        let received = Arc::new(Received::new(traffic.epoch));
        let (commands, inbox) = mpsc::channel(64);
        let (view_tx, view) = watch::channel(client.view.clone());
        let (fail_tx, failures) = watch::channel(None);
        let (offer_tx, last_offer) = watch::channel(Instant::now());
        let (speakers_tx, speakers) = watch::channel(Speakers::default());
        let level = Arc::new(AtomicU8::new(NO_LEVEL));
        let ports = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
        let pc = connection(received.clone()).await?;
        let tracks = Arc::clone(&pc.tracks);
        let outgoing = Outgoing {
            tracks: traffic.sources.iter().map(|s| Track::new(*s, id)).collect(),
            traffic,
            from: id.0,
            level: level.clone(),
        };
        let reports = Reports {
            view: view_tx,
            failures: fail_tx,
            last_offer: offer_tx,
            ports: ports.clone(),
            speakers: speakers_tx,
        };
        let task = tokio::spawn(drive(client, pc, outgoing, inbox, reports));
        Ok(MediaPeer {
            id,
            received,
            level,
            speakers,
            commands,
            view,
            failures,
            last_offer,
            ports,
            tracks,
            task: Some(task),
        })
    }

    /// Leaves the meeting and waits until our side of the connection is closed.
    pub async fn leave(mut self) -> Result<()> {
        self.command(Command::Leave).await?;
        if let Some(task) = self.task.take() {
            tokio::time::timeout(DEADLINE, task)
                .await
                .map_err(|_| HarnessError::Timeout("the media peer to stop".into()))?
                .map_err(|e| HarnessError::Other(format!("media peer task: {e}")))?;
        }
        Ok(())
    }

    /// Sends a meeting command.
    pub async fn command(&self, command: Command) -> Result<()> {
        self.send(ClientMsg::Command { command }).await
    }

    /// Sends any client message.
    pub async fn send(&self, msg: ClientMsg) -> Result<()> {
        self.commands
            .send(msg)
            .await
            .map_err(|_| HarnessError::Other("the media peer stopped".into()))
    }

    /// Waits until our picture of the meeting satisfies `pred`.
    pub async fn until_view(&self, what: &str, pred: impl Fn(&MeetingView) -> bool) -> Result<()> {
        let mut view = self.view.clone();
        tokio::time::timeout(DEADLINE, view.wait_for(|v| pred(v)))
            .await
            .map_err(|_| HarnessError::Timeout(what.into()))?
            .map_err(|_| HarnessError::Other(format!("stopped before {what}")))?;
        Ok(())
    }

    /// Sends a picture-loss indication (a keyframe request) on every track received so far.
    pub async fn ask_for_keyframes(&self) -> Result<()> {
        let tracks = self
            .tracks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for track in tracks {
            let Some(ssrc) = track.ssrcs().await.first().copied() else {
                continue;
            };
            let pli = PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc: ssrc,
            };
            track
                .write_rtcp(vec![Box::new(pli)])
                .await
                .map_err(|e| HarnessError::Other(format!("webrtc: {e}")))?;
        }
        Ok(())
    }

    /// The ports the server's offers have named for media (one, on a single-port server).
    pub fn candidate_ports(&self) -> std::collections::BTreeSet<u16> {
        self.ports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How long since the server's latest offer (how settled our media connection is).
    pub fn since_last_offer(&self) -> Duration {
        self.last_offer.borrow().elapsed()
    }

    /// Stamps our microphone packets with `level` (0 loudest … 127 silent), or nothing.
    pub fn set_level(&self, level: Option<u8>) {
        self.level
            .store(level.map_or(NO_LEVEL, |l| l.min(SILENT)), Ordering::Relaxed);
    }

    /// Who speaks, as the server last told us.
    pub fn speakers(&self) -> Speakers {
        self.speakers.borrow().clone()
    }

    /// A media failure the server reported, if any.
    pub fn failure(&self) -> Option<String> {
        self.failures.borrow().clone()
    }
}

/// Waits until `cond` holds, checking every few milliseconds; fails after `limit`.
pub async fn until(what: &str, limit: Duration, cond: impl Fn() -> bool) -> Result<Duration> {
    let start = Instant::now();
    loop {
        if cond() {
            return Ok(start.elapsed());
        }
        if start.elapsed() > limit {
            return Err(HarnessError::Timeout(what.into()));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

struct Events {
    received: Arc<Received>,
    tracks: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
    gathered: watch::Sender<bool>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Events {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        self.gathered
            .send_replace(state == RTCIceGatheringState::Complete);
    }
    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        self.tracks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(track.clone());
        let received = self.received.clone();
        tokio::spawn(async move {
            while let Some(event) = track.poll().await {
                if let TrackRemoteEvent::OnRtpPacket(packet) = event {
                    received.add(&packet.payload);
                }
            }
        });
    }
}

struct Connection {
    pc: Arc<dyn PeerConnection>,
    tracks: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
    gathered: watch::Receiver<bool>,
}

async fn connection(received: Arc<Received>) -> Result<Connection> {
    let webrtc = |e: webrtc::error::Error| HarnessError::Other(format!("webrtc: {e}"));
    let mut engine = MediaEngine::default();
    engine.register_default_codecs().map_err(webrtc)?;
    engine
        .register_header_extension(
            RTCRtpHeaderExtensionCapability {
                uri: AUDIO_LEVEL_URI.to_owned(),
            },
            RtpCodecKind::Audio,
            None,
        )
        .map_err(webrtc)?;
    let registry = register_default_interceptors(Registry::new(), &mut engine).map_err(webrtc)?;
    let (gathered_tx, gathered) = watch::channel(false);
    let tracks = Arc::default();
    let handler = Arc::new(Events {
        received,
        tracks: Arc::clone(&tracks),
        gathered: gathered_tx,
    });
    let pc = PeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_media_engine(engine)
        .with_interceptor_registry(registry)
        .with_handler(handler)
        .with_runtime(Arc::new(TokioRuntime))
        .with_udp_addrs(vec!["127.0.0.1:0"])
        .build()
        .await
        .map_err(webrtc)?;
    Ok(Connection {
        pc: Arc::new(pc),
        tracks,
        gathered,
    })
}

fn local_track(
    kind: RtpCodecKind,
    name: &str,
    ssrc: u32,
    codec: RTCRtpCodec,
) -> Arc<TrackLocalStaticRTP> {
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        "me".into(),
        name.to_owned(),
        name.to_owned(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec,
            ..Default::default()
        }],
    )))
}

/// One track we publish: the source, its track and SSRC.
#[derive(Clone)]
struct Track {
    source: Source,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
}

impl Track {
    fn new(source: Source, id: ParticipantId) -> Self {
        let ssrc = 1000 + id.0 * 3 + u32::from(crate::traffic::tag(source));
        let kind = if source.is_audio() {
            RtpCodecKind::Audio
        } else {
            RtpCodecKind::Video
        };
        Track {
            source,
            track: local_track(kind, &format!("{source:?}"), ssrc, codec(source.is_audio())),
            ssrc,
        }
    }
}

/// Everything we publish, and how.
#[derive(Clone)]
struct Outgoing {
    tracks: Vec<Track>,
    traffic: Traffic,
    from: u32,
    level: Arc<AtomicU8>,
}

/// What the driving task tells the `MediaPeer`.
struct Reports {
    view: watch::Sender<MeetingView>,
    failures: watch::Sender<Option<String>>,
    last_offer: watch::Sender<Instant>,
    ports: Arc<Mutex<std::collections::BTreeSet<u16>>>,
    speakers: watch::Sender<Speakers>,
}

/// Answers offers, forwards commands, keeps the view, and publishes after the first answer.
async fn drive(
    mut client: Client,
    conn: Connection,
    outgoing: Outgoing,
    mut inbox: mpsc::Receiver<ClientMsg>,
    reports: Reports,
) {
    let Reports {
        view,
        failures,
        last_offer,
        ports,
        speakers,
    } = reports;
    let mut sending: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        tokio::select! {
            msg = inbox.recv() => {
                let Some(msg) = msg else { break };
                if client.send(&msg).await.is_err() {
                    break;
                }
            }
            msg = client.next_within(None) => match msg {
                Ok(Some(ServerMsg::Media { signal: ServerSignal::Offer { sdp, .. } })) => {
                    last_offer.send_replace(Instant::now());
                    ports
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend(candidate_ports(&sdp));
                    let first = sending.is_none();
                    let tracks = if first { &outgoing.tracks[..] } else { &[] };
                    match answer(&conn, tracks, sdp).await {
                        Ok(sdp) => {
                            let msg = ClientMsg::Media { signal: ClientSignal::Answer { sdp } };
                            if client.send(&msg).await.is_err() {
                                break;
                            }
                            if first {
                                sending = Some(tokio::spawn(publish(outgoing.clone())));
                            }
                        }
                        Err(e) => {
                            failures.send_replace(Some(e.to_string()));
                        }
                    }
                }
                Ok(Some(ServerMsg::Media { signal: ServerSignal::Speakers { active, speaking } })) => {
                    speakers.send_replace((active, speaking));
                }
                Ok(Some(ServerMsg::Media { signal: ServerSignal::Failed { message, .. } })) => {
                    failures.send_replace(Some(message));
                }
                Ok(Some(_)) => {
                    view.send_replace(client.view.clone());
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
    if let Some(task) = sending {
        task.abort();
    }
    let _ = conn.pc.close().await;
}

/// The ports of every UDP `a=candidate` line of an SDP (ICE-TCP candidates have their own port).
pub fn candidate_ports(sdp: &str) -> Vec<u16> {
    sdp.lines()
        .filter(|l| l.starts_with("a=candidate:"))
        .filter(|l| {
            l.split_whitespace()
                .nth(2)
                .is_some_and(|t| t.eq_ignore_ascii_case("udp"))
        })
        .filter_map(|l| l.split_whitespace().nth(5)?.parse().ok())
        .collect()
}

fn codec(audio: bool) -> RTCRtpCodec {
    if audio {
        RTCRtpCodec {
            mime_type: MIME_TYPE_OPUS.into(),
            clock_rate: 48_000,
            channels: 2,
            sdp_fmtp_line: "minptime=10;useinbandfec=1".into(),
            rtcp_feedback: vec![],
        }
    } else {
        RTCRtpCodec {
            mime_type: MIME_TYPE_VP8.into(),
            clock_rate: 90_000,
            ..Default::default()
        }
    }
}

/// Sends a packet on each track every `traffic.interval`, laid out as `traffic` says.
async fn publish(outgoing: Outgoing) {
    let mut tick = outgoing.traffic.ticks(outgoing.from);
    let mut counter: u32 = 0;
    loop {
        tick.tick().await;
        counter = counter.wrapping_add(1);
        for out in &outgoing.tracks {
            let (payload_type, step) = if out.source.is_audio() {
                (111, 960)
            } else {
                (96, 1800)
            };
            let payload = outgoing.traffic.payload(outgoing.from, out.source, counter);
            let packet = Packet {
                header: Header {
                    version: 2,
                    marker: true,
                    payload_type,
                    sequence_number: counter as u16,
                    timestamp: counter.wrapping_mul(step),
                    ssrc: out.ssrc,
                    ..Default::default()
                },
                payload: payload.into(),
            };
            // Until the connection is up the track is not bound; the next tick tries again.
            let level = outgoing.level.load(Ordering::Relaxed);
            if out.source.is_audio() && level != NO_LEVEL {
                let stamp = HeaderExtension::AudioLevel(AudioLevelExtension {
                    level,
                    voice: level < SILENT,
                });
                let _ = out.track.write_rtp_with_extensions(packet, &[stamp]).await;
            } else {
                let _ = out.track.write_rtp(packet).await;
            }
        }
    }
}

/// Applies an offer and returns our answer; the first time, adds the tracks we publish.
async fn answer(conn: &Connection, publish: &[Track], sdp: String) -> Result<String> {
    let webrtc = |e: webrtc::error::Error| HarnessError::Other(format!("webrtc: {e}"));
    let offer = RTCSessionDescription::offer(sdp).map_err(webrtc)?;
    conn.pc
        .set_remote_description(offer)
        .await
        .map_err(webrtc)?;
    // add_track takes the first free transceiver of each kind, in offer order: the microphone,
    // then the camera, then the screen slot (receiving slots come after them).
    for out in publish {
        conn.pc
            .add_track(out.track.clone() as Arc<dyn TrackLocal>)
            .await
            .map_err(webrtc)?;
    }
    let answer = conn.pc.create_answer(None).await.map_err(webrtc)?;
    conn.pc
        .set_local_description(answer)
        .await
        .map_err(webrtc)?;
    let mut gathered = conn.gathered.clone();
    tokio::time::timeout(DEADLINE, gathered.wait_for(|g| *g))
        .await
        .map_err(|_| HarnessError::Timeout("candidates".into()))?
        .map_err(|_| HarnessError::Other("connection gone".into()))?;
    let local = conn
        .pc
        .local_description()
        .await
        .ok_or_else(|| HarnessError::Other("no local description".into()))?;
    Ok(local.sdp)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_udp_candidates_count() {
        let sdp = "v=0\r\n\
            a=candidate:1 1 udp 2130706431 127.0.0.1 10000 typ host\r\n\
            a=candidate:2 1 tcp 1671430143 127.0.0.1 4443 typ host tcptype passive\r\n";
        assert_eq!(super::candidate_ports(sdp), vec![10000]);
    }
}
