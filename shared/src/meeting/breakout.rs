//! Breakout rules: creating and editing rooms, assigning people, opening, moving, choosing,
//! returning, broadcasting and asking for help. Timers (closing, rotations) are in `timers.rs`.

use super::assign;
use super::command::{Command, CommandError};
use super::event::{Audience, Event};
use super::rooms::{
    self, BreakoutOptions, BroadcastTarget, MAX_ROOMS, Phase, Place, RoomCount, RoomStatus,
    Strategy,
};
use super::view::phase_of;
use super::{HelpRequest, Meeting, Role, Room, Rotation};
use crate::ids::{HelpRequestId, ParticipantId, RoomId};
use crate::names::{MAX_ROOM_NAME_CHARS, clean_text, clean_topic};
use crate::time::Timestamp;

/// Longest rotation, in rounds.
const MAX_ROUNDS: u32 = 50;

/// Help requests a meeting keeps (each person may have one open at a time); beyond it the
/// oldest go, handled or not.
pub const MAX_HELP_REQUESTS: usize = 2 * super::MAX_PARTICIPANTS;

impl Meeting {
    pub(super) fn apply_breakout(
        &mut self,
        command: Command,
        actor: ParticipantId,
        role: Role,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        use Command::*;
        match command {
            CreateRooms { count, strategy } => self.create_rooms(count, strategy),
            AddRoom { name } => self.add_room(name),
            DeleteRoom { room } => self.delete_room(room),
            RenameRoom { room, name } => self.rename_room(room, &name),
            SetTopic { room, topic } => self.set_topic(room, &topic),
            Assign { participant, room } => self.assign(participant, room),
            Swap { a, b } => self.swap(a, b),
            SetOptions { options } => self.set_options(options),
            LoadPlan { plan } => self.load_plan(&plan),
            RemoveAllRooms => self.remove_all_rooms(),
            OpenRooms => self.open_rooms(now),
            CloseRooms => self.close_rooms(now),
            MoveParticipant { participant, to } => self.move_participant(participant, to),
            JoinRoom { room } => self.join_room(actor, role, room),
            ReturnToMain => self.return_to_main(actor, role),
            Broadcast { text, target } => self.broadcast(actor, &text, target),
            AskForHelp => self.ask_for_help(actor, now),
            ResolveHelp { request } => self.resolve_help(actor, request),
            ExtendRoomTime { room, seconds } => self.extend_room_time(room, seconds, now),
            StartRotation {
                rounds,
                group_size,
                round_minutes,
            } => self.start_rotation(rounds, group_size, round_minutes, now),
            // Membership, roles, audio, settings and saved sets are handled in `Meeting::apply` before this point.
            Leave
            | MakeCoHost { .. }
            | RemoveCoHost { .. }
            | MakeHost { .. }
            | RemoveParticipant { .. }
            | EndMeeting
            | Mute { .. }
            | MuteAll
            | SetSelfUnmute { .. }
            | SetMyMicrophone { .. }
            | RaiseHand
            | LowerHand { .. }
            | SendChat { .. }
            | SetInfo { .. }
            | SaveGroups { .. }
            | LoadGroups { .. }
            | DeleteGroups { .. } => Ok(()),
        }
    }

    /// The session's phase.
    pub fn phase(&self) -> Phase {
        phase_of(self.rooms.values().map(|r| r.status))
    }

    fn running(&self) -> bool {
        self.phase().is_running()
    }

    pub(super) fn refuse_if_running(&self) -> Result<(), CommandError> {
        if self.running() {
            Err(CommandError::AlreadyOpen)
        } else {
            Ok(())
        }
    }

    fn room_mut(&mut self, room: RoomId) -> Result<&mut Room, CommandError> {
        self.rooms.get_mut(&room).ok_or(CommandError::UnknownRoom)
    }

    /// Participants who are split into rooms (hosts and co-hosts roam freely), in id order.
    fn assignable(&self) -> Vec<ParticipantId> {
        self.participants
            .iter()
            .filter(|(_, p)| p.role.is_assignable())
            .map(|(id, _)| *id)
            .collect()
    }

