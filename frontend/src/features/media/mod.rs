//! The video area and the media buttons. A tile per person in my place (and per screen they
//! share), laid out as a gallery in pages or as the speaker view (`layout.rs`); what the
//! layout shows is what the server is asked to send video for. Whose tiles exist comes from
//! the store (who is in my place); streams and who speaks come from the media connection.

mod layout;
mod pickers;
mod tiles;

pub use pickers::device_pickers;
pub use tiles::preview;

use crate::app::{tr, use_texts};
use crate::features::icons::{self, icon};
use crate::media::{MediaPath, MediaState, MediaStatus};
use crate::net::socket::Outbox;
use crate::store::Store;
use layout::{Arrangement, Layout};
use leptos::prelude::*;
use plenary_shared::ids::ParticipantId;
use plenary_shared::meeting::command::Command;

/// The tiles of everyone in my place, me first.
pub fn videos(store: Store, media: MediaState) -> impl IntoView {
    let t = use_texts();
    let layout = RwSignal::new(Layout::default());
    let page = RwSignal::new(0usize);
    let pinned = RwSignal::new(None::<ParticipantId>);
    // The people in my place, me first.
    let people = Memo::new(move |_| {
        let me = store.me.get();
        store.meeting.with(|m| {
            let Some(place) = me.and_then(|me| m.participant(me)).map(|p| p.place) else {
                return Vec::new();
            };
            let mut list: Vec<ParticipantId> = m.people_in(place).map(|p| p.id).collect();
            list.sort_by_key(|p| Some(*p) != me);
            list
        })
    });
    // The grid's size, as it changes (a panel opening beside the stage, a rotated phone), and
    // the tile sizes that fill it.
    let grid = NodeRef::<leptos::html::Div>::new();
    // Until it is measured, a desktop's stage is assumed.
    let area = RwSignal::new((1264.0f64, 650.0f64));
    let watch = StoredValue::new_local(None::<crate::net::dom::SizeWatch>);
    Effect::new(move || {
        if let Some(el) = grid.get() {
            let watching = crate::net::dom::watch_size(&el, move |w, h| area.set((w, h)));
            watch.set_value(watching);
        }
    });
    on_cleanup(move || watch.set_value(None));
    let shown = Memo::new(move |_| {
        people.with(|all| {
            layout::arrange(
                all,
                store.me.get(),
                layout.get(),
                (page.get(), area.with(|(w, h)| layout::per_page(*w, *h))),
                media.active.get(),
                pinned.get(),
            )
        })
    });
    // The server sends video only for what the page shows.
    Effect::new(move || {
        let view = shown.with(|a: &Arrangement| a.view(store.me.get()));
        media.set_view(view);
    });
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
    let pin_of = move |who: ParticipantId| {
        let is_pinned = Signal::derive(move || pinned.get() == Some(who));
        let toggle = Callback::new(move |()| {
            if pinned.get_untracked() == Some(who) {
                pinned.set(None);
            } else {
                pinned.set(Some(who));
                layout.set(Layout::Speaker);
            }
        });
        (is_pinned, toggle)
    };
    let sizes = move || {
        let (w, h) = area.get();
        let spotlight = !screens().is_empty();
        let f = shown.with(|a| {
            let stage = a.stage.is_some() || spotlight;
            layout::fit(a.tiles.len(), stage, w, h)
        });
        let stage = f
            .stage_width
            .map(|s| format!(" --stage-width: {s:.0}px;"))
            .unwrap_or_default();
        format!(
            "--cols: {}; --tile-width: {:.0}px;{stage}",
            f.cols, f.tile_width
        )
    };
    let tile_of = move |who: ParticipantId, large: bool| {
        let me = store.me.get_untracked() == Some(who);
        tiles::tile(store, media, who, me, large, (!me).then(|| pin_of(who)))
    };
    view! {
        <section class="videos card" aria-label=tr(|t| t.videos)>
            {move || match media.status.get() {
                MediaStatus::Connecting => Some(view! { <p class="muted" role="status">{t().media_connecting}</p> }.into_any()),
                MediaStatus::Failed if media.blocked.get() => Some(view! { <p class="error" role="alert" data-media-blocked="true">{t().media_blocked}</p> }.into_any()),
                MediaStatus::Failed => Some(view! { <p class="error" role="status">{t().media_failed}</p> }.into_any()),
                _ => None,
            }}
            <Show when=move || media.no_devices.get()>
                <p class="muted" role="status">{tr(|t| t.no_devices)}</p>
            </Show>
            <div class="layout-bar">
                <button
                    class="layout-toggle"
                    aria-pressed=move || (layout.get() == Layout::Speaker).to_string()
                    on:click=move |_| layout.update(|l| *l = match l {
                        Layout::Gallery => Layout::Speaker,
                        Layout::Speaker => Layout::Gallery,
                    })
                >
                    {move || match layout.get() {
                        Layout::Gallery => t().speaker_view,
                        Layout::Speaker => t().gallery_view,
                    }}
                </button>
                <Show when=move || shown.with(|a| a.pages > 1)>
                    <button class="page-prev" disabled=move || shown.with(|a| a.page == 0)
                        on:click=move |_| page.set(shown.with_untracked(|a| a.page.saturating_sub(1)))>
                        {tr(|t| t.previous_page)}
                    </button>
                    <span class="page-of" role="status">
                        {move || shown.with(|a| format!("{} {} / {}", t().page, a.page + 1, a.pages))}
                    </span>
                    <button class="page-next" disabled=move || shown.with(|a| a.page + 1 >= a.pages)
                        on:click=move |_| page.set(shown.with_untracked(|a| a.page + 1))>
                        {tr(|t| t.next_page)}
                    </button>
                </Show>
                {move || media.path.get().map(|path| {
                let (name, how) = match path {
                    MediaPath::Udp => ("udp", t().path_udp),
                    MediaPath::Tcp => ("tcp", t().path_tcp),
                    MediaPath::Relay => ("relay", t().path_relay),
                };
                view! { <p class="muted connection" data-path=name>{t().connection}": "{how}</p> }
            })}
            </div>
            {tiles::voices(media)}
            <div class="grid fit" node_ref=grid style=sizes>
                <For each=screens key=|who| *who let:who>
                    {
                        let label = move || format!("{} {}", t().screen_of, name_of(who));
                        let stream = Signal::derive_local(move || {
                            media.remote.with(|r| r.iter().find(|r| r.screen && r.from == who).map(|r| r.stream.clone()))
                        });
                        view! {
                            <figure class="tile screen" aria-label=label>
                                {tiles::player(stream)}
                                <figcaption>{label}</figcaption>
                            </figure>
                        }
                    }
                </For>
                // Keyed, so the stage's tile (and its video) stays while the same person is on it.
                <For each=move || shown.with(|a| a.stage.into_iter().collect::<Vec<_>>()) key=|who| *who let:who>
                    <div class="stage">{tile_of(who, true)}</div>
                </For>
                <For each=move || shown.with(|a| a.tiles.clone()) key=|who| *who let:who>
                    {tile_of(who, false)}
                </For>
            </div>
        </section>
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
    let hand_up = move || {
        let me = store.me.get();
        store.meeting.with(|m| {
            me.and_then(|me| m.participant(me))
                .is_some_and(|p| p.hand.is_some())
        })
    };
    let toggle_hand = move |_| match store.me.get_untracked() {
        Some(me) if hand_up() => outbox.send(Command::LowerHand { participant: me }),
        Some(_) => outbox.send(Command::RaiseHand),
        None => {}
    };
    // What we send follows the meeting's word on our microphone (the host's mute included).
    Effect::new(move || media.set_microphone(!muted()));
    view! {
        <button
            disabled=move || muted() && !may_unmute()
            aria-keyshortcuts="Alt+A"
            title="Alt+A"
            on:click=move |_| outbox.send(Command::SetMyMicrophone { muted: !muted() })
        >
            {move || icon(if muted() { icons::MIC_OFF } else { icons::MIC })}
            <span class="label">{move || if muted() { t().unmute } else { t().mute }}</span>
        </button>
        <button aria-keyshortcuts="Alt+V" title="Alt+V" on:click=move |_| media.set_camera(!media.camera_on.get_untracked())>
            {icon(icons::VIDEO)}
            <span class="label">{move || if media.camera_on.get() { t().stop_video } else { t().start_video }}</span>
        </button>
        <button aria-keyshortcuts="Alt+S" title="Alt+S" on:click=move |_| media.set_sharing(!media.sharing.get_untracked())>
            {icon(icons::SCREEN)}
            <span class="label">{move || if media.sharing.get() { t().stop_sharing } else { t().share_screen }}</span>
        </button>
        <button aria-keyshortcuts="Alt+Y" title="Alt+Y" aria-pressed=move || hand_up().to_string() on:click=toggle_hand>
            {icon(icons::HAND)}
            <span class="label">{move || if hand_up() { t().lower_hand } else { t().raise_hand }}</span>
        </button>
    }
}
