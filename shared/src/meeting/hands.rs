//! Raised hands, as in every meeting app: anyone may raise theirs, and the order hands went up
//! in is kept (a counter), so hosts answer them in turn. A hand comes down when its owner lowers
//! it, when a host or co-host lowers it (having answered), and on its own when its owner moves
//! to another place: the question was for the room they left.

use super::command::{CommandError, Required};
use super::event::{Audience, Event};
use super::rooms::Place;
use super::{Meeting, Role};
use crate::ids::ParticipantId;

/// Whether someone of `role` may lower `participant`'s hand: their own, or anyone's for a host
/// or co-host. The engine and the page's `Lower hand` buttons both ask this.
pub fn may_lower_hand(actor: ParticipantId, role: Role, participant: ParticipantId) -> bool {
    participant == actor || role.is_hosting()
}

impl Meeting {
    /// Raises `who`'s hand (again raising a raised hand changes nothing, its turn included).
    pub(super) fn raise_hand(&mut self, who: ParticipantId) -> Result<(), CommandError> {
        let order = self.next_hand;
        let Some(p) = self.participants.get_mut(&who) else {
            return Err(CommandError::NotInMeeting);
        };
        if p.hand.is_some() {
            return Ok(());
        }
        p.hand = Some(order);
        self.next_hand += 1;
        self.emit(
            Audience::Everyone,
            Event::HandRaised {
                participant: who,
                order,
            },
        );
        Ok(())
    }

    /// Lowers `participant`'s hand: one's own, or anyone's for a host or co-host.
    pub(super) fn lower_hand(
        &mut self,
        actor: ParticipantId,
        role: Role,
        participant: ParticipantId,
    ) -> Result<(), CommandError> {
        if !may_lower_hand(actor, role, participant) {
            return Err(CommandError::NotAllowed {
                required: Required::HostOrCoHost,
            });
        }
        if !self.participants.contains_key(&participant) {
            return Err(CommandError::UnknownParticipant);
        }
        self.put_hand_down(participant);
        Ok(())
    }

    fn put_hand_down(&mut self, who: ParticipantId) {
        if let Some(p) = self.participants.get_mut(&who)
            && p.hand.take().is_some()
        {
            self.emit(Audience::Everyone, Event::HandLowered { participant: who });
        }
    }

    /// Where each raised hand's owner is now, to tell afterwards who moved.
    pub(super) fn raised_hands(&self) -> Vec<(ParticipantId, Place)> {
        self.participants
            .iter()
            .filter(|(_, p)| p.hand.is_some())
            .map(|(id, p)| (*id, p.place))
            .collect()
    }

    /// Lowers the hands of those in `before` who are now somewhere else (after their move's
    /// own event, so every client applies the two in that order).
    pub(super) fn lower_hands_of_movers(&mut self, before: Vec<(ParticipantId, Place)>) {
        for (who, was) in before {
            let moved = self.participants.get(&who).is_some_and(|p| p.place != was);
            if moved {
                self.put_hand_down(who);
            }
        }
    }
}
