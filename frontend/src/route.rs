//! Which screen a URL shows. Pure, so it is unit-tested natively; the browser's location is read
//! in `app.rs`.

use plenary_shared::ids::{HostSecret, MeetingId};

/// A screen of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/`: start a meeting.
    Home,
    /// `/m/{id}`, with `#host={secret}` for the host link.
    Meeting {
        id: MeetingId,
        host_secret: Option<HostSecret>,
    },
    NotFound,
}

/// Parses `location.pathname` and `location.hash`.
pub fn parse(path: &str, hash: &str) -> Route {
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Route::Home;
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
    let host_secret = hash
        .trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix("host="))
        .filter(|s| !s.is_empty())
        .map(|s| HostSecret(s.to_owned()));
    Route::Meeting {
        id: MeetingId(id.to_owned()),
        host_secret,
    }
}

/// The participant link of a meeting, given the page's origin (`https://example.org`).
pub fn invite_link(origin: &str, id: &MeetingId) -> String {
    format!("{origin}/m/{id}")
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
                host_secret: None
            }
        );
    }

    #[test]
    fn host_secret_comes_from_the_fragment() {
        assert_eq!(
            parse("/m/abc/", "#host=s3-cr_et"),
            Route::Meeting {
                id: MeetingId("abc".into()),
                host_secret: Some(HostSecret("s3-cr_et".into()))
            }
        );
        assert_eq!(
            parse("/m/abc", "#host="),
            Route::Meeting {
                id: MeetingId("abc".into()),
                host_secret: None
            }
        );
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
                host_secret: Some(secret)
            }
        );
    }
}
