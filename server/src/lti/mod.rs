//! LTI 1.3: schools launch Plenary from their learning platform (Moodle, Canvas, …), with no
//! accounts. A platform starts an OpenID Connect login at `/lti/login`; we send the browser to
//! the platform's authorisation endpoint with a fresh `state` and `nonce` kept here; the
//! platform posts an `id_token` to `/lti/launch`, which `verify.rs` checks in full. A checked
//! launch becomes a **ticket** (signed by us, minutes long) that the page joins the course's
//! meeting with: no cookie is needed, so it works in a cross-site iframe with third-party
//! cookies blocked. One meeting per course link (`links.rs`), made on the first host launch.
//!
//! `registration.rs` reads the platforms, `keys.rs` holds our keys, `jwks.rs` the platforms',
//! `client.rs` calls them, `routes.rs` answers the browser.

pub mod api;
pub mod client;
pub mod jwks;
pub mod keys;
pub mod links;
pub mod pages;
pub mod registration;
pub mod routes;
pub mod services;
pub mod verify;

use crate::store::Store;
use keys::{KeyError, TicketKey, ToolKey};
use plenary_shared::ids::MeetingId;
use plenary_shared::meeting::Role;
use registration::Registration;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use thiserror::Error;
use verify::{Launch, LaunchError};

/// How long a login may take from `/lti/login` to `/lti/launch`.
pub const LOGIN_TTL: Duration = Duration::from_secs(300);
/// Most logins in progress at once.
pub const MAX_PENDING_LOGINS: usize = 10_000;
/// Most used nonces remembered (each for as long as its token could be valid).
pub const MAX_USED_NONCES: usize = 100_000;
/// How long a ticket is good for; a waiting page gets a fresh one every time it asks.
pub const TICKET_SECS: u64 = 15 * 60;

/// Why LTI cannot start.
#[derive(Debug, Error)]
pub enum LtiSetupError {
    #[error(transparent)]
    Registration(#[from] registration::RegistrationError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("no HTTP client: {0}")]
    Client(String),
}

/// A login between `/lti/login` and `/lti/launch`.
#[derive(Debug, Clone)]
struct Pending {
    platform: usize,
    nonce: String,
    at: Instant,
    /// The platform's client-side storage the login put its `state` in, if it offered one.
    storage: Option<Storage>,
}

/// Where the LTI client-side postMessage storage lives for one login: the frame to post to
/// (`_parent` or a named frame of the parent) and the platform's origin to post at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    pub target: String,
    pub origin: String,
}

/// A checked launch, and the storage the page must find its `state` in before going on.
#[derive(Debug, Clone)]
pub struct Checked {
    pub platform: usize,
    pub launch: Launch,
    pub storage: Option<(Storage, String)>,
}

/// What a launched page holds: who it is and for which course link. Signed with `TicketKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Seconds since the epoch.
    pub exp: u64,
    /// The course link (`links::link_key`) and its course (`links::course_key`).
    pub link: String,
    pub course: String,
    /// The meeting, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<MeetingId>,
    /// `issuer#sub`.
    pub subject: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub role: Role,
    pub title: String,
    /// The platform's index in the registration, and its course services for hosts.
    pub platform: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memberships_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_url: Option<String>,
}

/// The LTI tool: registration, keys and the logins in progress.
pub struct Lti {
    pub registration: Registration,
    tool_key: ToolKey,
    tickets: TicketKey,
    client: client::HttpClient,
    keys: jwks::KeySets,
    pub links: links::Links,
    pending: Mutex<HashMap<String, Pending>>,
    used_nonces: Mutex<HashMap<String, Instant>>,
    tokens: services::Tokens,
}

impl std::fmt::Debug for Lti {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lti({} platforms)", self.registration.platforms.len())
    }
}

