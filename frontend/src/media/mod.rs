//! The browser's side of media: the camera and microphone (`getUserMedia`), the screen
//! (`getDisplayMedia`) and the one `RTCPeerConnection` to the server. The server makes every
//! offer; this module answers, puts our tracks on the slots the offer names, plays what the
//! server's slots carry (`receive.rs`), tells the server which tiles the page shows (`View`),
//! and keeps who speaks as the server says. Components read `MediaState`'s signals and call
//! its methods; nothing else touches WebRTC.

pub mod choice;
pub mod devices;
mod path;
pub mod quality;
mod receive;

pub use path::MediaPath;
pub use receive::{Remote, Voice};

use crate::net::socket::Outbox;
use crate::net::{js_error, time};
use futures_channel::oneshot;
use leptos::prelude::*;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{
    ClientSignal, IceConfig, PublishSlots, ReceivedTrack, ServerSignal, Source, Tile,
};
use plenary_shared::protocol::ClientMsg;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaStream, MediaStreamTrack, RtcIceConnectionState, RtcIceGatheringState, RtcPeerConnection,
    RtcRtpTransceiverDirection, RtcSdpType, RtcSessionDescriptionInit,
};

/// How long a new connection may look for a network path before the page says there is none.
const NO_PATH_AFTER: Duration = Duration::from_secs(12);

/// Where media stands, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaStatus {
    Off,
    Connecting,
    Live,
    Failed,
}

struct Conn {
    pc: RtcPeerConnection,
    publish: Option<PublishSlots>,
    receive: Vec<ReceivedTrack>,
    answered: u32,
    /// Watches the ICE state (kept as long as the connection).
    _on_ice: Closure<dyn FnMut()>,
}

/// Whether the camera and microphone were asked for, and whether the browser answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    No,
    Asking,
    Answered,
}

/// The page's media: copyable handles on its state.
#[derive(Clone, Copy)]
pub struct MediaState {
    pub status: RwSignal<MediaStatus>,
    /// Whether no camera or microphone could be opened.
    pub no_devices: RwSignal<bool>,
    pub camera_on: RwSignal<bool>,
    pub sharing: RwSignal<bool>,
    /// Our own camera, for the self view.
    pub local: RwSignal<Option<MediaStream>, LocalStorage>,
    /// The cameras and screens we receive now (the server's last-N for our tiles).
    pub remote: RwSignal<Vec<Remote>, LocalStorage>,
    /// The voices we receive now (the loudest few), one per audio slot.
    pub voices: RwSignal<Vec<Voice>, LocalStorage>,
    /// Who is audible in our place now, ourselves included, by the server's audio levels.
    pub speaking: RwSignal<Vec<ParticipantId>>,
    /// The active speaker, as the server decided it (held, so it does not flap).
    pub active: RwSignal<Option<ParticipantId>>,
    /// The path media takes now (UDP, TCP or a relay), once connected.
    pub path: RwSignal<Option<MediaPath>>,
    /// Whether the last try found no network path at all (UDP and TCP blocked, no relay).
    pub blocked: RwSignal<bool>,
    /// The cameras, microphones and speakers the browser offers.
    pub device_lists: RwSignal<choice::DeviceLists>,
    /// The speaker chosen (the browser's default if none).
    pub speaker: RwSignal<Option<String>>,
    /// The microphone's level for the meters shown (0 to 1), while any is.
    pub level: RwSignal<f64>,
    /// How well each person's video reaches us now.
    pub quality: RwSignal<std::collections::BTreeMap<ParticipantId, quality::Quality>>,
    quality_counters: StoredValue<std::collections::HashMap<String, quality::Counters>>,
    meters: StoredValue<u32>,
    meter: StoredValue<Option<choice::Meter>, LocalStorage>,
    watching_devices: StoredValue<bool>,
    mic_on: StoredValue<bool>,
    devices: StoredValue<devices::Devices, LocalStorage>,
    /// Where asking for the camera and microphone stands.
    devices_asked: StoredValue<Asked>,
    /// Counts `stop`s, so that devices the browser grants after one are known to be stale.
    devices_round: StoredValue<u32>,
    /// Who waits for the browser's answer: told `true` once it came, `false` if media stopped.
    devices_waiting: StoredValue<Vec<oneshot::Sender<bool>>, LocalStorage>,
    conn: StoredValue<Option<Conn>, LocalStorage>,
    failures: StoredValue<u32>,
    /// The tiles the page shows (the others', in order), and what the server was last told.
    view: StoredValue<(Vec<Tile>, Option<Vec<Tile>>)>,
    outbox: Outbox,
}

