//! Which camera, microphone and speaker: the browser's lists of them (`enumerateDevices`, again
//! on `devicechange`), the person's choice (remembered in localStorage by `net::storage`, so a reload or the next
//! meeting uses it; a remembered device that is gone falls back to the default), switching a
//! device while sending (the new track replaces the old on the same slot, nothing renegotiates),
//! the speaker as every voice's audio output (`setSinkId`), and the microphone's level for the
//! meter (a Web Audio analyser, running only while a meter is shown).

use super::MediaState;
use super::devices;
use crate::net::{js_error, storage};
use leptos::prelude::*;
use plenary_shared::media::Source;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AnalyserNode, AudioContext, MediaDeviceInfo, MediaDeviceKind, MediaStream};

/// What kind of device a choice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Camera,
    Microphone,
    Speaker,
}

impl DeviceKind {
    fn key(self) -> &'static str {
        match self {
            DeviceKind::Camera => "camera",
            DeviceKind::Microphone => "microphone",
            DeviceKind::Speaker => "speaker",
        }
    }
}

/// One device the browser offers: its id and the label it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub label: String,
}

/// The browser's devices, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceLists {
    pub cameras: Vec<Device>,
    pub microphones: Vec<Device>,
    pub speakers: Vec<Device>,
}

impl DeviceLists {
    pub fn of(&self, kind: DeviceKind) -> &[Device] {
        match kind {
            DeviceKind::Camera => &self.cameras,
            DeviceKind::Microphone => &self.microphones,
            DeviceKind::Speaker => &self.speakers,
        }
    }
}

/// The device chosen for `kind` last time, if any.
pub fn remembered(kind: DeviceKind) -> Option<String> {
    storage::device(kind.key())
}

fn remember(kind: DeviceKind, id: &str) {
    storage::remember_device(kind.key(), id);
}

/// The browser's current devices (labels once the camera or microphone was granted).
async fn enumerate() -> Result<DeviceLists, String> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(js_error)?;
    let found = JsFuture::from(devices.enumerate_devices().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    let mut lists = DeviceLists::default();
    for info in js_sys::Array::from(&found).iter() {
        let info: MediaDeviceInfo = info.unchecked_into();
        let device = Device {
            id: info.device_id(),
            label: info.label(),
        };
        match info.kind() {
            MediaDeviceKind::Videoinput => lists.cameras.push(device),
            MediaDeviceKind::Audioinput => lists.microphones.push(device),
            MediaDeviceKind::Audiooutput => lists.speakers.push(device),
            _ => {}
        }
    }
    Ok(lists)
}

/// Points `element`'s audio output at the speaker `id` (where the browser can).
pub fn set_sink(element: &web_sys::HtmlMediaElement, id: &str) {
    let Ok(set) = js_sys::Reflect::get(element, &"setSinkId".into()) else {
        return;
    };
    if let Some(set) = set.dyn_ref::<js_sys::Function>()
        && let Ok(promise) = set.call1(element, &id.into())
        && let Ok(promise) = promise.dyn_into::<js_sys::Promise>()
    {
        leptos::task::spawn_local(async move {
            if let Err(e) = JsFuture::from(promise).await {
                leptos::logging::warn!("speaker: {}", js_error(e));
            }
        });
    }
}

