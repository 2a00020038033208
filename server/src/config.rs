//! Command-line flags and environment variables, in one place, so `main` stays a few lines and tests
//! can build a `Config` directly.

use crate::media::select::Selection;
use crate::media::{MediaConfig, turn};
use clap::Parser;
use plenary_shared::media::IcePolicy;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// How to run the server.
#[derive(Debug, Clone, Parser)]
#[command(name = "plenary", about = "Plenary meeting server")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PLENARY_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory holding the built frontend (Trunk's dist/).
    #[arg(long, env = "PLENARY_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Directory for the server's data files (created if missing).
    #[arg(long, env = "PLENARY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Seconds a participant whose connection dropped keeps their place, waiting to resume.
    #[arg(long, env = "PLENARY_RESUME_GRACE_SECS", default_value_t = crate::app::DEFAULT_GRACE_SECS)]
    pub resume_grace_secs: u64,
    /// Address the media (WebRTC) socket binds to.
    #[arg(long, env = "PLENARY_MEDIA_BIND", default_value = "127.0.0.1")]
    pub media_bind: IpAddr,
    /// The one UDP port every participant's media uses (`0` lets the system pick).
    #[arg(long, env = "PLENARY_MEDIA_PORT", default_value_t = crate::media::DEFAULT_MEDIA_PORT)]
    pub media_port: u16,
    /// The TCP port browsers whose network blocks UDP send media to (ICE-TCP; `0`: any free).
    #[arg(long, env = "PLENARY_MEDIA_TCP_PORT", default_value_t = crate::media::DEFAULT_MEDIA_TCP_PORT)]
    pub media_tcp_port: u16,
    /// Offer no ICE-TCP candidate (and open no TCP port for media).
    #[arg(long, env = "PLENARY_NO_MEDIA_TCP", default_value_t = false)]
    pub no_media_tcp: bool,
    /// A TURN (or STUN) server browsers may relay media through, like
    /// `turn:turn.example.org:3478?transport=udp` or `turns:turn.example.org:443`; repeat it (or
    /// separate by commas) for several.
    #[arg(long = "turn-url", env = "PLENARY_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,
    /// The secret shared with the TURN server (coturn's `static-auth-secret`): each browser gets
    /// credentials made from it for one participant and a few hours.
    #[arg(long, env = "PLENARY_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,
    /// Seconds a TURN credential is good for.
    #[arg(long, env = "PLENARY_TURN_TTL_SECS", default_value_t = crate::media::turn::DEFAULT_TTL.as_secs())]
    pub turn_ttl_secs: u64,
    /// Voices each participant receives at most: the loudest of their place (`all`: every
    /// voice, for small meetings only). At most 16.
    #[arg(long, env = "PLENARY_LOUDEST_VOICES", default_value = "3", value_parser = parse_voices)]
    pub loudest_voices: Limit,
    /// Videos (cameras and screens) each participant receives at most: the tiles their page
    /// shows, the active speaker and shared screens first (`all`: every one). At most 100.
    #[arg(long, env = "PLENARY_LAST_N", default_value = "25", value_parser = parse_videos)]
    pub last_n: Limit,
    /// Test only: offer no UDP candidate, so media must take ICE-TCP.
    #[arg(long, hide = true, default_value_t = false)]
    pub test_media_tcp_only: bool,
    /// Test only: tell browsers to use nothing but a TURN relay.
    #[arg(long, hide = true, default_value_t = false)]
    pub test_ice_relay_only: bool,
    /// Address announced to browsers in media candidates instead of the bound one (the public
    /// address of a server behind 1:1 NAT).
    #[arg(long, env = "PLENARY_MEDIA_ANNOUNCE")]
    pub media_announce: Option<IpAddr>,
    /// Days a meeting nobody uses is kept (a scheduled meeting is kept at least until its start
    /// plus this).
    #[arg(long, env = "PLENARY_MEETING_IDLE_DAYS", default_value_t = crate::limits::DEFAULT_IDLE_DAYS)]
    pub meeting_idle_days: u64,
    /// Meetings one client address may create at once…
    #[arg(long, env = "PLENARY_CREATE_BURST", default_value_t = 60)]
    pub create_burst: u32,
    /// …and then per minute.
    #[arg(long, env = "PLENARY_CREATE_PER_MINUTE", default_value_t = 60)]
    pub create_per_minute: u32,
    /// Most meetings the server holds.
    #[arg(long, env = "PLENARY_MAX_MEETINGS", default_value_t = 10_000)]
    pub max_meetings: usize,
    /// Most WebSocket connections in all.
    #[arg(long, env = "PLENARY_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Most WebSocket connections from one client address (a school behind one NAT address
    /// needs hundreds).
    #[arg(
        long,
        env = "PLENARY_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 1_000
    )]
    pub max_connections_per_address: usize,
    /// Seconds a new connection may take to join before it is closed.
    #[arg(long, env = "PLENARY_JOIN_TIMEOUT_SECS", default_value_t = 10)]
    pub join_timeout_secs: u64,
    /// Who may show Plenary in a frame: a CSP `frame-ancestors` source list.
    #[arg(long, env = "PLENARY_FRAME_ANCESTORS", default_value = "'self'")]
    pub frame_ancestors: String,
    /// A TLS certificate chain (PEM) to serve HTTPS with; read again on SIGHUP.
    #[arg(long, env = "PLENARY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "PLENARY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// With HTTPS on, also listen for plain HTTP here (`0.0.0.0:80`, say) and send every
    /// request to the same place over HTTPS.
    #[arg(long, env = "PLENARY_HTTP_REDIRECT_ADDR")]
    pub http_redirect_addr: Option<SocketAddr>,
    /// Get (and renew) the HTTPS certificate for this domain over ACME (TLS-ALPN-01 on the
    /// HTTPS port, which must be reachable as port 443 of the domain); repeat for several.
    #[arg(
        long = "acme-domain",
        env = "PLENARY_ACME_DOMAINS",
        value_delimiter = ',',
        conflicts_with = "tls_cert"
    )]
    pub acme_domains: Vec<String>,
    /// An e-mail address the CA may write to about the certificate.
    #[arg(long = "acme-contact", env = "PLENARY_ACME_CONTACT")]
    pub acme_contact: Vec<String>,
    /// The ACME directory (Let's Encrypt's by default; its staging one for trials).
    #[arg(long, env = "PLENARY_ACME_DIRECTORY", default_value = crate::acme::LETS_ENCRYPT)]
    pub acme_directory: String,
    /// A CA root (PEM) to trust for the ACME directory's own HTTPS: a private CA, or a test one.
    #[arg(long, env = "PLENARY_ACME_DIRECTORY_ROOT")]
    pub acme_directory_root: Option<PathBuf>,
    /// The learning platforms this server is registered with for LTI 1.3 (a TOML file; see the
    /// README's "LMS (LTI 1.3)"). Their origins may frame the app.
    #[arg(long, env = "PLENARY_LTI_CONFIG")]
    pub lti_config: Option<PathBuf>,
    /// Count clients by the last `X-Forwarded-For` address (only behind a proxy that sets it).
    #[arg(long, env = "PLENARY_TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,
}

