//! Roles and audio policy: appointing co-hosts, handing the host role on, and muting.
//!
//! Host authority follows the host secret, never the order people came in: whoever joins with
//! the secret is host (the one they replace becomes a co-host). When the host leaves, the powers
//! pass only to someone who could have them anyway: another holder of the secret (the
//! longest-present), else the longest-serving co-host, who stands in until a holder comes back.
//! A participant who came by the participant link becomes host or co-host only when a host
//! appoints them. With nobody of either kind present the meeting runs on without a host.

use super::command::{CommandError, Required};
use super::event::{Audience, Event};
use super::{Meeting, Role};
use crate::ids::ParticipantId;

impl Meeting {
    pub(super) fn set_role(&mut self, who: ParticipantId, role: Role) -> Result<(), CommandError> {
        let p = self
            .participants
            .get_mut(&who)
            .ok_or(CommandError::UnknownParticipant)?;
        if p.role == role {
            return Err(CommandError::AlreadyInRole);
        }
        if p.role == Role::Host {
            return Err(CommandError::NotAllowed {
                required: Required::Host,
            });
        }
        self.change_role(who, role);
        Ok(())
    }

    pub(super) fn remove_co_host(&mut self, who: ParticipantId) -> Result<(), CommandError> {
        match self.role_of(who) {
            None => Err(CommandError::UnknownParticipant),
            Some(Role::CoHost) => {
                self.change_role(who, Role::Participant);
                Ok(())
            }
            Some(_) => Err(CommandError::AlreadyInRole),
        }
    }

    /// The host hands over: the new host takes the role, the old one becomes a co-host.
    pub(super) fn transfer_host(
        &mut self,
        from: ParticipantId,
        to: ParticipantId,
    ) -> Result<(), CommandError> {
        match self.role_of(to) {
            None => Err(CommandError::UnknownParticipant),
            Some(Role::Host) => Err(CommandError::AlreadyInRole),
            Some(_) => {
                self.change_role(from, Role::CoHost);
                self.change_role(to, Role::Host);
                Ok(())
            }
        }
    }

    /// The host left: another holder of the secret (longest present), else the longest-serving
    /// co-host, stands in. Plain participants never inherit host powers.
    pub(super) fn hand_over_host(&mut self) {
        let next = self
            .participants
            .iter()
            .filter(|(_, p)| p.holds_secret || p.role == Role::CoHost)
            .min_by_key(|(_, p)| {
                let since = if p.holds_secret {
                    p.joined_seq
                } else {
                    p.role_since
                };
                (!p.holds_secret, since)
            })
            .map(|(id, _)| *id);
        if let Some(next) = next {
            self.change_role(next, Role::Host);
        }
    }

    /// Sets a role and tells everyone; someone gaining or losing host rights also gets the help
    /// queue as they may now see it.
    pub(super) fn change_role(&mut self, who: ParticipantId, role: Role) {
        let Some(p) = self.participants.get_mut(&who) else {
            return;
        };
        let was_hosting = p.role >= Role::CoHost;
        p.role = role;
        self.next_seq += 1;
        p.role_since = self.next_seq;
        self.emit(
            Audience::Everyone,
            Event::RoleChanged {
                participant: who,
                role,
            },
        );
        if role >= Role::CoHost {
            // Hosts are never muted by policy.
            self.set_muted(who, false);
        }
        if was_hosting != (role >= Role::CoHost) {
            let requests = self.help_visible_to(who);
            self.emit(
                Audience::Participant { participant: who },
                Event::HelpQueue { requests },
            );
            let sets = self.group_sets_visible_to(who);
            self.emit(
                Audience::Participant { participant: who },
                Event::GroupSetsChanged { sets },
            );
        }
    }

    pub(super) fn mute(&mut self, who: ParticipantId) -> Result<(), CommandError> {
        match self.role_of(who) {
            None => Err(CommandError::UnknownParticipant),
            Some(Role::Host) => Err(CommandError::CannotMuteHost),
            Some(_) => {
                self.set_muted(who, true);
                Ok(())
            }
        }
    }

    /// Mutes every participant (not the host or co-hosts).
    pub(super) fn mute_all(&mut self) {
        let targets: Vec<ParticipantId> = self
            .participants
            .iter()
            .filter(|(_, p)| p.role == Role::Participant && !p.muted)
            .map(|(id, _)| *id)
            .collect();
        for id in targets {
            self.set_muted(id, true);
        }
    }

    pub(super) fn set_self_unmute(&mut self, allowed: bool) {
        if self.self_unmute_allowed != allowed {
            self.self_unmute_allowed = allowed;
            self.emit(Audience::Everyone, Event::SelfUnmuteChanged { allowed });
        }
    }

    /// Anyone may mute themselves; participants may unmute only while the host allows it.
    pub(super) fn set_my_microphone(
        &mut self,
        who: ParticipantId,
        role: Role,
        muted: bool,
    ) -> Result<(), CommandError> {
        if !muted && !role.may_unmute_self(self.self_unmute_allowed) {
            return Err(CommandError::SelfUnmuteForbidden);
        }
        self.set_muted(who, muted);
        Ok(())
    }

    fn set_muted(&mut self, who: ParticipantId, muted: bool) {
        if let Some(p) = self.participants.get_mut(&who)
            && p.muted != muted
        {
            p.muted = muted;
            self.emit(
                Audience::Everyone,
                Event::MuteChanged {
                    participant: who,
                    muted,
                },
            );
        }
    }
}
