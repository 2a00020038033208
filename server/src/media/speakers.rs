//! The core's side of the selection in `select.rs`: each place's speakers decided again every
//! `RESTAGE_EVERY` from the voices heard (driven by the audio packets themselves, and at once
//! when the map or a microphone changes), the place's clients told who speaks, slots re-pointed
//! when the audible voices or the active speaker change, and each receiver's page (its `View`)
//! kept for the videos it is sent.

use super::core::{Core, MeetingKey, Output};
use super::select::{Heard, MAX_SPEAKING, RESTAGE_EVERY};
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ServerSignal, Source, Tile};
use std::time::Instant;

impl Core {
    /// The tiles `who`'s page shows changed.
    pub(super) fn set_view(
        &mut self,
        meeting: MeetingKey,
        who: ParticipantId,
        tiles: Vec<Tile>,
        now: Instant,
    ) {
        let Some(pid) = self.peer_of(meeting, who) else {
            return;
        };
        let Some(peer) = self.peers.get_mut(&pid) else {
            return;
        };
        if peer.view.as_ref() == Some(&tiles) {
            return;
        }
        peer.view = Some(tiles);
        self.reconcile(meeting, now);
    }

    /// Decides the meeting's speakers again if it is time.
    pub(super) fn restage_if_due(&mut self, meeting: MeetingKey, now: Instant) {
        let due = self
            .meetings
            .get(&meeting)
            .is_some_and(|m| m.next_restage.is_none_or(|at| at <= now));
        if due {
            self.restage(meeting, now);
        }
    }

    /// Decides every place's speakers from its unmuted voices: tells the place's people if who
    /// speaks changed, re-points slots if who is heard (or on the stage) did.
    pub(super) fn restage(&mut self, meeting: MeetingKey, now: Instant) {
        let capacity = self
            .config
            .selection
            .loudest
            .map_or(MAX_SPEAKING, |n| n + 1);
        let Core {
            meetings,
            peers,
            outputs,
            ..
        } = self;
        let Some(media) = meetings.get_mut(&meeting) else {
            return;
        };
        media.next_restage = Some(now + RESTAGE_EVERY);
        let mut reroute = false;
        let nobody = (None, Vec::new());
        for (place, people) in &media.map.places {
            // Every voice is brought up to now, a muted one too: it falls silent while its
            // packets stop, so unmuting starts it afresh rather than "speaking since" before.
            let voices: Vec<Heard> = people
                .iter()
                .filter_map(|w| {
                    let peer = peers.get_mut(media.peers.get(w)?)?;
                    peer.voice.settle(now);
                    let muted = media.map.muted.binary_search(w).is_ok();
                    let publishing = peer.sources().any(|s| s == Source::Microphone);
                    (publishing && !muted).then(|| peer.voice.heard(*w))
                })
                .collect();
            if !voices.is_empty() || media.stages.contains_key(place) {
                let stage = media.stages.entry(*place).or_default();
                reroute |= stage.update(&voices, capacity, now);
            }
            // Everyone connected in the place learns who speaks when that changes, and a
            // newcomer (or someone who just moved here) learns it at once.
            let now_speaking = media
                .stages
                .get(place)
                .map(|s| (s.active(), s.speaking().to_vec()))
                .unwrap_or_default();
            for who in people {
                let Some(peer) = media.peers.get(who).and_then(|pid| peers.get_mut(pid)) else {
                    continue;
                };
                let told = peer.told_speakers.as_ref();
                if told.unwrap_or(&nobody) == &now_speaking {
                    continue;
                }
                peer.told_speakers = Some(now_speaking.clone());
                outputs.push_back(Output::Signal {
                    meeting,
                    who: *who,
                    signal: ServerSignal::Speakers {
                        active: now_speaking.0,
                        speaking: now_speaking.1.clone(),
                    },
                });
            }
        }
        let places = &media.map.places;
        media
            .stages
            .retain(|place, _| places.iter().any(|(p, _)| p == place));
        if reroute {
            self.reconcile(meeting, now);
        }
    }
}
