//! Coming and going: admitting people (the passcode and its throttle, names, the host secret),
//! people leaving or dropping for good, the host removing someone, and the host ending the
//! meeting for everyone. Who holds host powers afterwards is `roles.rs`'s rule.

use super::command::{CommandError, Required};
use super::event::{Audience, Event};
use super::rooms::Place;
use super::{Credential, MAX_PARTICIPANTS, Meeting, Participant, Role, plan};
use crate::ids::ParticipantId;
use crate::lms::Launched;
use crate::names::clean_name;
use crate::time::Timestamp;

/// Everything a join request carries.
#[derive(Debug, Clone, Copy)]
pub struct Admission<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub credential: &'a Credential,
    pub passcode: Option<&'a str>,
    /// Where the request comes from (the client's address or network), for the passcode
    /// throttle; `None` counts as one shared unknown place.
    pub from: Option<&'a str>,
    /// Who a `Credential::Launch` turned out to be, once the server checked its ticket.
    pub launched: Option<&'a Launched>,
}

/// The passcode throttle of one meeting (see `throttle.rs`), shown in debug output only by size.
#[derive(Clone, Default)]
pub(super) struct Guard(crate::throttle::PasscodeGuard<String>);

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Guard({} addresses)", self.0.tracked())
    }
}

impl Meeting {
    /// Admits a new participant. A valid host secret always makes them host (whoever was host
    /// becomes a co-host); anything else makes them a participant. A wrong secret is refused
    /// rather than silently downgraded, so a mistyped host link is noticed. Late joiners are
    /// placed by the breakout rules (`breakout::place_newcomer`).
    pub fn join(
        &mut self,
        name: &str,
        credential: &Credential,
        now: Timestamp,
    ) -> Result<ParticipantId, CommandError> {
        self.join_with_email(name, None, credential, now)
    }

    /// Like `join`, with an email address (from an LMS launch, say) that plans can match too.
    pub fn join_with_email(
        &mut self,
        name: &str,
        email: Option<&str>,
        credential: &Credential,
        now: Timestamp,
    ) -> Result<ParticipantId, CommandError> {
        self.admit(
            Admission {
                name,
                email,
                credential,
                passcode: None,
                from: None,
                launched: None,
            },
            now,
        )
    }

    /// Admits someone who asked to join: checks the passcode (unless they hold the host
    /// capability; wrong tries are throttled by where they come from), their name and email, and
    /// places them. On error the meeting is unchanged, except that a wrong passcode is counted.
    pub fn admit(
        &mut self,
        request: Admission<'_>,
        now: Timestamp,
    ) -> Result<ParticipantId, CommandError> {
        if self.ended {
            return Err(CommandError::MeetingEnded);
        }
        let Admission {
            name,
            email,
            credential,
            passcode,
            from,
            launched,
        } = request;
        let name = clean_name(name).map_err(|problem| CommandError::InvalidName { problem })?;
        let email = email
            .map(|e| plan::clean_email(e).ok_or(CommandError::InvalidEmail))
            .transpose()?;
        if self.participants.len() >= MAX_PARTICIPANTS {
            return Err(CommandError::MeetingFull {
                max: MAX_PARTICIPANTS,
            });
        }
        let role = match credential {
            Credential::Participant => {
                self.check_passcode_throttled(passcode, from.unwrap_or(""), now)?;
                Role::Participant
            }
            Credential::Host { secret } if secret.matches(&self.host_secret) => Role::Host,
            Credential::Host { .. } => {
                return Err(CommandError::NotAllowed {
                    required: Required::Host,
                });
            }
            // The platform vouched for them: no passcode; their course gives the role.
            Credential::Launch { .. } => match launched {
                Some(person) => person.role,
                None => return Err(CommandError::LaunchNotChecked),
            },
        };
        let id = ParticipantId(self.next_participant);
        self.next_participant += 1;
        self.next_seq += 1;
        // A launched person is planned by their platform identity first, exactly.
        let keys: Vec<String> = launched
            .filter(|_| matches!(credential, Credential::Launch { .. }))
            .map(|person| plan::subject_key(&person.subject))
            .into_iter()
            .chain(email.iter().map(|e| plan::identity_key(e)))
            .chain(std::iter::once(plan::identity_key(&name)))
            .collect();
        let participant = Participant {
            suggested_co_host: self.suggests(&keys),
            keys,
            name,
            role,
            joined_seq: self.next_seq,
            place: Place::Main,
            muted: role == Role::Participant && !self.self_unmute_allowed,
            holds_secret: role == Role::Host,
            role_since: self.next_seq,
            hand: None,
        };
        let stand_in = if role == Role::Host {
            self.host()
        } else {
            None
        };
        self.participants.insert(id, participant);
        let view = self.participant_view(id);
        if let Some(view) = view {
            self.emit(
                Audience::Everyone,
                Event::ParticipantJoined { participant: view },
            );
        }
        // The holder of the secret is back: whoever stood in (or held it before) is a co-host.
        if let Some(previous) = stand_in {
            self.change_role(previous, Role::CoHost);
        }
        if role < Role::CoHost {
            self.place_newcomer(id);
        }
        Ok(id)
    }

