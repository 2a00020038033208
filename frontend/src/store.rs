//! The one store the UI reads. Only what arrives from the server (and the socket's own opening and
//! closing) changes it; components never edit meeting state themselves.

use crate::i18n::{Lang, errors};
use leptos::prelude::*;
use plenary_shared::ids::{ParticipantId, RoomId};
use plenary_shared::media::ServerSignal;
use plenary_shared::meeting::Role;
use plenary_shared::meeting::command::CommandError;
use plenary_shared::meeting::event::Event;
use plenary_shared::meeting::view::MeetingView;
use plenary_shared::protocol::{ProtocolError, ServerMsg};

/// Something that went wrong, kept typed so it is worded in the reader's language when shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The server refused something or could not serve us.
    Server(ProtocolError),
    /// The browser could not do something (open a socket, say); the detail is the browser's.
    Local(String),
}

impl Problem {
    /// The problem in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Problem::Server(e) => errors::describe(e, lang),
            Problem::Local(detail) => format!("{}: {detail}", lang.texts().connection_problem),
        }
    }
}

/// Where this tab is in its life with the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not joined yet: the join form shows.
    NotJoined,
    /// Join sent, waiting for the welcome.
    Joining,
    InMeeting,
    /// Left on purpose.
    Left,
    /// The connection dropped (or, on a reload, is being resumed).
    Lost,
    /// The host ended the meeting.
    Ended,
    /// A host or co-host removed us.
    Removed,
    /// The same session was resumed in another tab; this one stays quiet until asked.
    TakenOver,
}

/// The close code the server uses when a session is resumed on another connection.
pub const TAKEN_OVER: u16 = 4001;

/// Reactive state of one meeting tab. `Copy`: every field is a signal handle.
#[derive(Debug, Clone, Copy)]
pub struct Store {
    pub phase: RwSignal<Phase>,
    pub meeting: RwSignal<MeetingView>,
    pub me: RwSignal<Option<ParticipantId>>,
    /// The last problem: a typed error from the server, or one in this page.
    pub error: RwSignal<Option<Problem>>,
    /// The latest broadcast from the host, shown as an alert.
    pub broadcast: RwSignal<Option<String>>,
    /// The room whose time ran out last (hosts who asked to be told).
    pub time_up: RwSignal<Option<RoomId>>,
    /// Plan entries that matched more than one person present (hosts), with those people; each
    /// stays until the rooms are replaced or the host places one of them.
    pub plan_conflicts: RwSignal<Vec<(String, Vec<ParticipantId>)>>,
    /// Media signalling from the server not yet handed to the media connection, oldest first.
    /// A queue, not the latest only: an offer followed at once by a `Speakers` must not be
    /// lost. The meeting screen drains it on every change, so it holds at most what arrived
    /// in one turn of the browser's event loop.
    pub media: RwSignal<Vec<ServerSignal>>,
    /// Who removed us, by name, once removed.
    pub removed_by: RwSignal<Option<String>>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub fn new() -> Self {
        Store {
            phase: RwSignal::new(Phase::NotJoined),
            meeting: RwSignal::new(MeetingView::default()),
            me: RwSignal::new(None),
            error: RwSignal::new(None),
            broadcast: RwSignal::new(None),
            time_up: RwSignal::new(None),
            plan_conflicts: RwSignal::new(Vec::new()),
            media: RwSignal::new(Vec::new()),
            removed_by: RwSignal::new(None),
        }
    }

