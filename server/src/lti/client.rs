//! The HTTP client the tool calls platforms with: their key sets, their OAuth2 token endpoints
//! and their services (roster, groups). HTTPS through rustls on ring with the public roots
//! (plain HTTP too, for a platform on the same machine); every call has a time limit and every
//! answer a size limit, so a slow or huge platform answer costs bounded time and memory.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LINK};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;
use thiserror::Error;

/// Longest a platform may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read (a roster page of a big course fits).
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Why a call to a platform failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FetchError {
    #[error("{url} could not be reached: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url} did not answer within {} s", TIMEOUT.as_secs())]
    Timeout { url: String },
    #[error("{url} answered something unreadable: {detail}")]
    Unreadable { url: String, detail: String },
}

/// One JSON answer, with its `Link: rel="next"` if it had one (paged services).
#[derive(Debug, Clone)]
pub struct Answer {
    pub json: serde_json::Value,
    pub next: Option<String>,
}

/// A cheap-to-clone HTTP(S) client.
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClient")
    }
}

impl HttpClient {
    /// A client trusting the public web roots.
    pub fn new() -> Result<HttpClient, String> {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|e| e.to_string())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpClient {
            inner: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    /// `GET url` for JSON, with a bearer token if given and an `Accept` of `accept`.
    pub async fn get_json(
        &self,
        url: &str,
        bearer: Option<&str>,
        accept: &str,
    ) -> Result<Answer, FetchError> {
        let mut request = hyper::Request::get(url).header(ACCEPT, accept);
        if let Some(token) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .map_err(|e| unreachable(url, e))?;
        self.send(url, request).await
    }

    /// `POST url` with a form body, for JSON (an OAuth2 token endpoint).
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<Answer, FetchError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = hyper::Request::post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| unreachable(url, e))?;
        self.send(url, request).await
    }

    async fn send(
        &self,
        url: &str,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<Answer, FetchError> {
        let call = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|e| unreachable(url, e))?;
            let status = response.status();
            let next = response
                .headers()
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_link);
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| FetchError::Unreadable {
                    url: url.to_owned(),
                    detail: e.to_string(),
                })?
                .to_bytes();
            if !status.is_success() {
                return Err(FetchError::Status {
                    url: url.to_owned(),
                    status: status.as_u16(),
                });
            }
            let json = serde_json::from_slice(&body).map_err(|e| FetchError::Unreadable {
                url: url.to_owned(),
                detail: e.to_string(),
            })?;
            Ok(Answer { json, next })
        };
        tokio::time::timeout(TIMEOUT, call)
            .await
            .map_err(|_| FetchError::Timeout {
                url: url.to_owned(),
            })?
    }
}

fn unreachable(url: &str, e: impl std::fmt::Display) -> FetchError {
    FetchError::Unreachable {
        url: url.to_owned(),
        detail: e.to_string(),
    }
}

/// The `rel="next"` target of one `Link` header value, if it names one.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        let target = target.strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_found_among_links() {
        let h =
            r#"<https://lms.example/m?p=1>; rel="prev", <https://lms.example/m?p=3>; rel="next""#;
        assert_eq!(next_link(h).as_deref(), Some("https://lms.example/m?p=3"));
        assert_eq!(next_link(r#"<https://x/>; rel="differences""#), None);
        assert_eq!(next_link("garbage"), None);
    }
}