impl MediaState {
    pub fn new(outbox: Outbox) -> Self {
        MediaState {
            status: RwSignal::new(MediaStatus::Off),
            no_devices: RwSignal::new(false),
            camera_on: RwSignal::new(false),
            sharing: RwSignal::new(false),
            local: RwSignal::new_local(None),
            remote: RwSignal::new_local(Vec::new()),
            voices: RwSignal::new_local(Vec::new()),
            speaking: RwSignal::new(Vec::new()),
            active: RwSignal::new(None),
            path: RwSignal::new(None),
            blocked: RwSignal::new(false),
            device_lists: RwSignal::new(choice::DeviceLists::default()),
            speaker: RwSignal::new(choice::remembered(choice::DeviceKind::Speaker)),
            level: RwSignal::new(0.0),
            quality: RwSignal::new(Default::default()),
            quality_counters: StoredValue::new(Default::default()),
            meters: StoredValue::new(0),
            meter: StoredValue::new_local(None),
            watching_devices: StoredValue::new(false),
            mic_on: StoredValue::new(true),
            devices: StoredValue::new_local(devices::Devices::default()),
            devices_asked: StoredValue::new(Asked::No),
            devices_round: StoredValue::new(0),
            devices_waiting: StoredValue::new_local(Vec::new()),
            conn: StoredValue::new_local(None),
            failures: StoredValue::new(0),
            view: StoredValue::new((Vec::new(), None)),
            outbox,
        }
    }

    /// Asks the server for a connection and, meanwhile, opens the camera and microphone (once):
    /// the server's offer and the devices take a few hundred milliseconds each, so doing them
    /// side by side brings the first picture sooner. The answer waits for the devices.
    pub fn start(self) {
        if self.status.get_untracked() == MediaStatus::Connecting {
            return;
        }
        self.status.set(MediaStatus::Connecting);
        leptos::task::spawn_local(async move {
            self.close_connection();
            match RtcPeerConnection::new() {
                Ok(pc) => {
                    let watched = pc.clone();
                    let on_ice = Closure::<dyn FnMut()>::new(move || {
                        self.ice_changed(watched.ice_connection_state());
                    });
                    pc.set_oniceconnectionstatechange(Some(on_ice.as_ref().unchecked_ref()));
                    self.conn.set_value(Some(Conn {
                        pc,
                        publish: None,
                        receive: Vec::new(),
                        answered: 0,
                        _on_ice: on_ice,
                    }));
                    self.signal(ClientSignal::Start);
                    self.view.update_value(|v| v.1 = None);
                    self.send_view();
                }
                Err(e) => return self.fail(&js_error(e)),
            }
            self.ask_for_devices().await;
        });
    }

    /// Opens the camera and microphone ahead of joining, for the join form's preview (and so
    /// that joining does not wait for them).
    pub fn open_devices(self) {
        leptos::task::spawn_local(self.ask_for_devices());
    }

    /// Asks the browser for the camera and microphone, unless that was done already.
    async fn ask_for_devices(self) {
        if self.devices_asked.get_value() != Asked::No {
            return;
        }
        self.devices_asked.set_value(Asked::Asking);
        let round = self.devices_round.get_value();
        let mut opened = devices::open().await;
        if self.devices_round.try_get_value() != Some(round) {
            // Media stopped (the person left, or the page went) while the browser was
            // answering: release what it gave rather than keep a camera on for nobody.
            opened.stop_all();
            return;
        }
        self.no_devices.set(opened.is_empty());
        self.camera_on.set(opened.camera.is_some());
        self.local.set(opened.camera_stream());
        self.devices.set_value(opened);
        self.devices_asked.set_value(Asked::Answered);
        self.tell_device_waiters(true);
        // Their labels are readable now that the browser granted them.
        self.list_devices();
        self.restart_meter();
    }

