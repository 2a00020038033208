//! The selective forwarding unit of one meeting. One task owns every participant's connection and
//! what they publish and receive; the meeting actor, the connections' event handlers and the
//! keyframe relays talk to it over one channel. It makes every offer (so there is no glare),
//! keeps each receiver's slots in step with the `MediaMap`, and re-points forwarding the moment
//! the map changes — before renegotiating — so nobody gets a packet from a place they left.

use super::peer::{self, Events, Output, Rewrite, kind_of, random_ssrc, same, slot_track};
use super::{MediaConfig, MediaError, MediaMap, MediaRouter, Outbox};
use crate::meetings::encode;
use crate::metrics::Metrics;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ClientSignal, PublishSlots, ReceivedTrack, ServerSignal, Source};
use plenary_shared::protocol::ServerMsg;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::PeerConnection;
use webrtc::rtp_transceiver::RtpTransceiver;

/// How long the first offer waits for the server's candidates.
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);

/// What the SFU task is told.
pub(super) enum Control {
    Map(MediaMap),
    Connected(ParticipantId, Outbox),
    Signal(ParticipantId, ClientSignal),
    /// A publisher's track started arriving.
    Track(ParticipantId, u64, Arc<dyn TrackRemote>),
    /// A connection is up (its first packets can now be decoded).
    Up(ParticipantId, u64),
    /// A connection failed or closed.
    Down(ParticipantId, u64),
    /// A receiver asked for a keyframe on one of its slots.
    Keyframe(ParticipantId, u64, usize),
}

/// The actor's handle on its meeting's SFU. Dropping it ends the SFU and every connection.
pub struct Sfu {
    tx: mpsc::UnboundedSender<Control>,
}

impl Sfu {
    /// Starts the SFU task of one meeting.
    pub fn start(config: MediaConfig, metrics: Arc<Metrics>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let core = Core {
            config,
            metrics,
            tx: tx.downgrade(),
            map: MediaMap::default(),
            outboxes: HashMap::new(),
            peers: HashMap::new(),
            generation: 0,
        };
        tokio::spawn(core.run(rx));
        Sfu { tx }
    }
}

impl MediaRouter for Sfu {
    fn update(&mut self, map: &MediaMap) {
        let _ = self.tx.send(Control::Map(map.clone()));
    }
    fn connected(&mut self, who: ParticipantId, outbox: Outbox) {
        let _ = self.tx.send(Control::Connected(who, outbox));
    }
    fn signal(&mut self, from: ParticipantId, signal: ClientSignal) {
        let _ = self.tx.send(Control::Signal(from, signal));
    }
}

/// A published track and who receives it now.
struct Published {
    track: Arc<dyn TrackRemote>,
    ssrc: u32,
    outputs: watch::Sender<Arc<[Output]>>,
}

/// One sending slot on a receiver's connection. Slots are reused as people move, without
/// touching the SDP: a slot keeps its SSRC for life, and the forwarding loop rewrites sequence
/// numbers and timestamps so the stream stays continuous when the publisher behind it changes.
/// The offer's receive list tells the client whose media a slot carries.
struct Slot {
    kind: RtpCodecKind,
    transceiver: Arc<dyn RtpTransceiver>,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    rewrite: Arc<Mutex<Rewrite>>,
    /// Whose source it carries now.
    carries: Option<(ParticipantId, Source)>,
}

struct Peer {
    generation: u64,
    pc: Arc<dyn PeerConnection>,
    gathered: watch::Receiver<bool>,
    publish: [Arc<dyn RtpTransceiver>; 3],
    published: BTreeMap<Source, Published>,
    /// Published sources the participant says they stopped sending (forwarded to nobody).
    paused: BTreeSet<Source>,
    slots: Vec<Slot>,
    offers: u32,
    awaiting_answer: bool,
    /// Slots changed since the last offer.
    dirty: bool,
    /// Publishers to ask for a keyframe once the offer in flight is answered.
    want_keyframes: Vec<(ParticipantId, Source)>,
    /// The connection has come up (ICE and DTLS): media sent now arrives.
    up: bool,
}

