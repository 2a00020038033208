//! Coming in from a course (LTI): the server's launch sent the page here with a ticket in the
//! fragment. The page asks where the course's meeting stands, waits while no host has opened
//! it, and then goes straight into it as the person the platform named: no join form. Inside a
//! course page that does not let frames use the camera, it offers a new window (which keeps the
//! identity: the ticket goes along). No cookie is involved, so blocked third-party cookies and
//! storage do not matter.

use crate::app::tr;
use crate::features::meeting;
use crate::media::devices;
use crate::net::{http, storage};
use leptos::prelude::*;
use plenary_shared::api::LtiSession;
use plenary_shared::ids::MeetingId;
use std::time::Duration;

/// How often a waiting page asks again.
const POLL: Duration = Duration::from_secs(3);
/// How often a page in the meeting renews its ticket (good for 15 minutes), so the course's
/// roster stays reachable and a reload still works.
const RENEW: Duration = Duration::from_secs(10 * 60);

/// What a page launched from a course can do with the course, for the breakout panel.
#[derive(Debug, Clone, Copy)]
pub struct CourseLink {
    /// The newest ticket.
    pub ticket: RwSignal<Option<String>>,
    /// Whether the course offers its roster and groups to this person.
    pub roster: bool,
    pub groups: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Opening,
    Waiting {
        title: String,
    },
    Ready {
        meeting: MeetingId,
        name: String,
        roster: bool,
        groups: bool,
    },
    Failed,
}

/// `/lti/join`.
#[component]
pub fn LaunchPage(ticket: Option<String>) -> impl IntoView {
    // A ticket in the address is kept for this tab and taken out of the address bar; where
    // the browser keeps nothing (a cross-site frame), it stays there so a reload still works.
    if let Some(t) = &ticket
        && storage::remember_ticket(t)
    {
        storage::clear_fragment();
    }
    let ticket = RwSignal::new(ticket.or_else(storage::ticket));
    let stage = RwSignal::new(Stage::Opening);
    let framed_without_devices = devices::in_frame() && !devices::frame_allows_devices();
    let stay = RwSignal::new(!framed_without_devices);
    let ask = StoredValue::new(None::<Box<dyn Fn() + Send + Sync>>);
    let check = move || {
        let Some(current) = ticket.get_untracked() else {
            stage.set(Stage::Failed);
            return;
        };
        leptos::task::spawn_local(async move {
            match http::lti_session(&current).await {
                Ok(LtiSession::Ready {
                    meeting,
                    name,
                    ticket: fresh,
                    roster,
                    groups,
                    ..
                }) => {
                    storage::remember_ticket(&fresh);
                    ticket.set(Some(fresh));
                    let ready = Stage::Ready {
                        meeting,
                        name,
                        roster,
                        groups,
                    };
                    // Renewals leave the page as it is.
                    if stage.get_untracked() != ready {
                        stage.set(ready);
                    }
                    set_timeout(
                        move || {
                            ask.with_value(|again| again.as_ref().map(|f| f()))
                                .unwrap_or(())
                        },
                        RENEW,
                    );
                }
                Ok(LtiSession::Waiting {
                    title,
                    ticket: fresh,
                    ..
                }) => {
                    storage::remember_ticket(&fresh);
                    ticket.set(Some(fresh));
                    stage.set(Stage::Waiting { title });
                    set_timeout(
                        move || {
                            ask.with_value(|again| again.as_ref().map(|f| f()))
                                .unwrap_or(())
                        },
                        POLL,
                    );
                }
                // A failed renewal leaves a running meeting alone.
                Err(_) if matches!(stage.get_untracked(), Stage::Ready { .. }) => {}
                Err(_) => stage.set(Stage::Failed),
            }
        });
    };
    ask.set_value(Some(Box::new(check)));
    check();
    let new_window = move || {
        let t = ticket.get().unwrap_or_default();
        format!("/lti/join#ticket={t}")
    };
    move || {
        if !stay.get() {
            return view! {
                <main>
                    <p role="status">{tr(|t| t.lti_no_devices)}</p>
                    <p>
                        <a class="button" href=new_window target="_blank" rel="noopener">
                            {tr(|t| t.lti_open_window)}
                        </a>
                    </p>
                    <button on:click=move |_| stay.set(true)>{tr(|t| t.lti_stay)}</button>
                </main>
            }
            .into_any();
        }
        match stage.get() {
            Stage::Opening => view! {
                <main><p role="status">{tr(|t| t.lti_opening)}</p></main>
            }
            .into_any(),
            Stage::Waiting { title } => view! {
                <main>
                    <h1>{title}</h1>
                    <p role="status">{tr(|t| t.lti_waiting)}</p>
                </main>
            }
            .into_any(),
            Stage::Failed => view! {
                <main><p role="alert" class="error">{tr(|t| t.lti_failed)}</p></main>
            }
            .into_any(),
            Stage::Ready {
                meeting,
                name,
                roster,
                groups,
            } => {
                provide_context(CourseLink {
                    ticket,
                    roster,
                    groups,
                });
                meeting::MeetingPage(meeting::MeetingPageProps {
                    id: meeting,
                    host_secret: None,
                    passcode: None,
                    launch: ticket.get_untracked().map(|t| (t, name)),
                })
                .into_any()
            }
        }
    }
}