    /// Replaces every room with `count` new ones named `Breakout room N` and forgets all
    /// assignments; returns the new ids.
    pub(super) fn replace_rooms(&mut self, names: Vec<(String, String)>) -> Vec<RoomId> {
        for room in std::mem::take(&mut self.rooms).into_keys() {
            self.drop_chat(Place::Room { room });
        }
        self.assignments.clear();
        self.remembered.clear();
        self.planned.clear();
        self.plan = None;
        names
            .into_iter()
            .map(|(name, topic)| {
                let id = RoomId(self.next_room);
                self.next_room += 1;
                let status = RoomStatus::Idle;
                self.rooms.insert(
                    id,
                    Room {
                        name,
                        topic,
                        status,
                    },
                );
                id
            })
            .collect()
    }

    pub(super) fn emit_rooms_replaced(&mut self) {
        let event = Event::RoomsReplaced {
            rooms: self.room_views(),
            assignments: self.assignments.iter().map(|(p, r)| (*p, *r)).collect(),
        };
        self.emit(Audience::Everyone, event);
    }

    fn create_rooms(&mut self, count: RoomCount, strategy: Strategy) -> Result<(), CommandError> {
        self.refuse_if_running()?;
        let people = self.assignable();
        let n = match count {
            RoomCount::Rooms { count } => count as usize,
            RoomCount::GroupsOf { size: 0 } => return Err(CommandError::InvalidGroupSize),
            RoomCount::GroupsOf { size } => assign::rooms_for_groups(people.len(), size as usize),
        };
        if !(1..=MAX_ROOMS).contains(&n) {
            return Err(CommandError::InvalidRoomCount { max: MAX_ROOMS });
        }
        let names = (1..=n).map(|i| (rooms::default_room_name(i), String::new()));
        let ids = self.replace_rooms(names.collect());
        match strategy {
            Strategy::Automatically => {
                let groups = assign::even_split(&people, n, &mut self.rng);
                for (room, group) in ids.iter().zip(groups) {
                    for p in group {
                        self.assignments.insert(p, *room);
                    }
                }
            }
            Strategy::Manually => {}
            Strategy::ParticipantsChoose => {
                if !self.options.allow_choose {
                    self.options.allow_choose = true;
                    let options = self.options;
                    self.emit(Audience::Everyone, Event::OptionsChanged { options });
                }
            }
        }
        self.emit_rooms_replaced();
        Ok(())
    }

    fn add_room(&mut self, name: Option<String>) -> Result<(), CommandError> {
        if self.rooms.len() >= MAX_ROOMS {
            return Err(CommandError::InvalidRoomCount { max: MAX_ROOMS });
        }
        let name = match name {
            Some(raw) => clean_text(&raw, MAX_ROOM_NAME_CHARS)
                .map_err(|problem| CommandError::InvalidName { problem })?,
            None => (1..)
                .map(rooms::default_room_name)
                .find(|n| self.rooms.values().all(|r| &r.name != n))
                .unwrap_or_default(),
        };
        // A room added mid-session opens with the others, sharing their latest deadline.
        let status = match self.phase() {
            Phase::Open => RoomStatus::Open {
                deadline: self
                    .rooms
                    .values()
                    .filter_map(|r| match r.status {
                        RoomStatus::Open { deadline } => deadline,
                        _ => None,
                    })
                    .max(),
            },
            _ => RoomStatus::Idle,
        };
        let id = RoomId(self.next_room);
        self.next_room += 1;
        let room = Room {
            name,
            topic: String::new(),
            status,
        };
        self.rooms.insert(id, room);
        let view = self.room_views().into_iter().find(|r| r.id == id);
        if let Some(room) = view {
            self.emit(Audience::Everyone, Event::RoomAdded { room });
        }
        Ok(())
    }

