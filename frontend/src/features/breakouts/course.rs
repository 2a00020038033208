//! For a host launched from a course: **Use course groups** (one room per group) and **Use
//! course roster** (the course's learners dealt into the rooms asked for). The server reads the
//! course; the plan it returns is loaded like any plan, and people are placed by their platform
//! identity when they arrive.

use crate::app::tr;
use crate::features::launch::CourseLink;
use crate::net::http;
use crate::net::socket::Outbox;
use leptos::prelude::*;
use plenary_shared::api::CoursePlanSource;
use plenary_shared::meeting::arrivals::Absent;
use plenary_shared::meeting::command::Command;

/// The course buttons, if this page came from a course that offers its roster; `rooms` is the
/// setup form's number of rooms, for the roster.
pub fn course_buttons(outbox: Outbox, rooms: Signal<Option<usize>>) -> impl IntoView {
    let link = use_context::<CourseLink>().filter(|l| l.roster)?;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let fetch = move |from: CoursePlanSource| {
        let Some(ticket) = link.ticket.get_untracked() else {
            return;
        };
        let rooms = rooms.get_untracked();
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match http::course_plan(&ticket, from, rooms).await {
                Ok(plan) => outbox.send(Command::LoadPlan { plan }),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    Some(view! {
        <div class="row course">
            <Show when=move || link.groups>
                <button
                    type="button"
                    disabled=move || busy.get()
                    on:click=move |_| fetch(CoursePlanSource::Groups)
                >
                    {tr(|t| t.use_course_groups)}
                </button>
            </Show>
            <button
                type="button"
                class="secondary"
                disabled=move || busy.get()
                on:click=move |_| fetch(CoursePlanSource::Roster)
            >
                {tr(|t| t.use_course_roster)}
            </button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    })
}

/// How often the panel asks who has not come.
const ABSENT_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// "Not here yet": the people the plan names who have not come, each with their room, for a
/// host launched from a course (asked of the server while the panel shows).
pub fn not_here() -> impl IntoView {
    let link = use_context::<CourseLink>()?;
    let absent = RwSignal::new(Vec::<Absent>::new());
    let ask = move || {
        let Some(ticket) = link.ticket.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(found) = http::absent(&ticket).await {
                absent.set(found);
            }
        });
    };
    ask();
    if let Ok(handle) = set_interval_with_handle(ask, ABSENT_EVERY) {
        on_cleanup(move || handle.clear());
    }
    Some(view! {
        <Show when=move || absent.with(|a| !a.is_empty())>
            <h3>{move || format!("{} ({})", crate::app::use_texts()().not_here_yet, absent.with(Vec::len))}</h3>
            <ul class="not-here" aria-label=tr(|t| t.not_here_yet)>
                <For each=move || absent.get() key=|a| (a.name.clone(), a.room.clone()) let:who>
                    <li>
                        {who.name.clone()}
                        {who.room.clone().map(|room| view! { <span class="muted">" · " {room}</span> })}
                    </li>
                </For>
            </ul>
        </Show>
    })
}
