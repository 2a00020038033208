//! # plenary-shared
//!
//! Everything the browser and the server must agree on, compiled for both: the wire protocol
//! ([`protocol`]), identifiers ([`ids`]), and the meeting and breakout state machine
//! ([`meeting`]), which is the single source of truth for every rule of a meeting.
//!
//! The crate is sans-IO: no clock, no randomness, no sockets. Callers pass `now` and seeds in
//! and take events out with [`meeting::Meeting::drain_events`].

pub mod api;
pub mod ids;
pub mod meeting;
pub mod names;
pub mod protocol;
pub mod time;
