//! What the server sends us, as the page plays it. The server forwards into a fixed pool of
//! slots and re-points them without an offer (`Receiving` says what each now carries), so a
//! slot's track moves from person to person: each video slot becomes one stream for the tile
//! of whoever it carries now, and each audio slot one stream for a hidden `<audio>` that keeps
//! playing whichever voice the server puts on it (the loudest few), whoever that is.

use js_sys::Array;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ReceivedTrack, Source};
use wasm_bindgen::JsCast;
use web_sys::{MediaStream, MediaStreamTrack, RtcPeerConnection, RtcRtpTransceiver};

/// One person's camera (or one shared screen) as we receive it now.
#[derive(Clone)]
pub struct Remote {
    pub from: ParticipantId,
    pub screen: bool,
    pub stream: MediaStream,
    track_id: String,
}

impl Remote {
    /// The id of the track this stream plays (as `getStats()` names it).
    pub fn track_id(&self) -> &str {
        &self.track_id
    }
}

/// One audio slot's stream: it plays whoever the server puts on the slot.
#[derive(Clone)]
pub struct Voice {
    pub mid: String,
    /// Whose voice the slot carries now.
    pub from: ParticipantId,
    pub stream: MediaStream,
    track_id: String,
}

/// The streams for what the slots carry now. Streams whose track and sender did not change
/// are kept, so playback does not restart when another slot is re-pointed.
pub fn streams(
    pc: &RtcPeerConnection,
    receive: &[ReceivedTrack],
    old_remote: &[Remote],
    old_voices: &[Voice],
) -> (Vec<Remote>, Vec<Voice>) {
    let mut remote = Vec::new();
    let mut voices = Vec::new();
    for r in receive {
        let Some(t) = transceiver(pc, &r.mid) else {
            continue;
        };
        let track = t.receiver().track();
        let track_id = track.id();
        if r.source == Source::Microphone {
            let kept = old_voices
                .iter()
                .find(|v| v.mid == r.mid && v.track_id == track_id)
                .map(|v| Voice {
                    from: r.from,
                    ..v.clone()
                });
            if let Some(v) = kept.or_else(|| {
                Some(Voice {
                    mid: r.mid.clone(),
                    from: r.from,
                    stream: stream_of(&track)?,
                    track_id,
                })
            }) {
                voices.push(v);
            }
            continue;
        }
        let screen = r.source == Source::Screen;
        let kept = old_remote
            .iter()
            .find(|o| o.from == r.from && o.screen == screen && o.track_id == track_id);
        if let Some(v) = kept.cloned().or_else(|| {
            Some(Remote {
                from: r.from,
                screen,
                stream: stream_of(&track)?,
                track_id,
            })
        }) {
            remote.push(v);
        }
    }
    (remote, voices)
}

/// Whether two lists hold the same streams (so the signal need not change).
pub fn same_remote(a: &[Remote], b: &[Remote]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| a.from == b.from && a.screen == b.screen && a.track_id == b.track_id)
}

pub fn same_voices(a: &[Voice], b: &[Voice]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| a.mid == b.mid && a.from == b.from && a.track_id == b.track_id)
}

fn stream_of(track: &MediaStreamTrack) -> Option<MediaStream> {
    let stream = MediaStream::new().ok()?;
    stream.add_track(track);
    Some(stream)
}

/// The transceiver negotiated under `mid`.
pub fn transceiver(pc: &RtcPeerConnection, mid: &str) -> Option<RtcRtpTransceiver> {
    Array::from(&pc.get_transceivers())
        .iter()
        .map(|t| t.unchecked_into::<RtcRtpTransceiver>())
        .find(|t| t.mid().as_deref() == Some(mid))
}
