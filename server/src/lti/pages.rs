//! The few HTML pages LTI needs outside the app: a refusal that says what was wrong, the
//! instructor's deep-linking form, and the self-submitting form that returns its answer to the
//! platform. Every value is escaped; each page carries its own tight content security policy.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The one script these pages run: submit the page's form (for the return to the platform).
const SUBMIT: &str = "document.forms[0].submit();";

/// The deep-linking form's script: the start, typed in the instructor's local time, also as
/// milliseconds since 1970, so the meeting starts when they meant wherever the server is.
const START_MS: &str = "document.forms[0].addEventListener('submit', () => {\
const v = document.querySelector('[name=start]').value;\
document.querySelector('[name=start_ms]').value = v ? String(new Date(v).getTime()) : '';\
});";

/// The LTI client-side postMessage storage (1EdTech "Client Side postMessages"): the page puts
/// the login's `state` into the platform's storage frame before going to the platform, or,
/// after the launch, gets it back and goes on only if it is the same; a platform that does
/// not answer within 3 s fails the check (and is not waited for when putting).
const STORAGE: &str = "(() => {\
const d = JSON.parse(document.getElementById('lti-data').textContent);\
const target = d.target === '_parent' ? window.parent : window.parent.frames[d.target];\
const id = 'plenary-' + Math.random().toString(36).slice(2);\
const fail = () => { document.getElementById('lti-why').hidden = false; };\
const go = () => { if (d.next) { location.replace(d.next); } else { document.getElementById('lti-after').hidden = false; } };\
let answered = false;\
window.addEventListener('message', (e) => {\
 if (e.origin !== d.origin || !e.data || e.data.message_id !== id) return;\
 answered = true;\
 if (d.put) { go(); return; }\
 if (e.data.subject === 'lti.get_data.response' && e.data.value === d.value) { go(); } else { fail(); }\
});\
try {\
 target.postMessage(d.put ? { subject: 'lti.put_data', message_id: id, key: d.key, value: d.value } : { subject: 'lti.get_data', message_id: id, key: d.key }, d.origin);\
} catch (e) { if (d.put) { go(); } else { fail(); } return; }\
setTimeout(() => { if (!answered) { if (d.put) { go(); } else { fail(); } } }, 3000);\
})();";

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Plenary</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}}\
         h1{{font-size:1.4rem}}label{{display:block;margin:.8rem 0}}input{{display:block;width:100%;padding:.4rem;font:inherit}}\
         button{{margin-top:1rem;padding:.5rem 1.2rem;font:inherit}}.why{{background:#fdecea;padding:.8rem;border-radius:6px}}</style>\
         </head><body>{body}</body></html>",
        title = escape(title),
    )
}

fn with_policy(status: StatusCode, html: String, policy: &str) -> Response {
    let mut response = (status, Html(html)).into_response();
    if let Ok(value) = HeaderValue::from_str(policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// A refused launch: what was wrong, in words, and what to do.
pub fn refusal(status: StatusCode, why: &str) -> Response {
    let mut chars = why.chars();
    let why: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    let why = why.as_str();
    let body = format!(
        "<h1>This launch was refused</h1><p class=\"why\" role=\"alert\">{}</p>\
         <p>Open Plenary again from your course. If it keeps happening, show this message to \
         whoever looks after your learning platform.</p>",
        escape(why)
    );
    with_policy(
        status,
        document("Launch refused", &body),
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *",
    )
}

/// The instructor's form for a new course link (`deep_link_fields`) as a page.
pub fn deep_link_page(body: &str, frame_ancestors: &str) -> Response {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(START_MS));
    with_policy(
        StatusCode::OK,
        document("Add a meeting", body),
        &format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; \
             form-action 'self'; frame-ancestors {frame_ancestors}"
        ),
    )
}

/// A page that posts `field = value` to `action` (the platform's deep-linking return URL) by
/// itself, with a button for a browser that runs no script.
pub fn auto_post(action: &str, field: &str, value: &str, frame_ancestors: &str) -> Response {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SUBMIT));
    let origin = url::Url::parse(action)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| "'none'".into());
    let body = format!(
        "<h1>Returning to your course…</h1>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"{field}\" value=\"{value}\">\
         <button type=\"submit\">Continue</button></form><script>{SUBMIT}</script>",
        action = escape(action),
        field = escape(field),
        value = escape(value),
    );
    with_policy(
        StatusCode::OK,
        document("Returning", &body),
        &format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; \
             form-action {origin}; frame-ancestors {frame_ancestors}"
        ),
    )
}

/// What a storage page does: put the login's `state` in the platform's storage, or check it
/// is there after the launch.
pub struct StorageStep<'a> {
    pub put: bool,
    pub target: &'a str,
    pub origin: &'a str,
    pub state: &'a str,
    /// Where to go once done; `None` shows the page's hidden `after` part instead.
    pub next: Option<&'a str>,
}

/// A page that runs a `StorageStep`, with `after` (HTML) shown once the check passes when there
/// is no `next`.
pub fn storage_step(step: &StorageStep<'_>, after: &str, frame_ancestors: &str) -> Response {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STORAGE));
    let start = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(START_MS));
    let data = serde_json::json!({
        "put": step.put,
        "target": step.target,
        "origin": step.origin,
        "key": format!("state_{}", step.state),
        "value": step.state,
        "next": step.next,
    })
    .to_string()
    // Nothing in the data may close the script element.
    .replace("</", "<\\/");
    let body = format!(
        "<p id=\"lti-wait\" role=\"status\">One moment…</p>\
         <p id=\"lti-why\" class=\"why\" role=\"alert\" hidden>This launch could not be \
         matched with your browser (the learning platform's storage did not have it). Open \
         Plenary again from your course.</p>\
         <div id=\"lti-after\" hidden>{after}</div>\
         <script type=\"application/json\" id=\"lti-data\">{data}</script><script>{STORAGE}</script>"
    );
    with_policy(
        StatusCode::OK,
        document("Opening Plenary", &body),
        &format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}' \
             'sha256-{start}'; form-action 'self'; frame-ancestors {frame_ancestors}"
        ),
    )
}

/// The deep-linking form's inner HTML (also shown after a storage check).
pub fn deep_link_fields(ticket: &str, suggested_title: &str) -> String {
    format!(
        "<h1>Add a Plenary meeting</h1>\
         <form method=\"post\" action=\"/lti/deep-link\">\
         <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
         <label>Title<input name=\"title\" required maxlength=\"200\" value=\"{title}\"></label>\
         <label>Starts (optional)<input name=\"start\" type=\"datetime-local\"></label>\
         <input type=\"hidden\" name=\"start_ms\" value=\"\">\
         <button type=\"submit\">Add to the course</button></form><script>{START_MS}</script>",
        ticket = escape(ticket),
        title = escape(suggested_title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
