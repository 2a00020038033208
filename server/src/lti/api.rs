//! The JSON endpoints a page launched from a course calls with its ticket (`Authorization:
//! Bearer <ticket>`): where the course's meeting stands, a plan from the course's groups or
//! roster, and who of the plan has not come.

use super::{Lti, Ticket, open_ticket};
use crate::app::AppState;
use crate::http::ApiError;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use plenary_shared::api::{CoursePlanQuery, CoursePlanSource, LtiSession};
use plenary_shared::lms;
use std::sync::Arc;

/// The LTI tool and the unexpired ticket of the request's bearer token.
fn tool_and_ticket(state: &AppState, headers: &HeaderMap) -> Result<(Arc<Lti>, Ticket), ApiError> {
    let lti = state.lti.clone().ok_or(ApiError::UnknownMeeting)?;
    let bearer = crate::plans::bearer(headers).map_err(|_| ApiError::LaunchExpired)?;
    let ticket = open_ticket(&lti.ticket_key(), &bearer.0).ok_or(ApiError::LaunchExpired)?;
    Ok((lti, ticket))
}

/// `GET /api/lti/session`, with the ticket as `Authorization: Bearer`: the course's meeting
/// when there is one, else that it has not started; always with a fresh ticket.
pub async fn session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (lti, mut ticket) = match tool_and_ticket(&state, &headers) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    if ticket.meeting.is_none() {
        ticket.meeting = lti.links.meeting_of(&ticket.link).await;
    }
    let name = ticket.name.clone();
    let title = ticket.title.clone();
    let mut meeting = ticket.meeting.clone();
    if let Some(m) = &meeting
        && !super::routes::live(&state, m).await
    {
        meeting = None;
    }
    let (roster, groups) = (
        ticket.memberships_url.is_some(),
        ticket.groups_url.is_some(),
    );
    let Ok(signed) = lti.sign_ticket(ticket) else {
        return ApiError::Internal.into_response();
    };
    Json(match meeting {
        Some(meeting) => LtiSession::Ready {
            meeting,
            name,
            title,
            ticket: signed,
            roster,
            groups: groups && roster,
        },
        None => LtiSession::Waiting {
            name,
            title,
            ticket: signed,
        },
    })
    .into_response()
}

/// `GET /api/lti/course-plan?from=groups|roster[&rooms=N]`, with a host's or co-host's ticket:
/// a breakout plan from the course (people by platform identity), which the page then loads
/// into its meeting with `LoadPlan` like any plan.
pub async fn course_plan(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CoursePlanQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return ApiError::BadBody("say from=groups or from=roster".into()).into_response();
    };
    let (lti, ticket) = match tool_and_ticket(&state, &headers) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    if !ticket.role.is_hosting() {
        return ApiError::Rejected(plenary_shared::meeting::command::CommandError::NotAllowed {
            required: plenary_shared::meeting::command::Required::HostOrCoHost,
        })
        .into_response();
    }
    let roster = match lti
        .roster(ticket.platform, ticket.memberships_url.as_deref())
        .await
    {
        Ok(roster) => roster,
        Err(e) => return course_error(&e),
    };
    let plan = match query.from {
        CoursePlanSource::Roster => lms::roster_plan(&roster, query.rooms.unwrap_or(1)),
        CoursePlanSource::Groups => {
            match lti
                .groups(ticket.platform, ticket.groups_url.as_deref())
                .await
            {
                Ok(groups) => lms::groups_plan(&groups, &roster),
                Err(e) => return course_error(&e),
            }
        }
    };
    tracing::info!(
        rooms = plan.rooms.len(),
        people = plan.people(),
        "course plan made"
    );
    Json(plan).into_response()
}

fn course_error(e: &super::services::ServiceError) -> Response {
    tracing::warn!(error = %e, "a course service failed");
    ApiError::Upstream(e.to_string()).into_response()
}

/// `GET /api/lti/absent`, with a host's or co-host's ticket: who of the meeting's plan has not
/// come (a course roster's learners not yet launched, say).
pub async fn absent(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (_, ticket) = match tool_and_ticket(&state, &headers) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let Some(handle) = ticket.meeting.as_ref().and_then(|m| state.registry.get(m)) else {
        return ApiError::UnknownMeeting.into_response();
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    let asked = crate::meetings::ActorMsg::Absent {
        asker: ticket.role,
        reply,
    };
    if handle.send(asked).await.is_err() {
        return ApiError::UnknownMeeting.into_response();
    }
    match answer.await {
        Ok(Ok(absent)) => Json(absent).into_response(),
        Ok(Err(e)) => ApiError::Rejected(e).into_response(),
        Err(_) => ApiError::Internal.into_response(),
    }
}