impl MediaState {
    /// Reads the browser's devices again, and again whenever they change.
    pub(super) fn list_devices(self) {
        leptos::task::spawn_local(async move {
            match enumerate().await {
                Ok(lists) => self.device_lists.set(lists),
                Err(e) => leptos::logging::warn!("devices: {e}"),
            }
        });
        if self.watching_devices.get_value() {
            return;
        }
        self.watching_devices.set_value(true);
        if let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) {
            let again = Closure::<dyn Fn()>::new(move || self.list_devices());
            devices.set_ondevicechange(Some(again.as_ref().unchecked_ref()));
            again.forget(); // as long as the page: one listener
        }
    }

    /// The device in use for `kind`: the one open now, else the remembered one.
    pub fn chosen(self, kind: DeviceKind) -> Option<String> {
        match kind {
            DeviceKind::Speaker => self.speaker.get(),
            DeviceKind::Camera | DeviceKind::Microphone => {
                self.device_lists.track();
                let source = match kind {
                    DeviceKind::Camera => Source::Camera,
                    _ => Source::Microphone,
                };
                self.devices
                    .with_value(|d| d.track(source).map(devices::device_id))
                    .or_else(|| remembered(kind))
            }
        }
    }

    /// Uses device `id` for `kind` from now on (and next time).
    pub fn choose(self, kind: DeviceKind, id: String) {
        remember(kind, &id);
        if kind == DeviceKind::Speaker {
            self.speaker.set(Some(id));
            return;
        }
        leptos::task::spawn_local(async move {
            if !self.devices_ready().await {
                return;
            }
            let source = match kind {
                DeviceKind::Camera => Source::Camera,
                _ => Source::Microphone,
            };
            // A camera that is off stays off: the choice applies when it is turned on.
            if source == Source::Camera && !self.camera_on.get_untracked() {
                self.device_lists.update(|_| {});
                return;
            }
            let track = match devices::input(source, Some(&id), true).await {
                Ok(track) => track,
                Err(e) => return leptos::logging::warn!("device: {e}"),
            };
            self.devices
                .update_value(|d| d.replace(source, Some(track)));
            if source == Source::Camera {
                self.local
                    .set(self.devices.with_value(devices::Devices::camera_stream));
            }
            // Sent if it was being sent (a muted microphone stays unsent).
            let outgoing = self.outgoing(source);
            self.send_on(source, outgoing).await;
            self.device_lists.update(|_| {});
            self.restart_meter();
        });
    }

    /// Starts measuring the microphone's level into `level` (for a meter on the screen);
    /// `stop_meter` ends it.
    pub fn start_meter(self) {
        self.meters.update_value(|n| *n += 1);
        self.restart_meter();
    }

    pub fn stop_meter(self) {
        let left = self.meters.try_update_value(|n| {
            *n = n.saturating_sub(1);
            *n
        });
        if left == Some(0) {
            self.meter.update_value(|m| *m = None);
            self.level.set(0.0);
        }
    }

    /// (Re)connects the meter to the microphone open now.
    pub(super) fn restart_meter(self) {
        if self.meters.get_value() == 0 {
            return;
        }
        let Some(track) = self.devices.with_value(|d| d.microphone.clone()) else {
            return;
        };
        match Meter::new(&track, self.level) {
            Ok(meter) => self.meter.set_value(Some(meter)),
            Err(e) => leptos::logging::warn!("meter: {e}"),
        }
    }
}

/// A microphone's level, read from an analyser ten times a second into a signal (0 to 1).
pub struct Meter {
    context: AudioContext,
    interval: i32,
    _tick: Closure<dyn Fn()>,
}

impl Meter {
    fn new(track: &web_sys::MediaStreamTrack, level: RwSignal<f64>) -> Result<Meter, String> {
        let context = AudioContext::new().map_err(js_error)?;
        let stream = MediaStream::new().map_err(js_error)?;
        stream.add_track(track);
        let source = context
            .create_media_stream_source(&stream)
            .map_err(js_error)?;
        let analyser: AnalyserNode = context.create_analyser().map_err(js_error)?;
        analyser.set_fft_size(512);
        source
            .connect_with_audio_node(&analyser)
            .map_err(js_error)?;
        // A page that had no click yet starts its audio suspended; any later gesture resumes it.
        let _ = context.resume();
        let tick = Closure::<dyn Fn()>::new({
            let analyser = analyser.clone();
            move || {
                let mut buffer = vec![0f32; 512];
                analyser.get_float_time_domain_data(&mut buffer);
                let rms = (buffer.iter().map(|s| s * s).sum::<f32>() / buffer.len() as f32).sqrt();
                // About −60 dBFS to 0 dBFS mapped onto 0 to 1.
                let db = 20.0 * f64::from(rms.max(1e-6)).log10();
                level.set(((db + 60.0) / 60.0).clamp(0.0, 1.0));
            }
        });
        let interval = web_sys::window()
            .ok_or("no window")?
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                100,
            )
            .map_err(js_error)?;
        Ok(Meter {
            context,
            interval,
            _tick: tick,
        })
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.interval);
        }
        let _ = self.context.close();
    }
}
