//! Opening and releasing the camera, microphone and screen (the devices chosen, `choice.rs`).

use super::choice::{DeviceKind, remembered};
use crate::net::js_error;
use plenary_shared::media::Source;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStream, MediaStreamConstraints, MediaStreamTrack};

/// The tracks we may publish.
#[derive(Default)]
pub struct Devices {
    pub microphone: Option<MediaStreamTrack>,
    pub camera: Option<MediaStreamTrack>,
    pub screen: Option<MediaStreamTrack>,
}

impl Devices {
    /// Whether nothing is open.
    pub fn is_empty(&self) -> bool {
        self.microphone.is_none() && self.camera.is_none()
    }

    /// The camera alone, for the self view.
    pub fn camera_stream(&self) -> Option<MediaStream> {
        let camera = self.camera.as_ref()?;
        let stream = MediaStream::new().ok()?;
        stream.add_track(camera);
        Some(stream)
    }

    fn slot(&mut self, source: Source) -> &mut Option<MediaStreamTrack> {
        match source {
            Source::Microphone => &mut self.microphone,
            Source::Camera => &mut self.camera,
            Source::Screen => &mut self.screen,
        }
    }

    /// The track open for `source`, if any.
    pub fn track(&self, source: Source) -> Option<&MediaStreamTrack> {
        match source {
            Source::Microphone => self.microphone.as_ref(),
            Source::Camera => self.camera.as_ref(),
            Source::Screen => self.screen.as_ref(),
        }
    }

    /// Puts `track` in `source`'s place, releasing the device it replaces.
    pub fn replace(&mut self, source: Source, track: Option<MediaStreamTrack>) {
        let old = std::mem::replace(self.slot(source), track);
        if let Some(old) = old {
            old.stop();
        }
    }

    /// Releases every device.
    pub fn stop_all(&mut self) {
        for source in Source::ALL {
            self.replace(source, None);
        }
    }
}

/// A constraint for one kind of device: none of it, any, or the device `id` (`exact`: that one
/// or fail; else that one if it is still there).
fn wanted(on: bool, id: Option<&str>, exact: bool) -> JsValue {
    match (on, id) {
        (false, _) => JsValue::FALSE,
        (true, None) => JsValue::TRUE,
        (true, Some(id)) => {
            let which = js_sys::Object::new();
            let _ = js_sys::Reflect::set(
                &which,
                &if exact { "exact" } else { "ideal" }.into(),
                &id.into(),
            );
            let constraint = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&constraint, &"deviceId".into(), &which);
            constraint.into()
        }
    }
}

async fn user_media(audio: JsValue, video: JsValue) -> Result<MediaStream, String> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(js_error)?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&audio);
    constraints.set_video(&video);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(js_error)?;
    let stream = JsFuture::from(promise).await.map_err(js_error)?;
    Ok(stream.unchecked_into())
}

fn first(tracks: js_sys::Array) -> Option<MediaStreamTrack> {
    tracks.iter().next().map(JsCast::unchecked_into)
}

/// The id of the device `track` comes from.
pub fn device_id(track: &MediaStreamTrack) -> String {
    track.get_settings().get_device_id().unwrap_or_default()
}

/// Opens the microphone and camera (the ones chosen last time, if they are still there): both
/// if possible, else whichever works, else none. A remembered device is asked for exactly (a
/// browser may answer a mere preference with its default), and forgotten for this opening if it
/// is gone.
pub async fn open() -> Devices {
    let mic = remembered(DeviceKind::Microphone);
    let cam = remembered(DeviceKind::Camera);
    let mut tries = Vec::new();
    if mic.is_some() || cam.is_some() {
        tries.push((true, true, mic.as_deref(), cam.as_deref()));
    }
    for (audio, video) in [(true, true), (true, false), (false, true)] {
        tries.push((audio, video, None, None));
    }
    for (audio, video, mic, cam) in tries {
        let (a, v) = (wanted(audio, mic, true), wanted(video, cam, true));
        if let Ok(stream) = user_media(a, v).await {
            return Devices {
                microphone: first(stream.get_audio_tracks()),
                camera: first(stream.get_video_tracks()),
                screen: None,
            };
        }
    }
    Devices::default()
}

/// Opens the camera alone (turning video back on), the one chosen if it is there.
pub async fn camera() -> Result<MediaStreamTrack, String> {
    input(
        Source::Camera,
        remembered(DeviceKind::Camera).as_deref(),
        false,
    )
    .await
}

/// Opens one camera or microphone: device `id` (`exact`: that one or fail), else the default.
pub async fn input(
    source: Source,
    id: Option<&str>,
    exact: bool,
) -> Result<MediaStreamTrack, String> {
    let audio = source == Source::Microphone;
    let stream = user_media(wanted(audio, id, exact), wanted(!audio, id, exact)).await?;
    let tracks = if audio {
        stream.get_audio_tracks()
    } else {
        stream.get_video_tracks()
    };
    first(tracks).ok_or_else(|| "no such device".to_owned())
}

/// Asks the person which screen or window to share.
pub async fn screen() -> Result<MediaStreamTrack, String> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(js_error)?;
    let stream = JsFuture::from(devices.get_display_media().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    let stream: MediaStream = stream.unchecked_into();
    first(stream.get_video_tracks()).ok_or_else(|| "nothing to share".to_owned())
}

/// Calls `then` once when `track` ends (say, through the browser's own stop button).
pub fn on_ended(track: &MediaStreamTrack, then: impl FnOnce() + 'static) {
    let closure = Closure::once_into_js(then);
    track.set_onended(Some(closure.unchecked_ref()));
}

/// Whether this page runs inside a frame (a course page of a learning platform, say).
pub fn in_frame() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match window.top() {
        Ok(Some(top)) => !js_sys::Object::is(&top, &window),
        _ => false,
    }
}

/// Whether the frame this page is in lets it ask for the camera and microphone (the framing
/// page's `allow="camera; microphone"`). Browsers that cannot tell are taken to allow it.
pub fn frame_allows_devices() -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return true;
    };
    let policy = js_sys::Reflect::get(&document, &"featurePolicy".into()).ok();
    let Some(policy) = policy.filter(|p| p.is_object()) else {
        return true;
    };
    let Some(allows) = js_sys::Reflect::get(&policy, &"allowsFeature".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return true;
    };
    ["camera", "microphone"].iter().all(|feature| {
        allows
            .call1(&policy, &(*feature).into())
            .map(|v| v.as_bool().unwrap_or(true))
            .unwrap_or(true)
    })
}
