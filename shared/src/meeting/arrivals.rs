//! Placing people who were planned for or who arrive late: loading a plan of rooms and
//! pre-assigned people (by name, email or both), and putting a newcomer where they belong (their
//! remembered room, their planned room, or the smallest open room), flagging ambiguous matches
//! instead of guessing.

use super::command::CommandError;
use super::event::{Audience, Event};
use super::plan::Plan;
use super::rooms::{self, MAX_ROOMS, Phase, Place, RoomStatus};
use super::{Meeting, Role};
use crate::ids::{ParticipantId, RoomId};

/// Someone a plan names who is not here, and the room they are planned for (if it still is).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Absent {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
}

/// Most remembered keys (people who left a room, by each of their keys) a meeting keeps. Beyond
/// it the entry of the smallest key goes; rooms being replaced forgets them all.
pub const MAX_REMEMBERED: usize = 4 * super::MAX_PARTICIPANTS;

impl Meeting {
    pub(super) fn load_plan(&mut self, plan: &Plan) -> Result<(), CommandError> {
        self.refuse_if_running()?;
        let plan = plan
            .validated(MAX_ROOMS, rooms::MAX_TOPIC_CHARS)
            .map_err(|problem| CommandError::InvalidPlan {
                reason: problem.to_string(),
            })?;
        let rooms = plan
            .rooms
            .iter()
            .map(|r| (r.name.clone(), r.topic.clone()))
            .collect();
        let ids = self.replace_rooms(rooms);
        let mut conflicts = Vec::new();
        for (planned, room) in plan.rooms.iter().zip(&ids) {
            for member in &planned.members {
                let keys = member.keys();
                for key in &keys {
                    self.planned.insert(key.clone(), *room);
                }
                let matching = self.matching(&keys, |p| p.role != Role::Host);
                match matching.as_slice() {
                    [one] => {
                        self.assignments.insert(*one, *room);
                    }
                    [] => {}
                    _ => conflicts.push((keys[0].clone(), matching)),
                }
            }
        }
        self.plan = Some(plan);
        self.emit_rooms_replaced();
        for (key, participants) in conflicts {
            self.emit(Audience::Hosts, Event::PlanConflict { key, participants });
        }
        Ok(())
    }

    /// Who the plan names that nobody present is, with the name of the room they are planned
    /// for: what a host sees as "not here yet". Only hosts and co-hosts may ask.
    pub fn absent_planned(&self, asker: Role) -> Result<Vec<Absent>, CommandError> {
        if !asker.is_hosting() {
            return Err(CommandError::NotAllowed {
                required: super::command::Required::HostOrCoHost,
            });
        }
        let here: std::collections::BTreeSet<&String> =
            self.participants.values().flat_map(|p| &p.keys).collect();
        let room_name = |room: &RoomId| self.rooms.get(room).map(|r| r.name.clone());
        Ok(self
            .plan
            .iter()
            .flat_map(|p| &p.rooms)
            .flat_map(|r| &r.members)
            .filter(|m| m.keys().iter().all(|k| !here.contains(k)))
            .map(|m| Absent {
                name: m.label().to_owned(),
                room: m
                    .keys()
                    .iter()
                    .find_map(|k| self.planned.get(k))
                    .and_then(room_name),
            })
            .collect())
    }

    /// Everyone present who has any of `keys` and passes `filter`, in id order.
    fn matching(
        &self,
        keys: &[String],
        filter: impl Fn(&super::Participant) -> bool,
    ) -> Vec<ParticipantId> {
        self.participants
            .iter()
            .filter(|(_, p)| filter(p) && p.keys.iter().any(|k| keys.contains(k)))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Every key of the planned person that `key` belongs to (just `key` if no plan names it).
    fn planned_keys_of(&self, key: &str) -> Vec<String> {
        self.plan
            .iter()
            .flat_map(|p| &p.rooms)
            .flat_map(|r| &r.members)
            .map(|m| m.keys())
            .find(|keys| keys.iter().any(|k| k == key))
            .unwrap_or_else(|| vec![key.to_owned()])
    }

    /// Remembers that the person with `keys` belonged in `room`, within `MAX_REMEMBERED`.
    pub(super) fn remember(&mut self, keys: &[String], room: RoomId) {
        for key in keys {
            self.remembered.insert(key.clone(), room);
        }
        while self.remembered.len() > MAX_REMEMBERED {
            self.remembered.pop_first();
        }
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
        let remembered = keys
            .iter()
            .find_map(|k| Some((k.clone(), *self.remembered.get(k)?, false)));
        let found = remembered.or_else(|| {
            keys.iter()
                .find_map(|k| Some((k.clone(), *self.planned.get(k)?, true)))
        });
        let room = match found {
            Some((key, room, from_plan)) => {
                // Everyone present who is that same planned person, by any of its keys.
                let person = if from_plan {
                    self.planned_keys_of(&key)
                } else {
                    vec![key.clone()]
                };
                let same = self.matching(&person, |_| true);
                if same.len() > 1 {
                    self.emit(
                        Audience::Hosts,
                        Event::PlanConflict {
                            key,
                            participants: same,
                        },
                    );
                    None
                } else {
                    for k in &keys {
                        self.remembered.remove(k);
                    }
                    Some(room)
                }
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