    /// Folds one server message into the store.
    pub fn receive(&self, msg: ServerMsg) {
        match msg {
            ServerMsg::Welcome { you, meeting, .. } => {
                self.me.set(Some(you));
                self.meeting.set(meeting);
                self.error.set(None);
                self.phase.set(Phase::InMeeting);
            }
            ServerMsg::Snapshot { meeting } => self.meeting.set(meeting),
            ServerMsg::Event { event } => {
                match &event {
                    Event::Broadcast { text, .. } => self.broadcast.set(Some(text.clone())),
                    Event::TimeUp { room } => self.time_up.set(Some(*room)),
                    Event::PlanConflict { key, participants } => self.plan_conflicts.update(|c| {
                        c.retain(|(k, _)| k != key);
                        c.push((key.clone(), participants.clone()));
                    }),
                    Event::RoomsReplaced { .. } => self.plan_conflicts.set(Vec::new()),
                    Event::Assigned {
                        participant,
                        room: Some(_),
                    } => self
                        .plan_conflicts
                        .update(|c| c.retain(|(_, people)| !people.contains(participant))),
                    // A new session starts with a clean slate of alerts.
                    Event::RoomsClosed => {
                        self.broadcast.set(None);
                        self.time_up.set(None);
                    }
                    Event::MeetingEnded { .. } => self.phase.set(Phase::Ended),
                    Event::ParticipantRemoved { participant, by }
                        if Some(*participant) == self.me.get_untracked() =>
                    {
                        let name = self
                            .meeting
                            .with_untracked(|m| m.participant(*by).map(|p| p.name.clone()));
                        self.removed_by.set(name);
                        self.phase.set(Phase::Removed);
                    }
                    _ => {}
                }
                self.meeting.update(|m| m.apply(&event));
            }
            // Signalling, for the media connection to act on.
            ServerMsg::Media { signal } => self.media.update(|q| q.push(signal)),
            ServerMsg::Error { error, .. } => {
                let phase = self.phase.get_untracked();
                let entering = matches!(phase, Phase::Joining | Phase::Lost);
                if entering
                    && error
                        == (ProtocolError::Rejected {
                            error: CommandError::MeetingEnded,
                        })
                {
                    self.phase.set(Phase::Ended);
                    return;
                }
                let resume_failed = phase == Phase::Lost && error == ProtocolError::UnknownSession;
                if phase == Phase::Joining || resume_failed {
                    self.phase.set(Phase::NotJoined);
                }
                // A reload whose session had ended just shows the join form, without alarm.
                if !(resume_failed && self.me.get_untracked().is_none()) {
                    self.error.set(Some(Problem::Server(error)));
                }
            }
        }
    }

    /// A join request is on its way.
    pub fn joining(&self) {
        self.error.set(None);
        self.phase.set(Phase::Joining);
    }

    /// A reload or a restored tab comes back with its session: the socket is resuming.
    pub fn resuming(&self) {
        self.error.set(None);
        self.phase.set(Phase::Lost);
    }

    /// The socket closed with `code`. Leaving on purpose, being removed and the end of the
    /// meeting are not a loss; a session taken over by another tab is not retried here.
    pub fn closed(&self, code: u16) {
        let next = match self.phase.get_untracked() {
            p @ (Phase::Left | Phase::Ended | Phase::Removed | Phase::TakenOver) => p,
            Phase::Joining | Phase::NotJoined => Phase::NotJoined,
            Phase::InMeeting | Phase::Lost if code == TAKEN_OVER => Phase::TakenOver,
            Phase::InMeeting | Phase::Lost => Phase::Lost,
        };
        self.phase.set(next);
    }

    /// This tab left the meeting.
    pub fn left(&self) {
        self.phase.set(Phase::Left);
    }

    /// A local problem (for instance the socket could not be opened), shown like a server error.
    pub fn local_error(&self, message: String) {
        self.error.set(Some(Problem::Local(message)));
        self.closed(1006);
    }

    /// Whether this tab runs the meeting (host or co-host), reactively.
    pub fn am_hosting(&self) -> bool {
        self.my_role().is_some_and(Role::is_hosting)
    }

