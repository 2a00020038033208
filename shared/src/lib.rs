//! # plenary-shared
//!
//! Everything the browser and the server must agree on, compiled for both: the wire protocol
//! ([`protocol`]), identifiers ([`ids`]), REST bodies ([`api`]), and the meeting and breakout
//! state machine ([`meeting`]), which is the single source of truth for every rule of a meeting.
//!
//! ## The model in one page
//!
//! A [`meeting::Meeting`] holds **participants**, each with a [`meeting::Role`] (host, co-host,
//! participant), a **place** ([`meeting::rooms::Place`]: the main session or one breakout room),
//! a mute flag, and possibly an **assignment** (the room they are meant for). Whoever joins with
//! the host secret is host; when the host leaves, another holder of the secret or else the
//! longest-serving co-host stands in until a holder is back, and with neither present the meeting
//! runs on without a host. The participant link never makes anyone host or co-host by itself:
//! only the secret, or a host's appointment, does. The host can remove people and end the
//! meeting for all.
//!
//! **Rooms** have a name, a topic and a status ([`meeting::rooms::RoomStatus`]): `Idle` →
//! `Open { deadline }` → `Closing { until }` → back to `Idle` when the session ends, or `Closed`
//! when one room's own timer ran out while others continue. The session's
//! [`meeting::rooms::Phase`] (no rooms, planned, open, closing) is derived from the rooms, never
//! stored. Six [`meeting::rooms::BreakoutOptions`] steer a session: move people automatically
//! (else they are invited and press *Join*), let them choose, let them return, close after M
//! minutes, tell the hosts when time is up, count down S seconds before closing.
//!
//! **Assignment** comes from an even split (sizes differ by at most one, reproducible from the
//! meeting's seed), from the host by hand, from participants' own choice, from a
//! [`meeting::plan::Plan`] matched by name or email when people join (ambiguous matches are
//! flagged to the hosts, never guessed), or from a speed-networking rotation that minimises
//! repeated pairings. People who leave and come back find their room again.
//!
//! **Time** is data: every timer is an absolute deadline inside a room's status. The caller
//! passes `now` to every call, sleeps until [`meeting::Meeting::next_deadline`], and calls
//! [`meeting::Meeting::tick`]; a past-due status moves one way only, so each timer fires exactly
//! once however late the tick, and a restarted server simply carries on.
//!
//! **Changes** come in as [`meeting::command::Command`]s from an actor
//! (`Meeting::apply(command, actor, now)`), checked first against the permission table in
//! [`meeting::permissions`] and then against the breakout rules; a refused command returns a
//! typed [`meeting::command::CommandError`] and changes nothing. Accepted commands queue
//! [`meeting::event::Event`]s, each with an [`meeting::event::Audience`] (everyone, the hosts, one
//! person, one room). Clients fold the events they receive into a
//! [`meeting::view::MeetingView`] with the same `apply` the tests use; the property tests check
//! after every random step that each participant's folded view equals
//! [`meeting::Meeting::view_for`] that participant.
//!
//! The crate is sans-IO: no clock, no randomness, no sockets, no threads.

pub mod api;
pub mod ids;
pub mod lms;
pub mod media;
pub mod meeting;
pub mod names;
mod pairs;
pub mod plan_csv;
pub mod protocol;
pub mod throttle;
pub mod time;