/// Seconds since the epoch, now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Lti {
    /// The tool for `registration`, with its keys from `data_dir` (made there on first start:
    /// making the RSA key takes a moment, so this runs on a blocking thread).
    pub async fn start(
        registration: Registration,
        data_dir: &Path,
        store: Option<Store>,
    ) -> Result<Lti, LtiSetupError> {
        let dir = data_dir.to_owned();
        let (tool_key, tickets) = tokio::task::spawn_blocking(move || {
            Ok::<_, KeyError>((ToolKey::load_or_make(&dir)?, TicketKey::load_or_make(&dir)?))
        })
        .await
        .map_err(|e| KeyError::Make(e.to_string()))??;
        Ok(Lti {
            registration,
            tool_key,
            tickets,
            client: client::HttpClient::new().map_err(LtiSetupError::Client)?,
            keys: jwks::KeySets::default(),
            links: links::Links::new(store),
            pending: Mutex::new(HashMap::new()),
            used_nonces: Mutex::new(HashMap::new()),
            tokens: services::Tokens::default(),
        })
    }

    /// The tool's key, for `/lti/jwks` and its own signatures.
    pub fn tool_key(&self) -> &ToolKey {
        &self.tool_key
    }

    /// Keeps a new login's `state` and `nonce`; refuses when too many are in progress.
    fn remember_login(
        &self,
        platform: usize,
        state: String,
        nonce: String,
        storage: Option<Storage>,
    ) -> Result<(), LaunchError> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.len() >= MAX_PENDING_LOGINS {
            pending.retain(|_, p| p.at.elapsed() < LOGIN_TTL);
        }
        if pending.len() >= MAX_PENDING_LOGINS {
            return Err(LaunchError::Busy);
        }
        pending.insert(
            state,
            Pending {
                platform,
                nonce,
                at: Instant::now(),
                storage,
            },
        );
        Ok(())
    }

    /// Takes the login `state` began (once only), if it is not too old.
    fn take_login(&self, state: &str) -> Result<Pending, LaunchError> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        match pending.remove(state) {
            Some(p) if p.at.elapsed() < LOGIN_TTL => Ok(p),
            _ => Err(LaunchError::BadState),
        }
    }

    /// Marks a token's nonce used; refuses one used before.
    fn use_nonce(&self, nonce: &str) -> Result<(), LaunchError> {
        let keep = Duration::from_secs(verify::MAX_AGE_SECS + 2 * verify::LEEWAY_SECS);
        let mut used = self
            .used_nonces
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if used.contains_key(nonce) {
            return Err(LaunchError::Replayed);
        }
        if used.len() >= MAX_USED_NONCES {
            used.retain(|_, at| at.elapsed() < keep);
        }
        if used.len() >= MAX_USED_NONCES {
            return Err(LaunchError::Busy);
        }
        used.insert(nonce.to_owned(), Instant::now());
        Ok(())
    }

    /// Checks a launch: its `state`, the token's signature with the platform's key, that its
    /// nonce is fresh, and every claim (`verify::check_claims`).
    pub async fn check_launch(&self, id_token: &str, state: &str) -> Result<Checked, LaunchError> {
        let login = self.take_login(state)?;
        let platform = self
            .registration
            .platforms
            .get(login.platform)
            .ok_or(LaunchError::BadState)?;
        let kid = verify::key_id(id_token)?;
        let key = self
            .keys
            .key(
                &self.client,
                login.platform,
                platform.jwks_url.as_str(),
                &kid,
            )
            .await?;
        let claims = verify::verified_claims(id_token, &key)?;
        if let Some(nonce) = claims.get("nonce").and_then(|n| n.as_str())
            && self
                .used_nonces
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(nonce)
        {
            return Err(LaunchError::Replayed);
        }
        let launch = verify::check_claims(
            &claims,
            platform,
            self.registration.tool_url.as_str(),
            &login.nonce,
            now_secs(),
        )?;
        self.use_nonce(&launch.nonce)?;
        Ok(Checked {
            platform: login.platform,
            launch,
            storage: login.storage.map(|s| (s, state.to_owned())),
        })
    }

    /// Signs a ticket, good for `TICKET_SECS` from now.
    pub fn sign_ticket(&self, mut ticket: Ticket) -> Result<String, KeyError> {
        ticket.exp = now_secs() + TICKET_SECS;
        self.tickets.sign(&ticket)
    }

    /// The key that opens tickets, for the WebSocket layer.
    pub fn ticket_key(&self) -> TicketKey {
        self.tickets.clone()
    }
}

/// Opens a ticket signed by `key` that has not expired.
pub fn open_ticket(key: &TicketKey, ticket: &str) -> Option<Ticket> {
    key.open(ticket, now_secs())
}