    fn delete_room(&mut self, room: RoomId) -> Result<(), CommandError> {
        self.rooms.remove(&room).ok_or(CommandError::UnknownRoom)?;
        self.assignments.retain(|_, r| *r != room);
        self.remembered.retain(|_, r| *r != room);
        self.planned.retain(|_, r| *r != room);
        self.drop_chat(Place::Room { room });
        let evicted = self.move_out_of(room);
        self.emit(Audience::Everyone, Event::RoomDeleted { room });
        for id in evicted {
            self.send_chat_history(id, Place::Main);
        }
        self.finish_if_done();
        Ok(())
    }

    fn rename_room(&mut self, room: RoomId, raw: &str) -> Result<(), CommandError> {
        let name = clean_text(raw, MAX_ROOM_NAME_CHARS)
            .map_err(|problem| CommandError::InvalidName { problem })?;
        self.room_mut(room)?.name.clone_from(&name);
        self.emit(Audience::Everyone, Event::RoomRenamed { room, name });
        Ok(())
    }

    fn set_topic(&mut self, room: RoomId, raw: &str) -> Result<(), CommandError> {
        let topic = clean_topic(raw, rooms::MAX_TOPIC_CHARS)
            .map_err(|problem| CommandError::InvalidText { problem })?;
        self.room_mut(room)?.topic.clone_from(&topic);
        self.emit(Audience::Everyone, Event::TopicSet { room, topic });
        Ok(())
    }

    pub(super) fn set_assignment(&mut self, who: ParticipantId, room: Option<RoomId>) {
        let before = self.assignments.get(&who).copied();
        if before == room {
            return;
        }
        match room {
            Some(r) => self.assignments.insert(who, r),
            None => self.assignments.remove(&who),
        };
        self.emit(
            Audience::Everyone,
            Event::Assigned {
                participant: who,
                room,
            },
        );
    }

    pub(super) fn set_place(&mut self, who: ParticipantId, to: Place) {
        if let Some(p) = self.participants.get_mut(&who)
            && p.place != to
        {
            p.place = to;
            self.emit(
                Audience::Everyone,
                Event::ParticipantMoved {
                    participant: who,
                    to,
                },
            );
            self.send_chat_history(who, to);
        }
    }

    fn assign(&mut self, who: ParticipantId, room: Option<RoomId>) -> Result<(), CommandError> {
        if !self.participants.contains_key(&who) {
            return Err(CommandError::UnknownParticipant);
        }
        if let Some(r) = room
            && !self.rooms.contains_key(&r)
        {
            return Err(CommandError::UnknownRoom);
        }
        self.set_assignment(who, room);
        Ok(())
    }

    fn swap(&mut self, a: ParticipantId, b: ParticipantId) -> Result<(), CommandError> {
        let (Some(pa), Some(pb)) = (self.place_of(a), self.place_of(b)) else {
            return Err(CommandError::UnknownParticipant);
        };
        let (ra, rb) = (
            self.assignments.get(&a).copied(),
            self.assignments.get(&b).copied(),
        );
        self.set_assignment(a, rb);
        self.set_assignment(b, ra);
        // People already sitting in their rooms swap seats too.
        if pa.room().is_some() && pa.room() == ra && pb.room().is_some() && pb.room() == rb {
            self.set_place(a, pb);
            self.set_place(b, pa);
        }
        Ok(())
    }

    fn set_options(&mut self, options: BreakoutOptions) -> Result<(), CommandError> {
        if !options.is_valid() {
            return Err(CommandError::InvalidOptions);
        }
        if self.options != options {
            self.options = options;
            self.emit(Audience::Everyone, Event::OptionsChanged { options });
        }
        Ok(())
    }

    fn remove_all_rooms(&mut self) -> Result<(), CommandError> {
        self.refuse_if_running()?;
        if self.rooms.is_empty() {
            return Err(CommandError::NoRooms);
        }
        self.replace_rooms(Vec::new());
        self.emit_rooms_replaced();
        Ok(())
    }

