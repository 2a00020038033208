//! Time in the breakout session. Every timer is an absolute deadline stored in a room's status;
//! `tick(now)` moves each past-due status one way (open → closing → closed), so each timer fires
//! exactly once however often or late `tick` is called, and a restarted server resumes them.

use super::event::{Audience, Event};
use super::rooms::{Place, RoomStatus};
use super::{Meeting, Role};
use crate::ids::RoomId;
use crate::time::Timestamp;

impl Meeting {
    /// The earliest moment at which `tick` has something to do.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        if self.ended {
            return None;
        }
        self.rooms
            .values()
            .filter_map(|r| match r.status {
                RoomStatus::Open { deadline } => deadline,
                RoomStatus::Closing { until } => Some(until),
                RoomStatus::Idle | RoomStatus::Closed => None,
            })
            .min()
    }

    /// Fires every timer due at `now`: rotation rounds, time-up notices, closing countdowns.
    pub fn tick(&mut self, now: Timestamp) {
        if self.ended {
            return;
        }
        let raised = self.raised_hands();
        // Each pass strictly advances some deadline or status, so this ends; the bound is a guard.
        for _ in 0..10_000 {
            if !self.tick_once(now) {
                break;
            }
        }
        if !raised.is_empty() {
            self.lower_hands_of_movers(raised);
        }
    }

    fn tick_once(&mut self, now: Timestamp) -> bool {
        let due_open: Vec<(RoomId, Timestamp)> = self
            .rooms
            .iter()
            .filter_map(|(id, r)| match r.status {
                RoomStatus::Open { deadline: Some(d) } if d <= now => Some((*id, d)),
                _ => None,
            })
            .collect();
        if let Some(&(_, deadline)) = due_open.first()
            && self.rotation.is_some()
        {
            self.end_round(deadline);
            return true;
        }
        let mut changed = false;
        for (room, deadline) in due_open {
            changed = true;
            if self.options.notify_when_time_up {
                self.emit(Audience::Hosts, Event::TimeUp { room });
            }
            match self.options.countdown_seconds {
                Some(s) if s > 0 => {
                    let status = RoomStatus::Closing {
                        until: deadline.plus_secs(u64::from(s)),
                    };
                    if let Some(r) = self.rooms.get_mut(&room) {
                        r.status = status;
                    }
                    self.emit(
                        Audience::Everyone,
                        Event::RoomStatusChanged { room, status },
                    );
                }
                _ => self.close_room(room),
            }
        }
        let due_closing: Vec<RoomId> = self
            .rooms
            .iter()
            .filter(|(_, r)| matches!(r.status, RoomStatus::Closing { until } if until <= now))
            .map(|(id, _)| *id)
            .collect();
        let running = self
            .rooms
            .values()
            .filter(|r| r.status.is_running())
            .count();
        if !due_closing.is_empty() && due_closing.len() == running {
            // The whole session's countdown ended: everyone returns in one event, not in one
            // room status per room sent to everyone (a hundred rooms made that 100 broadcasts).
            self.end_session();
            return true;
        }
        for room in due_closing {
            changed = true;
            self.close_room(room);
        }
        if changed {
            self.finish_if_done();
        }
        changed
    }

    /// Starts the closing countdown in every open room (or closes at once without one).
    pub(super) fn start_closing(&mut self, now: Timestamp) {
        match self.options.countdown_seconds {
            Some(s) if s > 0 => {
                let until = now.plus_secs(u64::from(s));
                for r in self.rooms.values_mut() {
                    if matches!(r.status, RoomStatus::Open { .. }) {
                        r.status = RoomStatus::Closing { until };
                    }
                }
                self.emit(Audience::Everyone, Event::RoomsClosing { until });
            }
            _ => self.end_session(),
        }
    }

    /// Closes one room early: its people return to the main session.
    fn close_room(&mut self, room: RoomId) {
        let status = RoomStatus::Closed;
        if let Some(r) = self.rooms.get_mut(&room) {
            r.status = status;
        }
        let evicted = self.move_out_of(room);
        self.emit(
            Audience::Everyone,
            Event::RoomStatusChanged { room, status },
        );
        for id in evicted {
            self.send_chat_history(id, Place::Main);
        }
    }

    /// Ends the session once no room is open or closing any more.
    pub(super) fn finish_if_done(&mut self) {
        let running = self.rooms.values().any(|r| r.status.is_running());
        let any_closed = self.rooms.values().any(|r| r.status == RoomStatus::Closed);
        if !running && any_closed {
            self.end_session();
        }
    }

    /// Everyone back in the main session; rooms kept (idle) for another round.
    fn end_session(&mut self) {
        for r in self.rooms.values_mut() {
            r.status = RoomStatus::Idle;
        }
        let mut returning = Vec::new();
        for (id, p) in &mut self.participants {
            if p.place != Place::Main {
                p.place = Place::Main;
                returning.push(*id);
            }
        }
        self.rotation = None;
        self.help.clear();
        self.emit(Audience::Everyone, Event::RoomsClosed);
        for id in returning {
            self.send_chat_history(id, Place::Main);
        }
    }

    /// Sends everyone in `room` back to the main session (without events); returns who moved.
    pub(super) fn move_out_of(&mut self, room: RoomId) -> Vec<crate::ids::ParticipantId> {
        let mut moved = Vec::new();
        for (id, p) in &mut self.participants {
            if p.place.room() == Some(room) {
                p.place = Place::Main;
                moved.push(*id);
            }
        }
        moved
    }

    /// Fills the rooms for the rotation's current round and opens them until `deadline`.
    pub(super) fn begin_round(&mut self, deadline: Timestamp) {
        let Some(rotation) = &self.rotation else {
            return;
        };
        let round = rotation.round;
        let of = rotation.schedule.len();
        let groups = rotation.schedule.get(round).cloned().unwrap_or_default();
        let room_ids = self.room_ids();
        // Scheduled people get this round's room; late joiners keep the room they were given.
        // Anyone promoted to (co-)host since the schedule was made roams freely instead.
        for (room, group) in room_ids.iter().zip(groups) {
            for p in group {
                let still_participant = self
                    .participants
                    .get(&p)
                    .is_some_and(|x| x.role == Role::Participant);
                if still_participant {
                    self.assignments.insert(p, *room);
                }
            }
        }
        // Hosts visiting a room return to the main session between rounds.
        let visitors: Vec<_> = self
            .participants
            .iter()
            .filter(|(_, p)| p.role != Role::Participant && p.place != Place::Main)
            .map(|(id, _)| *id)
            .collect();
        for id in visitors {
            self.set_place(id, Place::Main);
        }
        self.open_all(Some(deadline), true);
        self.emit(
            Audience::Everyone,
            Event::RotationRound {
                round: u32::try_from(round + 1).unwrap_or(u32::MAX),
                of: u32::try_from(of).unwrap_or(u32::MAX),
            },
        );
    }

    /// A rotation round's time is up: next round, or close after the last.
    fn end_round(&mut self, deadline: Timestamp) {
        let Some(rotation) = &mut self.rotation else {
            return;
        };
        if rotation.round + 1 < rotation.schedule.len() {
            rotation.round += 1;
            let next = deadline.plus_ms(rotation.round_ms);
            self.begin_round(next);
        } else {
            self.start_closing(deadline);
        }
    }
}