    /// This tab's role, reactively.
    pub fn my_role(&self) -> Option<Role> {
        let me = self.me.get()?;
        self.meeting.with(|m| m.participant(me).map(|p| p.role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenary_shared::meeting::rooms::Place;
    use plenary_shared::meeting::view::ParticipantView;
    use plenary_shared::protocol::{PROTOCOL_VERSION, ProtocolError};

    fn person(id: u32, name: &str, role: Role) -> ParticipantView {
        ParticipantView {
            id: ParticipantId(id),
            name: name.into(),
            role,
            place: Place::Main,
            muted: false,
            assigned: None,
            suggested_co_host: false,
            hand: None,
        }
    }

    #[test]
    fn welcome_then_events_keep_the_view_current() {
        let store = Store::new();
        store.joining();
        store.receive(ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            you: ParticipantId(2),
            token: plenary_shared::ids::SessionToken("t".into()),
            meeting: MeetingView {
                participants: vec![
                    person(1, "H", Role::Host),
                    person(2, "P", Role::Participant),
                ],
                ..MeetingView::default()
            },
        });
        assert_eq!(store.phase.get_untracked(), Phase::InMeeting);
        store.receive(ServerMsg::Event {
            event: Event::ParticipantLeft {
                participant: ParticipantId(1),
            },
        });
        store.receive(ServerMsg::Event {
            event: Event::RoleChanged {
                participant: ParticipantId(2),
                role: Role::Host,
            },
        });
        let names: Vec<String> = store
            .meeting
            .with_untracked(|m| m.participants.iter().map(|p| p.name.clone()).collect());
        assert_eq!(names, vec!["P".to_string()]);
        assert_eq!(store.my_role(), Some(Role::Host));
    }

    #[test]
    fn broadcasts_become_the_current_alert() {
        let store = Store::new();
        store.receive(ServerMsg::Event {
            event: Event::Broadcast {
                from: ParticipantId(1),
                text: "Two minutes left".into(),
                room: None,
            },
        });
        assert_eq!(
            store.broadcast.get_untracked().as_deref(),
            Some("Two minutes left")
        );
    }

    #[test]
    fn plan_conflicts_stay_until_someone_is_placed() {
        let store = Store::new();
        let conflict = |key: &str| ServerMsg::Event {
            event: Event::PlanConflict {
                key: key.into(),
                participants: vec![ParticipantId(2), ParticipantId(3)],
            },
        };
        store.receive(conflict("åse"));
        store.receive(conflict("åse"));
        assert_eq!(
            store.plan_conflicts.get_untracked().len(),
            1,
            "one per entry"
        );
        store.receive(ServerMsg::Event {
            event: Event::Assigned {
                participant: ParticipantId(3),
                room: Some(RoomId(1)),
            },
        });
        assert!(store.plan_conflicts.get_untracked().is_empty());
        store.receive(conflict("per"));
        store.receive(ServerMsg::Event {
            event: Event::RoomsReplaced {
                rooms: vec![],
                assignments: vec![],
            },
        });
        assert!(store.plan_conflicts.get_untracked().is_empty());
    }

    #[test]
    fn a_refused_join_returns_to_the_form_with_the_reason() {
        let store = Store::new();
        store.joining();
        store.receive(ServerMsg::error(ProtocolError::UnknownMeeting));
        assert_eq!(store.phase.get_untracked(), Phase::NotJoined);
        assert!(store.error.get_untracked().is_some());
    }

    #[test]
    fn a_failed_resume_returns_to_the_join_form_and_a_good_one_to_the_meeting() {
        let store = Store::new();
        store.phase.set(Phase::InMeeting);
        store.closed(1000);
        assert_eq!(store.phase.get_untracked(), Phase::Lost);
        store.receive(ServerMsg::error(ProtocolError::RateLimited));
        assert_eq!(
            store.phase.get_untracked(),
            Phase::Lost,
            "other errors keep trying"
        );
        store.receive(ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            you: ParticipantId(1),
            token: plenary_shared::ids::SessionToken("t".into()),
            meeting: MeetingView::default(),
        });
        assert_eq!(store.phase.get_untracked(), Phase::InMeeting);
        store.closed(1000);
        store.receive(ServerMsg::error(ProtocolError::UnknownSession));
        assert_eq!(store.phase.get_untracked(), Phase::NotJoined);
    }

    #[test]
    fn ending_removal_and_a_taken_over_session_are_their_own_screens() {
        let store = Store::new();
        let welcome = || ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            you: ParticipantId(2),
            token: plenary_shared::ids::SessionToken("t".into()),
            meeting: MeetingView {
                participants: vec![
                    person(1, "Hanne", Role::Host),
                    person(2, "P", Role::Participant),
                ],
                ..MeetingView::default()
            },
        };
        store.receive(welcome());
        store.receive(ServerMsg::Event {
            event: Event::ParticipantRemoved {
                participant: ParticipantId(2),
                by: ParticipantId(1),
            },
        });
        assert_eq!(store.phase.get_untracked(), Phase::Removed);
        assert_eq!(store.removed_by.get_untracked().as_deref(), Some("Hanne"));
        store.closed(1000);
        assert_eq!(
            store.phase.get_untracked(),
            Phase::Removed,
            "no reconnecting"
        );
        let store = Store::new();
        store.receive(welcome());
        store.closed(TAKEN_OVER);
        assert_eq!(store.phase.get_untracked(), Phase::TakenOver);
        let store = Store::new();
        store.resuming();
        store.receive(ServerMsg::error(ProtocolError::Rejected {
            error: CommandError::MeetingEnded,
        }));
        assert_eq!(store.phase.get_untracked(), Phase::Ended);
    }

    #[test]
    fn closing_after_leaving_is_not_a_loss() {
        let store = Store::new();
        store.phase.set(Phase::InMeeting);
        store.closed(1000);
        assert_eq!(store.phase.get_untracked(), Phase::Lost);
        store.left();
        store.closed(1000);
        assert_eq!(store.phase.get_untracked(), Phase::Left);
    }
}
