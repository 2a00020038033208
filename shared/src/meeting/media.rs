//! Who may receive whose media. The people in one place (the main session or one room) exchange
//! audio and video; nobody receives media from a place they are not in; a muted participant's
//! audio is forwarded to nobody, whatever their own client does. The server's media layer
//! enforces exactly this map, recomputed whenever the meeting changes.

use super::Meeting;
use super::rooms::Place;
use crate::ids::ParticipantId;
use crate::media::Source;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The forwarding rules at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaMap {
    /// Each occupied place and who is in it, in id order.
    pub places: Vec<(Place, Vec<ParticipantId>)>,
    /// Whose audio must not be forwarded, in id order.
    pub muted: Vec<ParticipantId>,
}

impl MediaMap {
    /// Where `who` is, if in the meeting.
    pub fn place_of(&self, who: ParticipantId) -> Option<Place> {
        self.places
            .iter()
            .find(|(_, people)| people.binary_search(&who).is_ok())
            .map(|(place, _)| *place)
    }

    /// Whether `who` is in the meeting.
    pub fn includes(&self, who: ParticipantId) -> bool {
        self.place_of(who).is_some()
    }

    /// Whether `receiver` may get `sender`'s video (and screen share).
    pub fn may_see(&self, receiver: ParticipantId, sender: ParticipantId) -> bool {
        receiver != sender
            && self
                .place_of(sender)
                .is_some_and(|p| self.place_of(receiver) == Some(p))
    }

    /// Whether `receiver` may get `sender`'s audio.
    pub fn may_hear(&self, receiver: ParticipantId, sender: ParticipantId) -> bool {
        self.may_see(receiver, sender) && self.muted.binary_search(&sender).is_err()
    }

    /// Whether `receiver` may get `sender`'s `source`: audio is heard, video and screens seen.
    pub fn may_receive(
        &self,
        receiver: ParticipantId,
        sender: ParticipantId,
        source: Source,
    ) -> bool {
        if source.is_audio() {
            self.may_hear(receiver, sender)
        } else {
            self.may_see(receiver, sender)
        }
    }
}

impl Meeting {
    /// The forwarding rules as the meeting stands.
    pub fn media_map(&self) -> MediaMap {
        if self.ended {
            return MediaMap::default();
        }
        let mut places: BTreeMap<Place, Vec<ParticipantId>> = BTreeMap::new();
        let mut muted = Vec::new();
        for (id, p) in &self.participants {
            places.entry(p.place).or_default().push(*id);
            if p.muted {
                muted.push(*id);
            }
        }
        MediaMap {
            places: places.into_iter().collect(),
            muted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::command::Command;
    use super::super::rooms::BreakoutOptions;
    use super::super::tests::Harness;

    #[test]
    fn media_flows_only_within_a_place_and_never_from_the_muted() {
        let (mut h, host, p) = Harness::with_people(4);
        let map = h.m.media_map();
        assert!(map.may_hear(p[0], p[1]) && map.may_see(host, p[3]));
        assert!(!map.may_see(p[0], p[0]), "nobody receives themselves");
        let options = BreakoutOptions {
            move_automatically: true,
            ..BreakoutOptions::default()
        };
        h.open_rooms(host, 2, options);
        let map = h.m.media_map();
        for a in &p {
            for b in &p {
                let together = a != b && h.m.place_of(*a) == h.m.place_of(*b);
                assert_eq!(map.may_see(*a, *b), together, "{a} sees {b}");
            }
            assert!(
                !map.may_see(host, *a),
                "the host in the main session sees no room"
            );
        }
        // The host hops in: now sees that room only.
        let room =
            h.m.place_of(p[0])
                .and_then(|pl| pl.room())
                .expect("in a room");
        h.ok(host, Command::JoinRoom { room });
        let map = h.m.media_map();
        assert!(map.may_see(host, p[0]) && map.may_see(p[0], host));
        // Muted: seen, not heard.
        h.ok(host, Command::Mute { participant: p[0] });
        let map = h.m.media_map();
        assert!(map.may_see(host, p[0]) && !map.may_hear(host, p[0]));
        h.ok(host, Command::CloseRooms);
        h.advance_secs(60);
        let map = h.m.media_map();
        assert!(
            p.iter()
                .all(|a| p.iter().all(|b| a == b || map.may_see(*a, *b)))
        );
    }
}