    /// Waits until the browser answered for the camera and microphone (it may show a prompt):
    /// `false` if media stopped first, or they were not asked for.
    async fn devices_ready(self) -> bool {
        match self.devices_asked.try_get_value() {
            Some(Asked::Answered) => true,
            Some(Asked::Asking) => {
                let (tx, rx) = oneshot::channel();
                self.devices_waiting.update_value(|w| w.push(tx));
                rx.await.unwrap_or(false)
            }
            Some(Asked::No) | None => false,
        }
    }

    fn tell_device_waiters(self, ready: bool) {
        let waiting = self.devices_waiting.try_update_value(std::mem::take);
        for tx in waiting.into_iter().flatten() {
            let _ = tx.send(ready);
        }
    }

    /// Ends media for good (leaving the meeting or the page).
    pub fn stop(self) {
        self.close_connection();
        self.devices.update_value(|d| d.stop_all());
        self.devices_asked.set_value(Asked::No);
        self.devices_round.update_value(|r| *r = r.wrapping_add(1));
        self.tell_device_waiters(false);
        self.status.set(MediaStatus::Off);
    }

    fn close_connection(self) {
        if let Some(conn) = self.conn.try_update_value(Option::take).flatten() {
            conn.pc.set_oniceconnectionstatechange(None);
            conn.pc.close();
        }
        if self.path.try_get_untracked().flatten().is_some() {
            self.path.set(None);
        }
        self.remote.set(Vec::new());
        self.voices.set(Vec::new());
        self.speaking.set(Vec::new());
        self.active.set(None);
    }

    /// The page now shows these tiles of the others (first the largest): the server sends
    /// video for them only, within our slots.
    pub fn set_view(self, tiles: Vec<Tile>) {
        self.view.update_value(|v| v.0 = tiles);
        self.send_view();
    }

    /// Tells the server the page's tiles, if they changed since it was last told.
    fn send_view(self) {
        let live = self.conn.with_value(Option::is_some);
        let Some(tiles) = self
            .view
            .try_update_value(|(tiles, told)| {
                let due = live && told.as_ref() != Some(tiles);
                due.then(|| {
                    *told = Some(tiles.clone());
                    tiles.clone()
                })
            })
            .flatten()
        else {
            return;
        };
        self.signal(ClientSignal::View { tiles });
    }

    fn signal(self, signal: ClientSignal) {
        self.outbox.send_msg(&ClientMsg::Media { signal });
    }

    /// The browser's view of the network path: once it gives up (every candidate pair failed:
    /// UDP and TCP blocked and no relay), say so, and try again later.
    fn ice_changed(self, state: RtcIceConnectionState) {
        match state {
            RtcIceConnectionState::Connected | RtcIceConnectionState::Completed
                if self.blocked.get_untracked() =>
            {
                self.blocked.set(false);
            }
            RtcIceConnectionState::Failed => {
                self.blocked.set(true);
                self.fail("no network path for media (UDP and TCP blocked, no relay)");
            }
            _ => {}
        }
    }

    /// The browser takes about 30 s to call a connection that never got a reply failed; a
    /// path that works comes up within a second or two, so after `NO_PATH_AFTER` without one,
    /// say the network blocks media.
    fn give_up_without_a_path(self, pc: RtcPeerConnection) {
        set_timeout(
            move || {
                let current = self
                    .conn
                    .try_with_value(|c| c.as_ref().is_some_and(|c| c.pc == pc))
                    .unwrap_or(false);
                let up = matches!(
                    pc.ice_connection_state(),
                    RtcIceConnectionState::Connected | RtcIceConnectionState::Completed
                );
                if current && !up {
                    self.ice_changed(RtcIceConnectionState::Failed);
                }
            },
            NO_PATH_AFTER,
        );
    }

    fn fail(self, reason: &str) {
        leptos::logging::warn!("media: {reason}");
        self.close_connection();
        self.status.set(MediaStatus::Failed);
        // Try again, with growing pauses.
        let n = self.failures.get_value();
        self.failures.set_value(n.saturating_add(1));
        let delay = time::backoff(n, Duration::from_secs(1), Duration::from_secs(15));
        set_timeout(
            move || {
                if self.status.get_untracked() == MediaStatus::Failed {
                    self.start();
                }
            },
            delay,
        );
    }

