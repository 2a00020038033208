//! REST calls to the server. Every answer that is not a success becomes the server's own
//! sentence (`ApiErrorBody::message`), or the HTTP status if the body is not one.

use super::js_error;
use plenary_shared::api::{ApiErrorBody, CoursePlanSource, CreatedMeeting, LtiSession, NewMeeting};
use plenary_shared::ids::{HostSecret, MeetingId};
use plenary_shared::meeting::arrivals::Absent;
use plenary_shared::meeting::info::{MeetingInfo, PublicInfo};
use plenary_shared::meeting::plan::Plan;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// `POST /api/meetings` with settings and a plan (both may be empty).
pub async fn create_meeting(new: &NewMeeting) -> Result<CreatedMeeting, String> {
    let body = serde_json::to_string(new).map_err(|e| e.to_string())?;
    send("POST", "/api/meetings", Some(body), None).await
}

/// `GET /api/meetings/{id}`: what the join page may show before joining.
pub async fn public_info(meeting: &MeetingId) -> Result<PublicInfo, String> {
    send("GET", &format!("/api/meetings/{meeting}"), None, None).await
}

/// `GET /api/meetings/{id}/settings` with the host secret.
pub async fn settings(meeting: &MeetingId, secret: &HostSecret) -> Result<MeetingInfo, String> {
    let url = format!("/api/meetings/{meeting}/settings");
    send("GET", &url, None, Some(secret)).await
}

/// `GET /api/lti/session` with a launch ticket: the course's meeting, or that it has not
/// started, with a fresh ticket.
pub async fn lti_session(ticket: &str) -> Result<LtiSession, String> {
    let bearer = HostSecret(ticket.to_owned());
    send("GET", "/api/lti/session", None, Some(&bearer)).await
}

/// `GET /api/lti/course-plan`: a plan from the course's groups or roster.
pub async fn course_plan(
    ticket: &str,
    from: CoursePlanSource,
    rooms: Option<usize>,
) -> Result<Plan, String> {
    let bearer = HostSecret(ticket.to_owned());
    let url = match from {
        CoursePlanSource::Groups => "/api/lti/course-plan?from=groups".to_owned(),
        CoursePlanSource::Roster => {
            format!(
                "/api/lti/course-plan?from=roster&rooms={}",
                rooms.unwrap_or(1)
            )
        }
    };
    send("GET", &url, None, Some(&bearer)).await
}

/// `GET /api/lti/absent`: who of the plan has not come.
pub async fn absent(ticket: &str) -> Result<Vec<Absent>, String> {
    let bearer = HostSecret(ticket.to_owned());
    send("GET", "/api/lti/absent", None, Some(&bearer)).await
}

/// One request; `secret`, if given, goes in as the bearer token.
async fn send<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
    secret: Option<&HostSecret>,
) -> Result<T, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(js_error)?;
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(&body));
        headers
            .set("Content-Type", "application/json")
            .map_err(js_error)?;
    }
    if let Some(secret) = secret {
        headers
            .set("Authorization", &format!("Bearer {}", secret.0))
            .map_err(js_error)?;
    }
    init.set_headers(&headers);
    let request = Request::new_with_str_and_init(url, &init).map_err(js_error)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    let text = JsFuture::from(response.text().map_err(js_error)?)
        .await
        .map_err(js_error)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        Err(serde_json::from_str::<ApiErrorBody>(&text)
            .map(|b| b.message)
            .unwrap_or_else(|_| format!("HTTP {}", response.status())))
    }
}
