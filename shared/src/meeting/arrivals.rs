//! Placing people who were planned for or who arrive late: loading a plan of rooms and
//! pre-assigned names or emails, and putting a newcomer where they belong (their remembered room,
//! their planned room, or the smallest open room), flagging ambiguous matches instead of guessing.

use super::command::CommandError;
use super::event::{Audience, Event};
use super::plan::{Plan, identity_key};
use super::rooms::{self, MAX_ROOMS, Phase, Place, RoomStatus};
use super::{Meeting, Role};
use crate::ids::{ParticipantId, RoomId};
use crate::names::{MAX_ROOM_NAME_CHARS, clean_text, clean_topic};
use std::collections::BTreeMap;

impl Meeting {
    pub(super) fn load_plan(&mut self, plan: &Plan) -> Result<(), CommandError> {
        self.refuse_if_running()?;
        let invalid = |reason: String| CommandError::InvalidPlan { reason };
        if !(1..=MAX_ROOMS).contains(&plan.rooms.len()) {
            return Err(invalid(format!("it needs 1 to {MAX_ROOMS} rooms")));
        }
        let mut rooms = Vec::new();
        let mut members: BTreeMap<String, usize> = BTreeMap::new();
        for (i, planned) in plan.rooms.iter().enumerate() {
            let name = clean_text(&planned.name, MAX_ROOM_NAME_CHARS)
                .map_err(|p| invalid(format!("room {}: name {p}", i + 1)))?;
            let topic = clean_topic(&planned.topic, rooms::MAX_TOPIC_CHARS)
                .map_err(|p| invalid(format!("room {}: topic {p}", i + 1)))?;
            for m in &planned.members {
                let key = identity_key(m);
                if key.is_empty() {
                    return Err(invalid(format!("room {}: an empty member", i + 1)));
                }
                if members.insert(key, i).is_some() {
                    return Err(invalid(format!("{} is planned twice", m.trim())));
                }
            }
            rooms.push((name, topic));
        }
        let ids = self.replace_rooms(rooms);
        self.plan = Some(plan.clone());
        self.planned = members.into_iter().map(|(k, i)| (k, ids[i])).collect();
        let mut conflicts = Vec::new();
        for (key, room) in self.planned.clone() {
            let matching: Vec<ParticipantId> = self
                .participants
                .iter()
                .filter(|(_, p)| p.keys.contains(&key) && p.role != Role::Host)
                .map(|(id, _)| *id)
                .collect();
            match matching.as_slice() {
                [one] => {
                    self.assignments.insert(*one, room);
                }
                [] => {}
                _ => conflicts.push((key, matching)),
            }
        }
        self.emit_rooms_replaced();
        for (key, participants) in conflicts {
            self.emit(Audience::Hosts, Event::PlanConflict { key, participants });
        }
        Ok(())
    }

    /// Places a newcomer: their remembered or planned room (flagging ambiguous matches), else the
    /// smallest open room when people are moved automatically.
    pub(super) fn place_newcomer(&mut self, id: ParticipantId) {
        let keys = self
            .participants
            .get(&id)
            .map(|p| p.keys.clone())
            .unwrap_or_default();
        // The first key (email before name) that a remembered or planned room knows.
        let found = keys.iter().cloned().find_map(|k| {
            let room = self.remembered.get(&k).or_else(|| self.planned.get(&k))?;
            Some((k, *room))
        });
        let (key, known) = match found {
            Some((k, room)) => (k, Some(room)),
            None => (String::new(), None),
        };
        let same_key: Vec<ParticipantId> = self
            .participants
            .iter()
            .filter(|(_, p)| p.keys.contains(&key))
            .map(|(pid, _)| *pid)
            .collect();
        let room = match known {
            Some(_) if same_key.len() > 1 => {
                self.emit(
                    Audience::Hosts,
                    Event::PlanConflict {
                        key,
                        participants: same_key,
                    },
                );
                None
            }
            Some(room) => {
                for k in &keys {
                    self.remembered.remove(k);
                }
                Some(room)
            }
            None if self.phase() == Phase::Open && self.options.move_automatically => {
                self.smallest_open_room()
            }
            None => None,
        };
        let Some(room) = room else {
            return;
        };
        self.set_assignment(id, Some(room));
        let open = matches!(
            self.rooms.get(&room).map(|r| r.status),
            Some(RoomStatus::Open { .. })
        );
        if open && self.options.move_automatically {
            self.set_place(id, Place::Room { room });
        }
    }

    fn smallest_open_room(&self) -> Option<RoomId> {
        self.rooms
            .iter()
            .filter(|(_, r)| matches!(r.status, RoomStatus::Open { .. }))
            .map(|(id, _)| {
                let size = self
                    .participants
                    .values()
                    .filter(|p| p.place.room() == Some(*id))
                    .count();
                (size, *id)
            })
            .min()
            .map(|(_, id)| id)
    }
}