    /// Handles signalling from the server.
    pub fn receive(self, signal: ServerSignal) {
        match signal {
            ServerSignal::Offer {
                sdp,
                publish,
                receive,
                ice,
                ..
            } => leptos::task::spawn_local(async move {
                match self.answer(sdp, ice, publish, receive).await {
                    Ok(true) => {
                        self.failures.set_value(0);
                        self.status.set(MediaStatus::Live);
                    }
                    Ok(false) => {} // media stopped meanwhile
                    Err(e) => self.fail(&e),
                }
            }),
            ServerSignal::Receiving { receive } => {
                let pc = self.conn.with_value(|c| c.as_ref().map(|c| c.pc.clone()));
                if let Some(pc) = pc {
                    self.show(&pc, &receive);
                    self.conn.update_value(|c| {
                        if let Some(c) = c {
                            c.receive = receive;
                        }
                    });
                }
            }
            ServerSignal::Speakers { active, speaking } => {
                if self.active.get_untracked() != active {
                    self.active.set(active);
                }
                if self.speaking.get_untracked() != speaking {
                    self.speaking.set(speaking);
                }
            }
            ServerSignal::Failed { message, .. } => self.fail(&message),
        }
    }

    /// Answers the server's offer; `Ok(false)` if media stopped meanwhile and nothing was sent.
    async fn answer(
        self,
        sdp: String,
        ice: IceConfig,
        publish: PublishSlots,
        receive: Vec<ReceivedTrack>,
    ) -> Result<bool, String> {
        let Some(pc) = self.conn.with_value(|c| c.as_ref().map(|c| c.pc.clone())) else {
            return Ok(false); // closed meanwhile; a new connection asks afresh
        };
        path::configure(&pc, &ice).map_err(js_error)?;
        let offer = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        offer.set_sdp(&sdp);
        JsFuture::from(pc.set_remote_description(&offer))
            .await
            .map_err(js_error)?;
        if !self.devices_ready().await {
            return Ok(false);
        }
        for source in Source::ALL {
            if let Some(t) = receive::transceiver(&pc, publish.mid(source)) {
                t.set_direction(RtcRtpTransceiverDirection::Sendonly);
                let track = self.outgoing(source);
                JsFuture::from(t.sender().replace_track(track.as_ref()))
                    .await
                    .map_err(js_error)?;
            }
        }
        let answer = JsFuture::from(pc.create_answer()).await.map_err(js_error)?;
        JsFuture::from(pc.set_local_description(answer.unchecked_ref()))
            .await
            .map_err(js_error)?;
        let first = self
            .conn
            .with_value(|c| c.as_ref().is_some_and(|c| c.answered == 0));
        if first {
            // The first answer carries a candidate of ours (no trickling). One is enough: the
            // server also learns our address from our connectivity checks, so waiting for
            // gathering to finish (seconds, on machines with many interfaces) gains nothing.
            first_candidate(&pc, Duration::from_secs(1)).await;
            self.give_up_without_a_path(pc.clone());
        }
        let sdp = pc
            .local_description()
            .map(|d| d.sdp())
            .ok_or("no local description")?;
        self.signal(ClientSignal::Answer { sdp });
        self.show(&pc, &receive);
        self.conn.update_value(|c| {
            if let Some(c) = c {
                c.publish = Some(publish);
                c.receive = receive;
                c.answered += 1;
            }
        });
        Ok(true)
    }

    /// What we send on one slot now.
    fn outgoing(self, source: Source) -> Option<MediaStreamTrack> {
        let on = source != Source::Microphone || self.mic_on.get_value();
        self.devices
            .with_value(|d| d.track(source).cloned())
            .filter(|_| on)
    }

    /// Plays what the slots carry now.
    fn show(self, pc: &RtcPeerConnection, receive: &[ReceivedTrack]) {
        let old_remote = self.remote.get_untracked();
        let old_voices = self.voices.get_untracked();
        let (remote, voices) = receive::streams(pc, receive, &old_remote, &old_voices);
        if !receive::same_remote(&old_remote, &remote) {
            self.remote.set(remote);
        }
        if !receive::same_voices(&old_voices, &voices) {
            self.voices.set(voices);
        }
    }

