//! Choosing the camera, microphone and speaker, with the microphone's level beside them: in
//! the join form under the preview, and in the meeting's Settings panel. A choice is used at
//! once (the new device replaces the old while sending) and remembered for the next time.

use crate::app::{tr, use_texts};
use crate::media::MediaState;
use crate::media::choice::DeviceKind;
use leptos::prelude::*;

/// The three pickers and the level meter.
pub fn device_pickers(media: MediaState) -> impl IntoView {
    let t = use_texts();
    media.start_meter();
    on_cleanup(move || media.stop_meter());
    let picker = move |kind: DeviceKind, label: Signal<&'static str>| {
        let options = move || media.device_lists.with(|l| l.of(kind).to_vec());
        // Nothing chosen yet: the browser's first (its default).
        let chosen = move || {
            media.chosen(kind).unwrap_or_else(|| {
                media
                    .device_lists
                    .with(|l| l.of(kind).first().map(|d| d.id.clone()))
                    .unwrap_or_default()
            })
        };
        view! {
            <label class="picker">
                {label}
                <select
                    prop:value=chosen
                    on:change=move |ev| media.choose(kind, event_target_value(&ev))
                >
                    <For each=options key=|d| d.id.clone() let:device>
                        {
                            let id = device.id.clone();
                            let selected = move || chosen() == id;
                            let name = if device.label.is_empty() {
                                t().default_device.to_owned()
                            } else {
                                device.label.clone()
                            };
                            view! { <option value=device.id.clone() selected=selected>{name}</option> }
                        }
                    </For>
                </select>
            </label>
        }
    };
    view! {
        <div class="pickers">
            {picker(DeviceKind::Camera, tr(|t| t.camera))}
            {picker(DeviceKind::Microphone, tr(|t| t.microphone))}
            <Show when=move || media.device_lists.with(|l| !l.speakers.is_empty())>
                {picker(DeviceKind::Speaker, tr(|t| t.speaker))}
            </Show>
            <label class="picker">
                {tr(|t| t.mic_level)}
                <meter class="level" min="0" max="1" low="0.2" high="0.9" optimum="0.6" value=move || media.level.get()></meter>
            </label>
        </div>
    }
}