    /// The connection of `who` is gone for good: same as them leaving. Unknown ids are ignored,
    /// since a participant who sent `Leave` also disconnects.
    pub fn disconnect(&mut self, who: ParticipantId) {
        self.remove(who);
    }

    pub(super) fn remove(&mut self, who: ParticipantId) {
        self.depart(who, Event::ParticipantLeft { participant: who });
    }

    /// Takes `who` out and tells everyone with `event`; an absent host's powers pass on.
    pub(super) fn depart(&mut self, who: ParticipantId, event: Event) {
        let Some(gone) = self.participants.remove(&who) else {
            return;
        };
        if let Some(room) = self.assignments.remove(&who) {
            self.remember(&gone.keys, room);
        }
        self.emit(Audience::Everyone, event);
        if gone.role == Role::Host {
            self.hand_over_host();
        }
    }

    /// `actor` (of `role`) removes `who`, who must be of a lower role.
    pub(super) fn remove_by(
        &mut self,
        actor: ParticipantId,
        role: Role,
        who: ParticipantId,
    ) -> Result<(), CommandError> {
        let target = self.role_of(who).ok_or(CommandError::UnknownParticipant)?;
        if target >= role {
            return Err(CommandError::NotAllowed {
                required: Required::Host,
            });
        }
        let event = Event::ParticipantRemoved {
            participant: who,
            by: actor,
        };
        self.emit(Audience::Participant { participant: who }, event.clone());
        self.depart(who, event);
        Ok(())
    }

    /// The host ends the meeting for all: everyone is told; from now on nothing is accepted
    /// and no timer runs. Who was there, the rooms and the chat stay, for the record.
    pub(super) fn end(&mut self, by: ParticipantId) {
        self.emit(Audience::Everyone, Event::MeetingEnded { by });
        self.ended = true;
        self.rotation = None;
    }

    /// The passcode check with the throttle around it: a try that must still wait is refused
    /// unread, and a wrong one is counted against where it came from.
    pub(super) fn check_passcode_throttled(
        &mut self,
        given: Option<&str>,
        from: &str,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let tried = given.is_some_and(|g| !g.trim().is_empty());
        if self.info.passcode.is_some() && tried {
            let wait = self.guard.0.wait_ms(&from.to_owned(), now);
            if wait > 0 {
                return Err(CommandError::TooManyPasscodeTries {
                    retry_after_secs: u32::try_from(wait.div_ceil(1000)).unwrap_or(u32::MAX),
                });
            }
        }
        let checked = self.check_passcode(&Credential::Participant, given);
        if checked == Err(CommandError::WrongPasscode) {
            self.guard.0.failed(&from.to_owned(), now);
        }
        checked
    }

    /// Whether the host ended the meeting.
    pub fn is_ended(&self) -> bool {
        self.ended
    }
}