    fn open_rooms(&mut self, now: Timestamp) -> Result<(), CommandError> {
        match self.phase() {
            Phase::NoRooms => return Err(CommandError::NoRooms),
            Phase::Open | Phase::Closing => return Err(CommandError::AlreadyOpen),
            Phase::Planned => {}
        }
        let deadline = self
            .options
            .auto_close_minutes
            .map(|m| now.plus_secs(u64::from(m) * 60));
        self.open_all(deadline, self.options.move_automatically);
        Ok(())
    }

    /// Opens every room with `deadline`; with `move_people`, everyone assigned goes in.
    pub(super) fn open_all(&mut self, deadline: Option<Timestamp>, move_people: bool) {
        for r in self.rooms.values_mut() {
            r.status = RoomStatus::Open { deadline };
        }
        let mut moved = Vec::new();
        if move_people {
            for (id, room) in &self.assignments {
                if let Some(p) = self.participants.get_mut(id)
                    && p.role != Role::Host
                {
                    p.place = Place::Room { room: *room };
                    moved.push((*id, *room));
                }
            }
        }
        self.emit(
            Audience::Everyone,
            Event::RoomsOpened {
                deadline,
                moved: moved.clone(),
            },
        );
        for (id, room) in moved {
            self.send_chat_history(id, Place::Room { room });
        }
    }

    fn close_rooms(&mut self, now: Timestamp) -> Result<(), CommandError> {
        if self.phase() != Phase::Open {
            return Err(CommandError::NotOpen);
        }
        self.start_closing(now);
        Ok(())
    }

    fn move_participant(&mut self, who: ParticipantId, to: Place) -> Result<(), CommandError> {
        let (role, place) = match self.participants.get(&who) {
            Some(p) => (p.role, p.place),
            None => return Err(CommandError::UnknownParticipant),
        };
        if place == to {
            return Err(CommandError::AlreadyThere);
        }
        if let Place::Room { room } = to {
            self.require_open(room)?;
            if role != Role::Host {
                self.set_assignment(who, Some(room));
            }
        }
        self.set_place(who, to);
        Ok(())
    }

    fn require_open(&self, room: RoomId) -> Result<(), CommandError> {
        match self.rooms.get(&room).map(|r| r.status) {
            None => Err(CommandError::UnknownRoom),
            Some(RoomStatus::Open { .. }) => Ok(()),
            Some(_) => Err(CommandError::RoomNotOpen),
        }
    }

    fn join_room(
        &mut self,
        who: ParticipantId,
        role: Role,
        room: RoomId,
    ) -> Result<(), CommandError> {
        self.require_open(room)?;
        let to = Place::Room { room };
        if self.place_of(who) == Some(to) {
            return Err(CommandError::AlreadyThere);
        }
        if role.is_assignable() && self.assignments.get(&who) != Some(&room) {
            if !self.options.may_choose(role) {
                return Err(CommandError::ChoosingNotAllowed);
            }
            self.set_assignment(who, Some(room));
        }
        self.set_place(who, to);
        Ok(())
    }

    fn return_to_main(&mut self, who: ParticipantId, role: Role) -> Result<(), CommandError> {
        if self.place_of(who).and_then(Place::room).is_none() {
            return Err(CommandError::NotInRoom);
        }
        if !self.options.may_return(role) {
            return Err(CommandError::ReturnNotAllowed);
        }
        self.set_place(who, Place::Main);
        Ok(())
    }

    fn broadcast(
        &mut self,
        from: ParticipantId,
        raw: &str,
        target: BroadcastTarget,
    ) -> Result<(), CommandError> {
        if !self.running() {
            return Err(CommandError::NotOpen);
        }
        let text = clean_text(raw, rooms::MAX_BROADCAST_CHARS)
            .map_err(|problem| CommandError::InvalidText { problem })?;
        let (audience, room) = match target {
            BroadcastTarget::All => (Audience::Everyone, None),
            BroadcastTarget::Room { room } => {
                if !self.rooms.contains_key(&room) {
                    return Err(CommandError::UnknownRoom);
                }
                (Audience::Room { room }, Some(room))
            }
        };
        self.emit(audience, Event::Broadcast { from, text, room });
        Ok(())
    }