impl Config {
    /// The limits these flags describe.
    pub fn limits(&self) -> crate::limits::Limits {
        crate::limits::Limits {
            idle_ms: self.meeting_idle_days.saturating_mul(24 * 60 * 60 * 1000),
            create_burst: self.create_burst,
            create_per_minute: self.create_per_minute,
            max_connections: self.max_connections,
            max_connections_per_address: self.max_connections_per_address,
            join_timeout: std::time::Duration::from_secs(self.join_timeout_secs),
            max_meetings: self.max_meetings,
            trust_forwarded_for: self.trust_forwarded_for,
        }
    }

    /// The TLS files, if HTTPS is on.
    pub fn tls(&self) -> Option<crate::tls::TlsFiles> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        }
    }

    /// The ACME settings, if certificates come by themselves.
    pub fn acme(&self) -> Option<crate::acme::AcmeSettings> {
        (!self.acme_domains.is_empty()).then(|| crate::acme::AcmeSettings {
            domains: self.acme_domains.clone(),
            contact: self
                .acme_contact
                .iter()
                .map(|c| {
                    if c.starts_with("mailto:") {
                        c.clone()
                    } else {
                        format!("mailto:{c}")
                    }
                })
                .collect(),
            directory: self.acme_directory.clone(),
            directory_root: self.acme_directory_root.clone(),
            cache: self.data_dir.join("acme"),
        })
    }

    /// The media settings these flags describe, or what is wrong with them.
    pub fn media(&self) -> Result<MediaConfig, String> {
        let turn = match (&self.turn_secret, self.turn_urls.is_empty()) {
            (_, true) => None,
            (None, false) => {
                return Err("--turn-url needs --turn-secret (coturn's static-auth-secret)".into());
            }
            (Some(secret), false) => {
                if secret.trim().is_empty() {
                    return Err("--turn-secret is empty".into());
                }
                if self.turn_urls.len() > turn::MAX_URLS {
                    return Err(format!("at most {} --turn-url", turn::MAX_URLS));
                }
                for url in &self.turn_urls {
                    turn::check_url(url)?;
                }
                Some(turn::Turn {
                    urls: self.turn_urls.clone(),
                    secret: secret.clone(),
                    ttl: std::time::Duration::from_secs(self.turn_ttl_secs.max(60)),
                })
            }
        };
        if self.test_ice_relay_only && turn.is_none() {
            return Err("--test-ice-relay-only needs --turn-url".into());
        }
        if self.test_media_tcp_only && self.no_media_tcp {
            return Err("--test-media-tcp-only needs ICE-TCP".into());
        }
        Ok(MediaConfig {
            bind: self.media_bind,
            port: self.media_port,
            announce: self.media_announce,
            tcp_port: (!self.no_media_tcp).then_some(self.media_tcp_port),
            offer_udp: !self.test_media_tcp_only,
            ice: turn::IceSettings {
                turn,
                policy: if self.test_ice_relay_only {
                    IcePolicy::Relay
                } else {
                    IcePolicy::All
                },
            },
            selection: Selection {
                loudest: self.loudest_voices.0,
                last_n: self.last_n.0,
            },
        })
    }
}

/// A number of streams, or none (`all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<usize>);

fn parse_limit(s: &str, max: usize) -> Result<Limit, String> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(Limit(None));
    }
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(Limit(Some(n))),
        _ => Err(format!("expected a number from 1 to {max}, or `all`")),
    }
}

fn parse_voices(s: &str) -> Result<Limit, String> {
    parse_limit(s, 16)
}

fn parse_videos(s: &str) -> Result<Limit, String> {
    parse_limit(s, plenary_shared::media::MAX_VIEW_TILES)
}