impl Peer {
    /// The published sources being sent now.
    fn sources(&self) -> impl Iterator<Item = Source> + '_ {
        self.published
            .keys()
            .copied()
            .filter(|s| !self.paused.contains(s))
    }

    /// How many sources are being sent now (for the tracks gauge).
    fn sending(&self) -> i64 {
        i64::try_from(self.sources().count()).unwrap_or(0)
    }
}

struct Core {
    config: MediaConfig,
    metrics: Arc<Metrics>,
    tx: mpsc::WeakUnboundedSender<Control>,
    map: MediaMap,
    outboxes: HashMap<ParticipantId, Outbox>,
    peers: HashMap<ParticipantId, Peer>,
    generation: u64,
}

impl Core {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Control>) {
        while let Some(msg) = rx.recv().await {
            match msg {
                Control::Map(map) => {
                    self.map = map;
                    let gone: Vec<ParticipantId> = self
                        .peers
                        .keys()
                        .filter(|who| !self.map.includes(**who))
                        .copied()
                        .collect();
                    for who in gone {
                        self.drop_peer(who).await;
                    }
                    self.outboxes.retain(|who, _| self.map.includes(*who));
                }
                Control::Connected(who, outbox) => {
                    self.outboxes.insert(who, outbox);
                    continue;
                }
                Control::Signal(from, signal) => self.on_signal(from, signal).await,
                Control::Track(who, generation, track) => {
                    self.on_track(who, generation, track).await;
                }
                Control::Down(who, generation) => {
                    if self
                        .peers
                        .get(&who)
                        .is_some_and(|p| p.generation == generation)
                    {
                        self.drop_peer(who).await;
                        self.report(who, &MediaError::ConnectionLost);
                    }
                }
                Control::Up(who, generation) => {
                    // Ask only now: a keyframe sent before the connection was up is lost on the
                    // way, and a browser ignores a second request within 300 ms of a keyframe.
                    if let Some(peer) = self
                        .peers
                        .get_mut(&who)
                        .filter(|p| p.generation == generation)
                    {
                        peer.up = true;
                        let carried: Vec<_> = peer.slots.iter().filter_map(|s| s.carries).collect();
                        self.request_keyframes(&carried).await;
                    }
                    continue;
                }
                Control::Keyframe(who, generation, slot) => {
                    self.relay_keyframe(who, generation, slot).await;
                    continue;
                }
            }
            self.reconcile().await;
        }
        for who in self.peers.keys().copied().collect::<Vec<_>>() {
            self.drop_peer(who).await;
        }
    }

    fn tell(&self, who: ParticipantId, signal: ServerSignal) {
        if let Some(outbox) = self.outboxes.get(&who) {
            let _ = outbox.try_send(encode(&ServerMsg::Media { signal }));
        }
    }

    /// Tells `who` their media failed, and why.
    fn report(&self, who: ParticipantId, error: &MediaError) {
        let signal = ServerSignal::Failed {
            problem: error.problem(),
            message: error.to_string(),
        };
        self.tell(who, signal);
    }

    async fn on_signal(&mut self, from: ParticipantId, signal: ClientSignal) {
        let result = match signal {
            ClientSignal::Start => self.start(from).await,
            ClientSignal::Answer { sdp } => self.answer(from, sdp).await,
            ClientSignal::Sending { source, on } => {
                self.set_sending(from, source, on);
                Ok(())
            }
            ClientSignal::Stop => {
                self.drop_peer(from).await;
                Ok(())
            }
        };
        if let Err(e) = result {
            tracing::warn!(participant = %from, error = %e, "media set-up failed");
            if !matches!(e, MediaError::NoOfferPending) {
                self.drop_peer(from).await;
            }
            self.report(from, &e);
        }
    }

    /// A fresh connection for `who` (replacing any earlier one, as after a page reload).
    async fn start(&mut self, who: ParticipantId) -> Result<(), MediaError> {
        if !self.map.includes(who) {
            return Ok(());
        }
        self.drop_peer(who).await;
        self.generation += 1;
        let (gathered_tx, gathered) = watch::channel(false);
        let events = Arc::new(Events {
            who,
            generation: self.generation,
            tx: self.tx.clone(),
            gathered: gathered_tx,
        });
        let pc = peer::build(&self.config, events).await?;
        let mut publish = Vec::with_capacity(3);
        for source in Source::ALL {
            let init = RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Recvonly,
                streams: vec![],
                send_encodings: vec![],
            };
            publish.push(
                pc.add_transceiver_from_kind(kind_of(source), Some(init))
                    .await?,
            );
        }
        let Ok(publish) = <[Arc<dyn RtpTransceiver>; 3]>::try_from(publish) else {
            return Err(MediaError::NoPort("transceivers".into()));
        };
        self.metrics.media_peers.fetch_add(1, Ordering::Relaxed);
        self.peers.insert(
            who,
            Peer {
                generation: self.generation,
                pc,
                gathered,
                publish,
                published: BTreeMap::new(),
                paused: BTreeSet::new(),
                slots: Vec::new(),
                offers: 0,
                awaiting_answer: false,
                dirty: true,
                want_keyframes: Vec::new(),
                up: false,
            },
        );
        Ok(())
    }

    async fn answer(&mut self, who: ParticipantId, sdp: String) -> Result<(), MediaError> {
        let Some(peer) = self.peers.get_mut(&who) else {
            return Err(MediaError::NoOfferPending);
        };
        if !peer.awaiting_answer {
            return Err(MediaError::NoOfferPending);
        }
        let answer =
            RTCSessionDescription::answer(sdp).map_err(|e| MediaError::BadAnswer(e.to_string()))?;
        peer.pc
            .set_remote_description(answer)
            .await
            .map_err(|e| MediaError::BadAnswer(e.to_string()))?;
        peer.awaiting_answer = false;
        let wanted = std::mem::take(&mut peer.want_keyframes);
        // Not up yet: the keyframes are asked for when it is (see `Control::Up`).
        if peer.up {
            self.request_keyframes(&wanted).await;
        }
        Ok(())
    }

    async fn on_track(&mut self, who: ParticipantId, generation: u64, track: Arc<dyn TrackRemote>) {
        let Some(peer) = self.peers.get_mut(&who) else {
            return;
        };
        if peer.generation != generation {
            return;
        }
        let mut source = None;
        for (i, t) in peer.publish.iter().enumerate() {
            if let Ok(Some(receiver)) = t.receiver().await
                && same(receiver.track(), &track)
            {
                source = Source::ALL.get(i).copied();
            }
        }
        let Some(source) = source else {
            tracing::warn!(participant = %who, "a track arrived on no publishing slot; ignored");
            return;
        };
        let Some(ssrc) = track.ssrcs().await.first().copied() else {
            return;
        };
        let (outputs, outputs_rx) = watch::channel(Arc::from(Vec::new()));
        tokio::spawn(peer::forward(
            track.clone(),
            peer::payload_type(kind_of(source)),
            outputs_rx,
            self.metrics.clone(),
        ));
        let before = peer.sending();
        peer.published.insert(
            source,
            Published {
                track,
                ssrc,
                outputs,
            },
        );
        let after = peer.sending();
        Metrics::shift(&self.metrics.media_tracks, after - before);
        tracing::debug!(participant = %who, ?source, "publishing");
    }

    /// Pauses or resumes forwarding `who`'s `source`.
    fn set_sending(&mut self, who: ParticipantId, source: Source, on: bool) {
        let Some(peer) = self.peers.get_mut(&who) else {
            return;
        };
        let before = peer.sending();
        if on {
            peer.paused.remove(&source);
        } else {
            peer.paused.insert(source);
        }
        let after = peer.sending();
        Metrics::shift(&self.metrics.media_tracks, after - before);
    }

    async fn relay_keyframe(&self, who: ParticipantId, generation: u64, slot: usize) {
        let Some(peer) = self.peers.get(&who).filter(|p| p.generation == generation) else {
            return;
        };
        if let Some(carried) = peer.slots.get(slot).and_then(|s| s.carries) {
            Metrics::bump(&self.metrics.media_keyframe_requests_relayed);
            self.request_keyframes(&[carried]).await;
        }
    }

    async fn drop_peer(&mut self, who: ParticipantId) {
        if let Some(peer) = self.peers.remove(&who) {
            Metrics::shift(&self.metrics.media_tracks, -peer.sending());
            self.metrics.media_peers.fetch_sub(1, Ordering::Relaxed);
            if let Err(e) = peer.pc.close().await {
                tracing::debug!(participant = %who, error = %e, "closing a media connection");
            }
        }
    }

    /// Brings every receiver's slots and every track's outputs in line with the map, then
    /// sends offers where slots changed.
    async fn reconcile(&mut self) {
        // What each receiver should get: every roommate's published sources.
        let mut wanted: HashMap<ParticipantId, Vec<(ParticipantId, Source)>> = HashMap::new();
        for (receiver, _) in self.peers.iter() {
            let list = wanted.entry(*receiver).or_default();
            for (publisher, p) in self.peers.iter() {
                if self.map.may_see(*receiver, *publisher) {
                    list.extend(p.sources().map(|s| (*publisher, s)));
                }
            }
        }
        let receivers: Vec<ParticipantId> = self.peers.keys().copied().collect();
        let mut filled = Vec::new();
        for receiver in &receivers {
            let want = wanted.remove(receiver).unwrap_or_default();
            match self.fit_slots(*receiver, &want).await {
                Ok(new) => filled.extend(new),
                Err(e) => {
                    tracing::warn!(participant = %receiver, error = %e, "could not re-point media");
                }
            }
        }
        self.point_outputs();
        // Reused slots show their new publisher at once; new slots ask when the answer comes,
        // and every slot again when its connection comes up.
        self.request_keyframes(&filled).await;
        for receiver in receivers {
            let due = self
                .peers
                .get(&receiver)
                .is_some_and(|p| p.dirty && !p.awaiting_answer);
            if due && let Err(e) = self.offer(receiver).await {
                tracing::warn!(participant = %receiver, error = %e, "media offer failed");
                self.drop_peer(receiver).await;
                self.report(receiver, &e);
            }
        }
    }

    /// Frees the slots `receiver` should no longer fill and fills slots for `want`, adding
    /// slots only when none of the kind is free. Returns what it put on reused slots (already
    /// negotiated, so they can show a keyframe at once; new slots ask on the answer).
    async fn fit_slots(
        &mut self,
        receiver: ParticipantId,
        want: &[(ParticipantId, Source)],
    ) -> Result<Vec<(ParticipantId, Source)>, MediaError> {
        let tx = self.tx.clone();
        let mut filled = Vec::new();
        let Some(peer) = self.peers.get_mut(&receiver) else {
            return Ok(filled);
        };
        for slot in &mut peer.slots {
            if slot.carries.is_some_and(|c| !want.contains(&c)) {
                slot.carries = None;
                peer.dirty = true;
            }
        }
        for &wanted in want {
            if peer.slots.iter().any(|s| s.carries == Some(wanted)) {
                continue;
            }
            let kind = kind_of(wanted.1);
            let free = peer
                .slots
                .iter()
                .position(|s| s.kind == kind && s.carries.is_none());
            let index = match free {
                Some(i) => i,
                None => {
                    let i = peer.slots.len();
                    let ssrc = random_ssrc();
                    let track = Arc::new(TrackLocalStaticRTP::new(slot_track(i, kind, ssrc)));
                    let init = RTCRtpTransceiverInit {
                        direction: RTCRtpTransceiverDirection::Sendonly,
                        streams: vec![],
                        send_encodings: vec![],
                    };
                    let transceiver = peer
                        .pc
                        .add_transceiver_from_track(
                            track.clone() as Arc<dyn TrackLocal>,
                            Some(init),
                        )
                        .await?;
                    let generation = peer.generation;
                    let relay = tx.clone();
                    tokio::spawn(peer::relay_keyframe_requests(track.clone(), move || {
                        if let Some(tx) = relay.upgrade() {
                            let _ = tx.send(Control::Keyframe(receiver, generation, i));
                        }
                    }));
                    peer.slots.push(Slot {
                        kind,
                        transceiver,
                        track,
                        ssrc,
                        rewrite: Arc::default(),
                        carries: None,
                    });
                    i
                }
            };
            peer.slots[index].carries = Some(wanted);
            peer.want_keyframes.push(wanted);
            peer.dirty = true;
            if free.is_some() {
                filled.push(wanted);
            }
        }
        Ok(filled)
    }

    /// Tells every forwarding loop who receives its track now (only the unmuted are heard).
    fn point_outputs(&self) {
        let mut outputs: HashMap<(ParticipantId, Source), Vec<Output>> = HashMap::new();
        for (receiver, peer) in &self.peers {
            for slot in &peer.slots {
                let Some((publisher, source)) = slot.carries else {
                    continue;
                };
                if self.map.may_receive(*receiver, publisher, source) {
                    outputs
                        .entry((publisher, source))
                        .or_default()
                        .push(Output {
                            track: slot.track.clone(),
                            ssrc: slot.ssrc,
                            rewrite: slot.rewrite.clone(),
                        });
                }
            }
        }
        for (publisher, peer) in &self.peers {
            for (source, published) in &peer.published {
                let list = outputs.remove(&(*publisher, *source)).unwrap_or_default();
                let changed = {
                    let now = published.outputs.borrow();
                    now.len() != list.len() || now.iter().zip(&list).any(|(a, b)| a.ssrc != b.ssrc)
                };
                if changed {
                    published.outputs.send_replace(Arc::from(list));
                }
            }
        }
    }

    /// Asks each of these publishers for a keyframe of that source.
    async fn request_keyframes(&self, tracks: &[(ParticipantId, Source)]) {
        for (publisher, source) in tracks {
            if let Some(p) = self
                .peers
                .get(publisher)
                .and_then(|p| p.published.get(source))
            {
                peer::request_keyframe(&p.track, p.ssrc).await;
            }
        }
    }

    /// Sends `who` an offer for their connection as it stands.
    async fn offer(&mut self, who: ParticipantId) -> Result<(), MediaError> {
        let Some(peer) = self.peers.get_mut(&who) else {
            return Ok(());
        };
        peer.dirty = false;
        let offer = peer.pc.create_offer(None).await?;
        peer.pc.set_local_description(offer).await?;
        if peer.offers == 0 {
            let mut gathered = peer.gathered.clone();
            tokio::time::timeout(GATHER_TIMEOUT, gathered.wait_for(|done| *done))
                .await
                .map_err(|_| MediaError::GatheringTimeout)?
                .map_err(|_| MediaError::GatheringTimeout)?;
        }
        let Some(description) = peer.pc.local_description().await else {
            return Err(MediaError::NoPort("no local description".into()));
        };
        let mut mids = Vec::with_capacity(3);
        for t in &peer.publish {
            mids.push(t.mid().await?.unwrap_or_default());
        }
        let mut receive = Vec::new();
        for slot in &peer.slots {
            if let Some((from, source)) = slot.carries
                && let Some(mid) = slot.transceiver.mid().await?
            {
                receive.push(ReceivedTrack { mid, from, source });
            }
        }
        peer.offers += 1;
        peer.awaiting_answer = true;
        let [microphone, camera, screen] = <[String; 3]>::try_from(mids).unwrap_or_default();
        let signal = ServerSignal::Offer {
            version: peer.offers,
            sdp: description.sdp,
            publish: PublishSlots {
                microphone,
                camera,
                screen,
            },
            receive,
        };
        self.tell(who, signal);
        Ok(())
    }
}
