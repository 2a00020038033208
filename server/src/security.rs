//! Browser-facing hardening, on every response: a Content-Security-Policy that lets the page run
//! only its own script and WebAssembly (the one inline loader Trunk writes is allowed by its hash,
//! read from the built `index.html` at start), `frame-ancestors` from configuration (who may put
//! Plenary in a frame: `'self'` by default, an LMS's origin when configured), no MIME sniffing, no
//! referrer (a meeting link must not leak to other sites), and a Permissions-Policy that keeps
//! camera, microphone and screen capture to our own origin.
//!
//! And one rule for state-changing REST calls: their bodies are JSON (or, for the CSV import,
//! CSV), never a form's encoding, so a cross-site form cannot create a meeting or change one.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// The headers every response carries, built once.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    permissions: HeaderValue,
}

/// The sources the policy allows for inline scripts: the hash of each inline `<script>` of
/// `index.html` (Trunk's module loader).
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_and_more = &after[tag_end + 1..];
        let Some(close) = body_and_more.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let body = &body_and_more[..close];
            let digest = Sha256::digest(body.as_bytes());
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            hashes.push(format!("'sha256-{b64}'"));
        }
        rest = &body_and_more[close + "</script>".len()..];
    }
    hashes
}

impl SecurityHeaders {
    /// The headers for the frontend in `dist`, framed only by `frame_ancestors`.
    pub fn new(dist: &Path, frame_ancestors: &str) -> SecurityHeaders {
        let html = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
        let scripts = inline_script_hashes(&html).join(" ");
        let ancestors = if frame_ancestors.trim().is_empty() {
            "'self'"
        } else {
            frame_ancestors.trim()
        };
        let csp = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {scripts}; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
             media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
        );
        let csp = HeaderValue::from_str(&csp).unwrap_or_else(|e| {
            tracing::error!(error = %e, "bad frame-ancestors value; using 'self'");
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'self'",
            )
        });
        SecurityHeaders {
            csp,
            permissions: HeaderValue::from_static(
                "camera=(self), microphone=(self), display-capture=(self), geolocation=()",
            ),
        }
    }
}

/// Adds the headers to a response.
pub async fn add_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // A page with its own policy (the LTI pages that post a form to a platform) keeps it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, headers.csp.clone());
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert("permissions-policy", headers.permissions.clone());
    response
}

/// Whether a request's content type is one a cross-site HTML form can send.
fn form_encoded(request: &Request<Body>) -> bool {
    let Some(ct) = request.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    matches!(
        essence,
        "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
    )
}

/// Refuses state-changing API calls whose body a form could have sent.
pub async fn no_form_bodies(request: Request, next: Next) -> Response {
    let changes = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if changes && request.uri().path().starts_with("/api/") && form_encoded(&request) {
        return crate::http::ApiError::UnsupportedMediaType.into_response();
    }
    next.run(request).await
}

/// Whether a request says its body is JSON.
pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The status for a refused form body, for tests.
pub const FORM_REFUSED: StatusCode = StatusCode::UNSUPPORTED_MEDIA_TYPE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<head><script type=\"module\">import x;</script>\
                    <script src=\"/a.js\"></script></head>";
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import x;"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
    }
}