    fn ask_for_help(&mut self, from: ParticipantId, now: Timestamp) -> Result<(), CommandError> {
        let room = self
            .place_of(from)
            .and_then(Place::room)
            .ok_or(CommandError::NotInRoom)?;
        if self
            .help
            .values()
            .any(|h| h.from == from && h.resolved_by.is_none())
        {
            return Err(CommandError::AlreadyAsked);
        }
        let id = HelpRequestId(self.next_help);
        self.next_help += 1;
        let request = HelpRequest {
            from,
            room,
            at: now,
            resolved_by: None,
        };
        let view = Self::help_view(id, &request);
        self.help.insert(id, request);
        while self.help.len() > MAX_HELP_REQUESTS {
            self.help.pop_first();
        }
        self.emit_help(from, Event::HelpRequested { request: view });
        Ok(())
    }

    fn resolve_help(&mut self, by: ParticipantId, id: HelpRequestId) -> Result<(), CommandError> {
        let request = self
            .help
            .get_mut(&id)
            .ok_or(CommandError::UnknownHelpRequest)?;
        if request.resolved_by.is_some() {
            return Err(CommandError::AlreadyResolved);
        }
        request.resolved_by = Some(by);
        let from = request.from;
        self.emit_help(from, Event::HelpResolved { request: id, by });
        Ok(())
    }

    /// Help news goes to the hosts and to the one who asked.
    fn emit_help(&mut self, asker: ParticipantId, event: Event) {
        self.emit(Audience::Hosts, event.clone());
        if self.role_of(asker) == Some(Role::Participant) {
            self.emit(Audience::Participant { participant: asker }, event);
        }
    }

    fn extend_room_time(
        &mut self,
        room: RoomId,
        seconds: i32,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if self.rotation.is_some() {
            return Err(CommandError::RotationRunning);
        }
        let r = self.room_mut(room)?;
        let deadline = match r.status {
            RoomStatus::Open {
                deadline: Some(deadline),
            } => deadline,
            RoomStatus::Open { deadline: None } => return Err(CommandError::NoTimer),
            _ => return Err(CommandError::RoomNotOpen),
        };
        let shifted = i128::from(deadline.0) + i128::from(seconds) * 1000;
        let new = Timestamp(u64::try_from(shifted.max(i128::from(now.0))).unwrap_or(u64::MAX));
        let status = RoomStatus::Open {
            deadline: Some(new),
        };
        r.status = status;
        self.emit(
            Audience::Everyone,
            Event::RoomStatusChanged { room, status },
        );
        Ok(())
    }

    fn start_rotation(
        &mut self,
        rounds: u32,
        group_size: u32,
        round_minutes: u32,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.refuse_if_running()?;
        let valid = (1..=MAX_ROUNDS).contains(&rounds)
            && group_size >= 2
            && (1..=rooms::MAX_MINUTES).contains(&round_minutes);
        if !valid {
            return Err(CommandError::InvalidRotation {
                max: rooms::MAX_MINUTES,
            });
        }
        let people = self.assignable();
        let n = assign::rooms_for_groups(people.len(), group_size as usize);
        if n > MAX_ROOMS {
            return Err(CommandError::InvalidRoomCount { max: MAX_ROOMS });
        }
        let schedule =
            assign::rotation(&people, group_size as usize, rounds as usize, &mut self.rng);
        let names = (1..=n).map(|i| (rooms::default_room_name(i), String::new()));
        self.replace_rooms(names.collect());
        self.emit_rooms_replaced();
        let round_ms = u64::from(round_minutes) * 60_000;
        self.rotation = Some(Rotation {
            schedule,
            round: 0,
            round_ms,
        });
        self.begin_round(now.plus_ms(round_ms));
        Ok(())
    }
}
