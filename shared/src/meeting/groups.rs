//! Saved group sets: the rooms and who was in each, kept under a name so a recurring class can
//! reuse last week's groups. A set is stored as a `Plan` (people by email or name), so loading one
//! works exactly like loading a plan, and it matches people when they come back next time.

use super::command::CommandError;
use super::event::{Audience, Event};
use super::plan::{Plan, PlannedMember, PlannedRoom};
use super::{Meeting, Role};
use crate::ids::{ParticipantId, RoomId};
use crate::names::clean_text;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most saved sets per meeting.
pub const MAX_GROUP_SETS: usize = 50;
/// Longest set name, in characters.
pub const MAX_GROUP_SET_NAME_CHARS: usize = 64;

/// A saved set as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct GroupSet {
    pub plan: Plan,
    pub saved_at: Timestamp,
}

/// A saved set as hosts see it in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSetView {
    pub name: String,
    pub rooms: u32,
    pub people: u32,
    pub saved_at: Timestamp,
}

impl Meeting {
    /// The current rooms and their people as a plan: everyone assigned now (by email when known,
    /// else by name), plus planned and remembered people who are not here today. One pass over
    /// each collection, so saving stays cheap at a thousand people.
    pub fn groups_as_plan(&self) -> Plan {
        let mut members: BTreeMap<RoomId, Vec<PlannedMember>> = BTreeMap::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut add = |room: RoomId, who: PlannedMember| {
            let keys = who.keys();
            if keys.iter().all(|k| !seen.contains(k)) {
                seen.extend(keys);
                members.entry(room).or_default().push(who);
            }
        };
        for (pid, room) in &self.assignments {
            if let Some(p) = self.participants.get(pid) {
                // keys hold the email (if any) first; a name keeps its spelling.
                let who = match p.keys.first() {
                    Some(k) if let Some(subject) = super::plan::subject_of_key(k) => {
                        PlannedMember::Course {
                            name: p.name.clone(),
                            subject: subject.to_owned(),
                        }
                    }
                    Some(k) if k.contains('@') => PlannedMember::Both {
                        name: p.name.clone(),
                        email: k.clone(),
                    },
                    _ => PlannedMember::One(p.name.clone()),
                };
                add(*room, who);
            }
        }
        let here: BTreeSet<&String> = self.participants.values().flat_map(|p| &p.keys).collect();
        let planned = self
            .plan
            .iter()
            .flat_map(|p| &p.rooms)
            .flat_map(|r| &r.members);
        for member in planned {
            let keys = member.keys();
            let room = keys.iter().find_map(|k| self.planned.get(k));
            if let Some(room) = room
                && keys.iter().all(|k| !here.contains(k))
            {
                add(*room, member.clone());
            }
        }
        for (key, room) in &self.remembered {
            if !here.contains(key) {
                add(*room, PlannedMember::One(key.clone()));
            }
        }
        let rooms = self
            .rooms
            .iter()
            .map(|(id, room)| PlannedRoom {
                name: room.name.clone(),
                topic: room.topic.clone(),
                members: members.remove(id).unwrap_or_default(),
            })
            .collect();
        Plan { rooms }
    }

    /// Saves the current groups under `name`, replacing a set of the same name.
    pub(super) fn save_groups(&mut self, name: &str, now: Timestamp) -> Result<(), CommandError> {
        let name = clean_text(name, MAX_GROUP_SET_NAME_CHARS)
            .map_err(|problem| CommandError::InvalidText { problem })?;
        if self.rooms.is_empty() {
            return Err(CommandError::NoRooms);
        }
        if !self.group_sets.contains_key(&name) && self.group_sets.len() >= MAX_GROUP_SETS {
            return Err(CommandError::TooManyGroupSets {
                max: MAX_GROUP_SETS,
            });
        }
        let plan = self.groups_as_plan();
        self.group_sets.insert(
            name,
            GroupSet {
                plan,
                saved_at: now,
            },
        );
        self.emit_group_sets();
        Ok(())
    }

    /// Replaces the rooms with a saved set (as a plan: people are matched as they join).
    pub(super) fn load_groups(&mut self, name: &str) -> Result<(), CommandError> {
        let plan = self
            .group_sets
            .get(name.trim())
            .ok_or(CommandError::UnknownGroupSet)?
            .plan
            .clone();
        self.load_plan(&plan)
    }

    pub(super) fn delete_groups(&mut self, name: &str) -> Result<(), CommandError> {
        self.group_sets
            .remove(name.trim())
            .ok_or(CommandError::UnknownGroupSet)?;
        self.emit_group_sets();
        Ok(())
    }

    /// The saved sets, by name, as hosts see them.
    pub fn group_set_views(&self) -> Vec<GroupSetView> {
        self.group_sets
            .iter()
            .map(|(name, set)| GroupSetView {
                name: name.clone(),
                rooms: u32::try_from(set.plan.rooms.len()).unwrap_or(u32::MAX),
                people: u32::try_from(
                    set.plan
                        .rooms
                        .iter()
                        .map(|r| r.members.len())
                        .sum::<usize>(),
                )
                .unwrap_or(u32::MAX),
                saved_at: set.saved_at,
            })
            .collect()
    }

    /// What `who` may see of the saved sets: all of them for hosts, none for participants.
    pub(super) fn group_sets_visible_to(&self, who: ParticipantId) -> Vec<GroupSetView> {
        match self.role_of(who) {
            Some(role) if role >= Role::CoHost => self.group_set_views(),
            _ => Vec::new(),
        }
    }

    fn emit_group_sets(&mut self) {
        let sets = self.group_set_views();
        self.emit(Audience::Hosts, Event::GroupSetsChanged { sets });
    }
}
