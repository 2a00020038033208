//! REST calls to the server.

use super::js_error;
use plenary_shared::api::{ApiErrorBody, CreatedMeeting};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// `POST /api/meetings`.
pub async fn create_meeting() -> Result<CreatedMeeting, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    init.set_method("POST");
    let request = Request::new_with_str_and_init("/api/meetings", &init).map_err(js_error)?;
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