    /// Replaces what one of our slots sends (or stops it with `None`).
    async fn send_on(self, source: Source, track: Option<MediaStreamTrack>) {
        let slot = self.conn.with_value(|c| {
            c.as_ref().and_then(|c| {
                let mid = c.publish.as_ref()?.mid(source).to_owned();
                receive::transceiver(&c.pc, &mid)
            })
        });
        if let Some(t) = slot
            && let Err(e) = JsFuture::from(t.sender().replace_track(track.as_ref())).await
        {
            leptos::logging::warn!("media: {}", js_error(e));
        }
    }

    /// Sends or stops our microphone (muting by the host is also enforced by the server).
    pub fn set_microphone(self, on: bool) {
        if self.mic_on.get_value() == on {
            return;
        }
        self.mic_on.set_value(on);
        let track = self.outgoing(Source::Microphone);
        leptos::task::spawn_local(self.send_on(Source::Microphone, track));
    }

    /// Sends `track` on our `source` slot, or stops the slot with `None`; the device it
    /// replaces is released.
    async fn use_track(self, source: Source, track: Option<MediaStreamTrack>) {
        let on = track.is_some();
        self.devices
            .update_value(|d| d.replace(source, track.clone()));
        self.send_on(source, track).await;
        self.signal(ClientSignal::Sending { source, on });
    }

    /// Turns the camera off (releasing it) or on again.
    pub fn set_camera(self, on: bool) {
        leptos::task::spawn_local(async move {
            // A click while the devices are still opening acts on what they opened (and does
            // not open a second camera that the first opening would then overwrite).
            if !self.devices_ready().await {
                return;
            }
            let track = if on {
                match devices::camera().await {
                    Ok(track) => Some(track),
                    Err(e) => return leptos::logging::warn!("camera: {e}"),
                }
            } else {
                None
            };
            self.use_track(Source::Camera, track).await;
            self.local
                .set(self.devices.with_value(devices::Devices::camera_stream));
            self.camera_on.set(on);
        });
    }

    /// Starts or stops sharing the screen.
    pub fn set_sharing(self, on: bool) {
        leptos::task::spawn_local(async move {
            let track = if on {
                match devices::screen().await {
                    Ok(track) => {
                        // The browser's own "Stop sharing" ends the track: follow it.
                        devices::on_ended(&track, move || self.set_sharing(false));
                        Some(track)
                    }
                    Err(e) => return leptos::logging::warn!("screen: {e}"),
                }
            } else {
                None
            };
            self.use_track(Source::Screen, track).await;
            self.sharing.set(on);
        });
    }

    /// Reads which network path media takes from the connection's statistics.
    pub async fn measure_path(self) {
        let Some(pc) = self.conn.with_value(|c| c.as_ref().map(|c| c.pc.clone())) else {
            return;
        };
        let Ok(report) = JsFuture::from(pc.get_stats()).await else {
            return;
        };
        let path = path::selected(&report);
        if self.path.get_untracked() != path {
            self.path.set(path);
        }
        // Each camera's stream since the last reading, on its sender's tile.
        let now = quality::inbound_video(&report);
        let judged: std::collections::BTreeMap<ParticipantId, quality::Quality> =
            self.remote.with_untracked(|r| {
                r.iter()
                    .filter(|r| !r.screen)
                    .filter_map(|r| {
                        let counters = now.get(r.track_id())?;
                        let before = self
                            .quality_counters
                            .with_value(|c| c.get(r.track_id()).copied());
                        Some((r.from, quality::between(before.as_ref(), counters)))
                    })
                    .collect()
            });
        self.quality_counters.set_value(now.into_iter().collect());
        if self.quality.get_untracked() != judged {
            self.quality.set(judged);
        }
    }
}

/// Waits until our local description carries a candidate (or gathering ended), at most `limit`.
/// The browser adds each candidate to the description before it fires `icecandidate`, so one
/// event is enough; the check first covers those that came while nobody listened.
async fn first_candidate(pc: &RtcPeerConnection, limit: Duration) {
    let has_candidate = pc
        .local_description()
        .is_some_and(|d| d.sdp().contains("a=candidate"));
    if has_candidate || pc.ice_gathering_state() == RtcIceGatheringState::Complete {
        return;
    }
    let ms = i32::try_from(limit.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        pc.set_onicecandidate(Some(&resolve));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
    pc.set_onicecandidate(None);
}
