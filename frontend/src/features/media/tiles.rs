//! One tile (a person's video, name, badges, the speaking ring and the pin button), the
//! players, the join form's preview, and the hidden players of the voices we receive. Video
//! elements are always silent: sound comes from the audio slots, whoever they carry.

use crate::app::{tr, use_texts};
use crate::media::MediaState;
use crate::media::quality::Quality;
use crate::store::Store;
use leptos::html::{Audio, Video};
use leptos::prelude::*;
use plenary_shared::ids::ParticipantId;
use web_sys::MediaStream;

/// A person's tile. `pin` is `None` for my own tile (nothing to pin), else whether they are
/// pinned, with what a click on the pin button does.
pub fn tile(
    store: Store,
    media: MediaState,
    who: ParticipantId,
    me: bool,
    large: bool,
    pin: Option<(Signal<bool>, Callback<()>)>,
) -> impl IntoView {
    let t = use_texts();
    let name = move || {
        store
            .meeting
            .with(|m| m.participant(who).map(|p| p.name.clone()))
            .unwrap_or_default()
    };
    let label = move || format!("{} {}", t().video_of, name());
    // Without a picture (camera off, or not among the videos sent), the tile shows an initial.
    let initial = move || name().chars().next().map(|c| c.to_uppercase().to_string());
    let stream = Signal::derive_local(move || {
        if me {
            media.local.get()
        } else {
            media.remote.with(|r| {
                r.iter()
                    .find(|r| !r.screen && r.from == who)
                    .map(|r| r.stream.clone())
            })
        }
    });
    let muted = move || {
        store
            .meeting
            .with(|m| m.participant(who).is_some_and(|p| p.muted))
    };
    // Who speaks comes from the server's audio levels; a muted person is never shown speaking.
    let speaking = move || !muted() && media.speaking.with(|s| s.contains(&who));
    let active = move || media.active.get() == Some(who);
    let hand = move || {
        store
            .meeting
            .with(|m| m.participant(who).is_some_and(|p| p.hand.is_some()))
    };
    // How well their video reaches us (nothing for my own tile).
    let quality = move || {
        if me {
            return None;
        }
        media.quality.with(|q| q.get(&who).copied())
    };
    let camera_off = move || {
        if me {
            !media.camera_on.get()
        } else {
            stream.with(|s| s.is_none())
        }
    };
    let pin_button = pin.map(|(pinned, toggle)| {
        view! {
            <button
                class="pin"
                aria-pressed=move || pinned.get().to_string()
                aria-label=move || format!("{} {}", if pinned.get() { t().unpin } else { t().pin }, name())
                on:click=move |_| toggle.run(())
            >
                {move || if pinned.get() { t().unpin } else { t().pin }}
            </button>
        }
    });
    view! {
        <figure
            class="tile"
            class:large=large
            class:mine=me
            class:speaking=speaking
            class:active-speaker=active
            class:camera-off=camera_off
            aria-label=label
            data-who=who.0.to_string()
        >
            {player(stream)}
            <Show when=camera_off>
                <span class="avatar" aria-hidden="true">{initial}</span>
            </Show>
            <figcaption>
                <span class="name">{name}</span>
                <Show when=speaking>
                    <span class="badge speaking-badge">{tr(|t| t.speaking)}</span>
                </Show>
                <Show when=muted>
                    <span class="badge muted-badge">{tr(|t| t.muted_badge)}</span>
                </Show>
                <Show when=hand>
                    <span class="badge hand-badge" title=move || t().hand_raised>{move || t().hand}</span>
                </Show>
                {move || quality().map(|q| {
                    let (class, word) = match q {
                        Quality::Good => ("quality q-good", t().quality_good),
                        Quality::Fair => ("quality q-fair", t().quality_fair),
                        Quality::Poor => ("quality q-poor", t().quality_poor),
                    };
                    let said = format!("{}: {word}", t().connection);
                    view! {
                        <span class=class role="img" aria-label=said.clone() title=said>
                            <i></i><i></i><i></i>
                        </span>
                    }
                })}
                {pin_button}
            </figcaption>
        </figure>
    }
}

/// A silent `<video>` playing `stream`.
pub fn player(stream: Signal<Option<MediaStream>, LocalStorage>) -> impl IntoView {
    let node = NodeRef::<Video>::new();
    Effect::new(move || {
        let wanted = stream.get();
        if let Some(video) = node.get()
            && video.src_object().as_ref() != wanted.as_ref()
        {
            video.set_src_object(wanted.as_ref());
        }
    });
    view! { <video node_ref=node autoplay=true playsinline=true prop:muted=true></video> }
}

/// One hidden `<audio>` per audio slot: each plays whichever voice the server puts on it.
pub fn voices(media: MediaState) -> impl IntoView {
    let mids = move || {
        media
            .voices
            .with(|v| v.iter().map(|v| v.mid.clone()).collect::<Vec<_>>())
    };
    view! {
        <div class="voices" hidden=true>
            <For each=mids key=|mid| mid.clone() let:mid>
                {
                    let node = NodeRef::<Audio>::new();
                    let mid_for = mid.clone();
                    Effect::new(move || {
                        let wanted = media
                            .voices
                            .with(|v| v.iter().find(|v| v.mid == mid_for).map(|v| v.stream.clone()));
                        if let Some(audio) = node.get()
                            && audio.src_object().as_ref() != wanted.as_ref()
                        {
                            audio.set_src_object(wanted.as_ref());
                        }
                    });
                    // Every voice plays on the speaker chosen.
                    Effect::new(move || {
                        if let (Some(audio), Some(speaker)) = (node.get(), media.speaker.get()) {
                            crate::media::choice::set_sink(&audio, &speaker);
                        }
                    });
                    let mid_of = mid.clone();
                    let from = move || {
                        media.voices.with(|v| {
                            v.iter().find(|v| v.mid == mid_of).map(|v| v.from.0.to_string())
                        })
                    };
                    view! { <audio node_ref=node autoplay=true data-mid=mid data-from=from></audio> }
                }
            </For>
        </div>
    }
}

/// The join form's camera preview: what the others will see, before joining.
pub fn preview(media: MediaState) -> impl IntoView {
    media.open_devices();
    let t = use_texts();
    let stream = Signal::derive_local(move || media.local.get());
    view! {
        // Always there (unless no device opened), so the form does not jump down under the
        // person's pointer when the camera starts.
        <Show when=move || !media.no_devices.get()>
            <figure class="tile preview" aria-label=move || t().camera_preview>
                {player(stream)}
                <figcaption>
                    <span class="name">{move || t().camera_preview}</span>
                </figcaption>
            </figure>
        </Show>
    }
}
