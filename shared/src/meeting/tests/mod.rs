//! Tests of the meeting engine. `Harness` plays the server's part: it delivers each event to its
//! audience's own copy of the view, exactly as the relay does, so every test can check that every
//! participant's picture equals the engine's.

mod arrivals;
mod breakout;
mod chat;
mod hands;
mod membership;
mod props;
mod running;
mod settings;
mod timers;

use super::command::{Command, CommandError};
use super::rooms::{BreakoutOptions, RoomCount, Strategy};
use super::view::MeetingView;
use super::{Credential, Meeting};
use crate::ids::{HostSecret, ParticipantId, RoomId};
use crate::time::Timestamp;
use std::collections::BTreeMap;

pub const T0: Timestamp = Timestamp(1_700_000_000_000);

pub fn secret() -> HostSecret {
    HostSecret("s3cret".into())
}

pub fn host_cred() -> Credential {
    Credential::Host { secret: secret() }
}

/// A meeting plus each participant's client-side view.
pub struct Harness {
    pub m: Meeting,
    pub views: BTreeMap<ParticipantId, MeetingView>,
    pub now: Timestamp,
    /// Every event delivered, with who got it, since the last `take_log`.
    pub log: Vec<(ParticipantId, super::event::Event)>,
}

impl Harness {
    pub fn new(seed: u64) -> Harness {
        Harness {
            m: Meeting::new(secret(), seed),
            views: BTreeMap::new(),
            now: T0,
            log: Vec::new(),
        }
    }

    /// A host named "Host" and `n` participants named P1..Pn; returns (host, participants).
    pub fn with_people(n: usize) -> (Harness, ParticipantId, Vec<ParticipantId>) {
        let mut h = Harness::new(42);
        let host = h.join("Host", host_cred()).expect("host joins");
        let people = (1..=n)
            .map(|i| {
                h.join(&format!("P{i}"), Credential::Participant)
                    .expect("join")
            })
            .collect();
        h.log.clear();
        (h, host, people)
    }

    /// Joins like the relay: others get the events, the newcomer gets a snapshot.
    pub fn join(&mut self, name: &str, cred: Credential) -> Result<ParticipantId, CommandError> {
        let id = self.m.join(name, &cred, self.now)?;
        self.deliver(Some(id));
        self.views.insert(id, self.m.view_for(id));
        Ok(id)
    }

    pub fn apply(&mut self, who: ParticipantId, cmd: Command) -> Result<(), CommandError> {
        let result = self.m.apply(cmd, who, self.now);
        self.deliver(None);
        result
    }

    /// Applies and expects success.
    pub fn ok(&mut self, who: ParticipantId, cmd: Command) {
        let shown = format!("{cmd:?}");
        if let Err(e) = self.apply(who, cmd) {
            panic!("{shown} by {who} failed: {e}");
        }
    }

    /// Creates `count` rooms with `strategy`.
    pub fn create(&mut self, host: ParticipantId, count: u32, strategy: Strategy) {
        self.ok(
            host,
            Command::CreateRooms {
                count: RoomCount::Rooms { count },
                strategy,
            },
        );
    }

    /// The options as they stand.
    pub fn options(&self) -> BreakoutOptions {
        self.m.view_for(ParticipantId(0)).options
    }

    /// Changes some options.
    pub fn set_options(&mut self, host: ParticipantId, f: impl FnOnce(&mut BreakoutOptions)) {
        let mut options = self.options();
        f(&mut options);
        self.ok(host, Command::SetOptions { options });
    }

    /// Creates `rooms` rooms with an automatic split, sets `options`, and opens them.
    pub fn open_rooms(&mut self, host: ParticipantId, rooms: u32, options: BreakoutOptions) {
        self.ok(
            host,
            Command::CreateRooms {
                count: RoomCount::Rooms { count: rooms },
                strategy: Strategy::Automatically,
            },
        );
        self.ok(host, Command::SetOptions { options });
        self.ok(host, Command::OpenRooms);
    }

    pub fn disconnect(&mut self, who: ParticipantId) {
        self.m.disconnect(who);
        self.views.remove(&who);
        self.deliver(None);
    }

    /// Moves the clock on and ticks.
    pub fn advance_secs(&mut self, secs: u64) {
        self.now = self.now.plus_secs(secs);
        self.m.tick(self.now);
        self.deliver(None);
    }

    /// Delivers queued events to every view (for callers that applied to `m` directly).
    pub fn deliver_pub(&mut self) {
        self.deliver(None);
    }

    /// Like the relay: events reach their audience (a person who was just removed still gets
    /// the notice addressed to them), then the views of people who are gone are dropped.
    fn deliver(&mut self, except: Option<ParticipantId>) {
        for envelope in self.m.drain_events() {
            for (id, view) in &mut self.views {
                if Some(*id) != except && self.m.is_in_audience(*id, &envelope.audience) {
                    view.apply(&envelope.event);
                    self.log.push((*id, envelope.event.clone()));
                }
            }
        }
        let present: Vec<ParticipantId> = self.m.participant_ids();
        self.views.retain(|id, _| present.contains(id));
    }

    /// Every participant's view equals the engine's, and the invariants hold.
    pub fn check(&self) {
        if let Err(e) = self.m.check_invariants() {
            panic!("invariant broken: {e}");
        }
        for (id, view) in &self.views {
            assert_eq!(view, &self.m.view_for(*id), "view of {id} drifted");
        }
    }

    pub fn view(&self, who: ParticipantId) -> &MeetingView {
        &self.views[&who]
    }

    pub fn room(&self, i: usize) -> RoomId {
        self.m.room_ids()[i]
    }

    /// Events `who` received since the log was last cleared.
    pub fn received(&self, who: ParticipantId) -> Vec<&super::event::Event> {
        self.log
            .iter()
            .filter(|(id, _)| *id == who)
            .map(|(_, e)| e)
            .collect()
    }
}
