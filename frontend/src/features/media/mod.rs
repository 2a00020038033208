//! The video grid and the media buttons. A tile per person in my place (and per screen they
//! share): their video, their name, a muted badge and a speaking ring. Whose tiles to show comes
//! from the store (who is in my place); the streams come from the media connection.

use crate::app::{tr, use_texts};
use crate::media::{MediaPath, MediaState, MediaStatus};
use crate::net::socket::Outbox;
use crate::store::Store;
use leptos::html::Video;
use leptos::prelude::*;
use plenary_shared::ids::ParticipantId;
use plenary_shared::meeting::command::Command;
use web_sys::MediaStream;

/// The tiles of everyone in my place, me first.
pub fn videos(store: Store, media: MediaState) -> impl IntoView {
    let t = use_texts();
    // (id, name, is me) of the people in my place.
    let people = move || {
        let me = store.me.get();
        store.meeting.with(|m| {
            let Some(place) = me.and_then(|me| m.participant(me)).map(|p| p.place) else {
                return Vec::new();
            };
            let mut list: Vec<(ParticipantId, String, bool)> = m
                .people_in(place)
                .map(|p| (p.id, p.name.clone(), Some(p.id) == me))
                .collect();
            list.sort_by_key(|p| !p.2);
            list
        })
    };
    let screens = move || {
        media.remote.with(|r| {
            r.iter()
                .filter(|r| r.screen)
                .map(|r| r.from)
                .collect::<Vec<_>>()
        })
    };
    let name_of = move |who: ParticipantId| {
        store
            .meeting
            .with(|m| m.participant(who).map(|p| p.name.clone()))
            .unwrap_or_default()
    };
    view! {
        <section class="videos card" aria-label=tr(|t| t.videos)>
            {move || match media.status.get() {
                MediaStatus::Connecting => Some(view! { <p class="muted" role="status">{t().media_connecting}</p> }.into_any()),
                MediaStatus::Failed if media.blocked.get() => Some(view! { <p class="error" role="alert" data-media-blocked="true">{t().media_blocked}</p> }.into_any()),
                MediaStatus::Failed => Some(view! { <p class="error" role="status">{t().media_failed}</p> }.into_any()),
                _ => None,
            }}
            {move || media.path.get().map(|path| {
                let (name, how) = match path {
                    MediaPath::Udp => ("udp", t().path_udp),
                    MediaPath::Tcp => ("tcp", t().path_tcp),
                    MediaPath::Relay => ("relay", t().path_relay),
                };
                view! { <p class="muted connection" data-path=name>{t().connection}": "{how}</p> }
            })}
            <Show when=move || media.no_devices.get()>
                <p class="muted" role="status">{tr(|t| t.no_devices)}</p>
            </Show>
            <div class="grid">
                <For each=screens key=|who| *who let:who>
                    {
                        let label = move || format!("{} {}", t().screen_of, name_of(who));
                        let stream = Signal::derive_local(move || {
                            media.remote.with(|r| r.iter().find(|r| r.screen && r.from == who).map(|r| r.stream.clone()))
                        });
                        view! {
                            <figure class="tile screen" aria-label=label>
                                {player(stream, false)}
                                <figcaption>{label}</figcaption>
                            </figure>
                        }
                    }
                </For>
                <For each=people key=|p| p.clone() let:person>
                    {tile(store, media, person.0, person.1, person.2)}
                </For>
            </div>
        </section>
    }
}

fn tile(
    store: Store,
    media: MediaState,
    who: ParticipantId,
    name: String,
    me: bool,
) -> impl IntoView {
    let t = use_texts();
    let label = {
        let name = name.clone();
        move || format!("{} {name}", t().video_of)
    };
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
    // A muted person is never shown speaking, whatever stale audio level the browser reports.
    let speaking = move || !muted() && media.speaking.with(|s| s.contains(&who));
    let camera_off = move || {
        if me {
            !media.camera_on.get()
        } else {
            stream.with(|s| {
                s.as_ref()
                    .is_none_or(|s| s.get_video_tracks().length() == 0)
            })
        }
    };
    view! {
        <figure class="tile" class:speaking=speaking class:camera-off=camera_off aria-label=label.clone()>
            {player(stream, me)}
            <figcaption>
                <span class="name">{name}</span>
                <Show when=speaking>
                    <span class="badge speaking-badge">{tr(|t| t.speaking)}</span>
                </Show>
                <Show when=muted>
                    <span class="badge muted-badge">{tr(|t| t.muted_badge)}</span>
                </Show>
            </figcaption>
        </figure>
    }
}

/// A `<video>` playing `stream` (silent for our own, which we must not hear back).
fn player(stream: Signal<Option<MediaStream>, LocalStorage>, silent: bool) -> impl IntoView {
    let node = NodeRef::<Video>::new();
    Effect::new(move || {
        let wanted = stream.get();
        if let Some(video) = node.get()
            && video.src_object().as_ref() != wanted.as_ref()
        {
            video.set_src_object(wanted.as_ref());
        }
    });
    view! { <video node_ref=node autoplay=true playsinline=true prop:muted=silent></video> }
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
                {player(stream, true)}
                <figcaption>
                    <span class="name">{move || t().camera_preview}</span>
                </figcaption>
            </figure>
        </Show>
    }
}

/// Mute, video and screen-share buttons.
pub fn controls(store: Store, media: MediaState, outbox: Outbox) -> impl IntoView {
    let t = use_texts();
    let muted = move || {
        let me = store.me.get();
        store
            .meeting
            .with(|m| me.and_then(|me| m.participant(me)).is_some_and(|p| p.muted))
    };
    let may_unmute = move || {
        let allowed = store.meeting.with(|m| m.self_unmute_allowed);
        store.my_role().is_some_and(|r| r.may_unmute_self(allowed))
    };
    // What we send follows the meeting's word on our microphone (the host's mute included).
    Effect::new(move || media.set_microphone(!muted()));
    view! {
        <button
            disabled=move || muted() && !may_unmute()
            on:click=move |_| outbox.send(Command::SetMyMicrophone { muted: !muted() })
        >
            {move || if muted() { t().unmute } else { t().mute }}
        </button>
        <button on:click=move |_| media.set_camera(!media.camera_on.get_untracked())>
            {move || if media.camera_on.get() { t().stop_video } else { t().start_video }}
        </button>
        <button on:click=move |_| media.set_sharing(!media.sharing.get_untracked())>
            {move || if media.sharing.get() { t().stop_sharing } else { t().share_screen }}
        </button>
    }
}
