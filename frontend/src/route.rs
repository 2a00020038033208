//! Which screen a URL shows. Pure, so it is unit-tested natively; the browser's location is read
//! in `app.rs`.

use plenary_shared::ids::{HostSecret, MeetingId};

/// A screen of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/`: start a meeting.
    Home,
    /// `/plan`: prepare a meeting ahead of time.
    Plan,
    /// `/m/{id}`, with `#host={secret}` for the host link and `#pwd={passcode}` for a
    /// participant link that carries the passcode.
    Meeting {
        id: MeetingId,
        host_secret: Option<HostSecret>,
        passcode: Option<String>,
    },
    /// `/lti/join#ticket={ticket}`: a launch from a course (the ticket may instead have been
    /// kept for this tab).
    Launch {
        ticket: Option<String>,
    },
    NotFound,
}

/// Parses `location.pathname` and `location.hash`.
pub fn parse(path: &str, hash: &str) -> Route {
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Route::Home;
    }
    if path == "/plan" {
        return Route::Plan;
    }
    if path == "/lti/join" {
        let ticket = hash
            .trim_start_matches('#')
            .split('&')
            .find_map(|kv| kv.strip_prefix("ticket=")?.split('&').next())
            .filter(|t| !t.is_empty() && t.len() <= 8192)
            .map(str::to_owned);
        return Route::Launch { ticket };
    }
    let Some(id) = path.strip_prefix("/m/") else {
        return Route::NotFound;
    };
    let valid = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        return Route::NotFound;
    }
    let fragment = |key: &str| {
        hash.trim_start_matches('#')
            .split('&')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .filter(|s| !s.is_empty())
            .map(decode)
    };
    Route::Meeting {
        id: MeetingId(id.to_owned()),
        host_secret: fragment("host").map(HostSecret),
        passcode: fragment("pwd"),
    }
}

/// Undoes the percent-encoding of `encode` (invalid sequences are kept as they are).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters, for a value in the fragment.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The participant link of a meeting, given the page's origin (`https://example.org`).
pub fn invite_link(origin: &str, id: &MeetingId) -> String {
    format!("{origin}/m/{id}")
}

/// The participant link with the passcode in the fragment, so one click lets people in.
pub fn invite_link_with_passcode(origin: &str, id: &MeetingId, passcode: &str) -> String {
    format!("{}#pwd={}", invite_link(origin, id), encode(passcode))
}

/// The host link: the participant link plus the host capability, in the fragment so that it is
/// never sent to a server in a request line or a referrer.
pub fn host_link(origin: &str, id: &MeetingId, secret: &HostSecret) -> String {
    format!("{}#host={}", invite_link(origin, id), secret.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_and_meeting_paths() {
        assert_eq!(parse("/", ""), Route::Home);
        assert_eq!(parse("", ""), Route::Home);
        assert_eq!(
            parse("/m/abcd-efgh-ij", ""),
            Route::Meeting {
                id: MeetingId("abcd-efgh-ij".into()),
                host_secret: None,
                passcode: None
            }
        );
    }

    #[test]
    fn host_secret_comes_from_the_fragment() {
        assert_eq!(
            parse("/m/abc/", "#host=s3-cr_et"),
            Route::Meeting {
                id: MeetingId("abc".into()),
                host_secret: Some(HostSecret("s3-cr_et".into())),
                passcode: None
            }
        );
        assert_eq!(
            parse("/m/abc", "#host="),
            Route::Meeting {
                id: MeetingId("abc".into()),
                host_secret: None,
                passcode: None
            }
        );
    }

    #[test]
    fn a_launch_carries_its_ticket_in_the_fragment() {
        assert_eq!(
            parse("/lti/join", "#ticket=a.b.c"),
            Route::Launch {
                ticket: Some("a.b.c".into())
            }
        );
        assert_eq!(parse("/lti/join", ""), Route::Launch { ticket: None });
    }

    #[test]
    fn odd_paths_are_not_found() {
        assert_eq!(parse("/m/", ""), Route::NotFound);
        assert_eq!(parse("/m/a<b", ""), Route::NotFound);
        assert_eq!(parse("/elsewhere", ""), Route::NotFound);
    }

    #[test]
    fn links_round_trip() {
        let id = MeetingId("abc".into());
        let secret = HostSecret("xyz".into());
        let link = host_link("http://h:1", &id, &secret);
        assert_eq!(link, "http://h:1/m/abc#host=xyz");
        let (path, hash) = link["http://h:1".len()..].split_at(6);
        assert_eq!(
            parse(path, hash),
            Route::Meeting {
                id,
                host_secret: Some(secret),
                passcode: None
            }
        );
    }

    #[test]
    fn the_plan_page_and_passcode_links() {
        assert_eq!(parse("/plan", ""), Route::Plan);
        let id = MeetingId("abc".into());
        let link = invite_link_with_passcode("http://h:1", &id, "ø 1&2");
        assert_eq!(link, "http://h:1/m/abc#pwd=%C3%B8%201%262");
        let (path, hash) = link["http://h:1".len()..].split_at(6);
        assert_eq!(
            parse(path, hash),
            Route::Meeting {
                id,
                host_secret: None,
                passcode: Some("ø 1&2".into())
            }
        );
    }
}
