//! `/plan`: a meeting prepared ahead, with nothing running yet — title, start time, passcode,
//! co-hosts to be, and the breakout plan, typed in or imported from a CSV file (shown as a
//! preview, problems listed by line, before anything is used). Creating it gives the host link
//! and the participant link.

mod draft;
mod preview;

use crate::app::{tr, use_texts};
use crate::features::fields::field;
use crate::net::{files, http, time};
use crate::route;
use draft::DraftRoom;
use leptos::prelude::*;
use plenary_shared::api::{CreatedMeeting, NewMeeting};
use plenary_shared::meeting::info::MeetingInfo;
use plenary_shared::meeting::plan::Plan;
use plenary_shared::plan_csv::{self, CsvImport};

/// One room of the form; each field is its own signal so typing re-renders only that field.
#[derive(Debug, Clone, Copy)]
struct RoomFields {
    key: u32,
    name: RwSignal<String>,
    topic: RwSignal<String>,
    people: RwSignal<String>,
}

impl RoomFields {
    fn new(key: u32, draft: DraftRoom) -> Self {
        RoomFields {
            key,
            name: RwSignal::new(draft.name),
            topic: RwSignal::new(draft.topic),
            people: RwSignal::new(draft.people),
        }
    }

    fn draft(&self) -> DraftRoom {
        DraftRoom {
            name: self.name.get_untracked(),
            topic: self.topic.get_untracked(),
            people: self.people.get_untracked(),
        }
    }
}

/// The planning page.
#[component]
pub fn PlanPage() -> impl IntoView {
    let t = use_texts();
    let title = RwSignal::new(String::new());
    let starts = RwSignal::new(String::new());
    let passcode = RwSignal::new(String::new());
    let co_hosts = RwSignal::new(String::new());
    let next_key = StoredValue::new(1u32);
    // Rooms belong to the page: made from a short-lived view (the CSV preview), their signals
    // must not die with it.
    let page = StoredValue::new_local(Owner::current());
    let fresh = move |draft: DraftRoom| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        page.with_value(|owner| match owner {
            Some(owner) => owner.with(|| RoomFields::new(key, draft)),
            None => RoomFields::new(key, draft),
        })
    };
    let rooms = RwSignal::new(Vec::<RoomFields>::new());
    let import = RwSignal::new(None::<CsvImport>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<CreatedMeeting>);

    let use_plan = move |plan: Plan| {
        rooms.set(draft::from_plan(&plan).into_iter().map(fresh).collect());
        import.set(None);
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        leptos::task::spawn_local(async move {
            match files::first_file_bytes(&input).await {
                Ok(Some(bytes)) => import.set(Some(plan_csv::parse(&bytes))),
                Ok(None) => import.set(None),
                Err(e) => error.set(Some(e)),
            }
            // Picking the same file again after fixing it must fire `change` again.
            input.set_value("");
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let drafts: Vec<DraftRoom> = rooms
            .get_untracked()
            .iter()
            .map(RoomFields::draft)
            .collect();
        let plan = draft::to_plan(&drafts);
        let new = NewMeeting {
            info: MeetingInfo {
                title: title.get_untracked(),
                starts_at: time::parse_local(&starts.get_untracked()),
                passcode: Some(passcode.get_untracked()).filter(|p| !p.trim().is_empty()),
                co_hosts: draft::lines(&co_hosts.get_untracked()),
            },
            plan: (!plan.rooms.is_empty()).then_some(plan),
        };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match http::create_meeting(&new).await {
                Ok(c) => created.set(Some(c)),
                Err(e) => error.set(Some(format!("{}: {e}", t().could_not_create))),
            }
            busy.set(false);
        });
    };

    let form = move || {
        view! {
            <form class="card plan" on:submit=submit>
                {field(|t| t.title, "text", title, None)}
                {field(|t| t.start_time, "datetime-local", starts, None)}
                {field(|t| t.passcode, "text", passcode, None)}
                <p class="muted">{tr(|t| t.passcode_hint)}</p>
                <label>
                    {tr(|t| t.co_hosts)}
                    <textarea
                        rows="3"
                        prop:value=move || co_hosts.get()
                        on:input=move |ev| co_hosts.set(event_target_value(&ev))
                    ></textarea>
                </label>
                <p class="muted">{tr(|t| t.co_hosts_hint)}</p>
                <h2>{tr(|t| t.breakout_rooms)}</h2>
                <label class="file">
                    {tr(|t| t.import_csv)}
                    <input type="file" accept=".csv,text/csv" on:change=on_file />
                </label>
                <p class="muted">{tr(|t| t.csv_hint)}</p>
                {move || {
                    import
                        .get()
                        .map(|found| preview::preview(found, use_plan, move || import.set(None)))
                }}
                <ol class="plan-rooms">
                    <For each=move || rooms.get() key=|r| r.key let:room>
                        {room_fields(room, move || rooms.update(|rs| rs.retain(|r| r.key != room.key)))}
                    </For>
                </ol>
                <button
                    type="button"
                    on:click=move |_| rooms.update(|rs| rs.push(fresh(DraftRoom::default())))
                >
                    {tr(|t| t.add_room)}
                </button>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { t().creating } else { t().create_meeting }}
                </button>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </form>
        }
    };

    view! {
        <main>
            <h1>{tr(|t| t.plan_meeting)}</h1>
            {move || match created.get() {
                None => form().into_any(),
                Some(c) => links(&c, &passcode.get_untracked()).into_any(),
            }}
        </main>
    }
}

fn room_fields(room: RoomFields, remove: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <li class="plan-room">
            {field(|t| t.room_name, "text", room.name, Some(64))}
            {field(|t| t.topic, "text", room.topic, None)}
            <label>
                {tr(|t| t.people)}
                <textarea
                    rows="3"
                    prop:value=move || room.people.get()
                    on:input=move |ev| room.people.set(event_target_value(&ev))
                ></textarea>
            </label>
            <button type="button" class="secondary" on:click=move |_| remove()>
                {tr(|t| t.remove_room)}
            </button>
        </li>
    }
}

/// After creating: the two links, and a way in.
fn links(created: &CreatedMeeting, passcode: &str) -> impl IntoView {
    let origin = window().location().origin().unwrap_or_default();
    let host = route::host_link(&origin, &created.meeting, &created.host_secret);
    let invite = match passcode.trim() {
        "" => route::invite_link(&origin, &created.meeting),
        p => route::invite_link_with_passcode(&origin, &created.meeting, p),
    };
    let open = host.clone();
    view! {
        <section class="card">
            <p role="status">{tr(|t| t.meeting_created)}</p>
            <label>
                {tr(|t| t.host_link)}
                <input type="text" readonly value=host />
            </label>
            <p class="muted">{tr(|t| t.host_link_hint)}</p>
            <label>
                {tr(|t| t.participant_link)}
                <input type="text" readonly value=invite />
            </label>
            <a class="button" href=open>{tr(|t| t.open_meeting)}</a>
        </section>
    }
}
