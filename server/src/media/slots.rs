//! Keeping every receiver's slots in line with the meeting: after any change (the map, a new
//! track, a paused camera, someone gone) each receiver gets exactly the feeds `forward::wanted`
//! names — on slots it already has where it can (re-pointed at once, continuous, switching on a
//! keyframe), on new slots otherwise — then the routing table is rebuilt and whoever's slots
//! changed gets an offer. A new slot carries media only once the client has answered the offer
//! that declares it.

use super::MediaError;
use super::core::{Core, MeetingKey, Output, fits};
use super::demux::PeerId;
use super::forward::Feed;
use super::peer::{PendingOffer, audio_level_id, host_candidate, kind_of};
use super::select::{Selection, Stage, videos_for, voices_for};
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{IceConfig, PublishSlots, ReceivedTrack, ServerSignal};
use plenary_shared::media::{Source, Tile};
use plenary_shared::meeting::media::MediaMap;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use std::collections::BTreeSet;
use std::time::Instant;

impl Core {
    /// Brings one meeting's slots, routes and offers in line with its map and its speakers.
    pub(super) fn reconcile(&mut self, meeting: MeetingKey, now: Instant) {
        let selection = self.config.selection;
        let Some(media) = self.meetings.get(&meeting) else {
            return;
        };
        let members: Vec<(ParticipantId, PeerId)> =
            media.peers.iter().map(|(w, p)| (*w, *p)).collect();
        let mut published: BTreeSet<Feed> = BTreeSet::new();
        for (who, pid) in &members {
            if let Some(peer) = self.peers.get(pid) {
                published.extend(peer.sources().map(|s| (*who, s)));
            }
        }
        let wants: Vec<(PeerId, Vec<Feed>)> = members
            .iter()
            .map(|(who, pid)| {
                let stage = media.map.place_of(*who).and_then(|p| media.stages.get(&p));
                let view = self.peers.get(pid).and_then(|p| p.view.as_deref());
                (
                    *pid,
                    wanted(&media.map, *who, &published, stage, view, selection),
                )
            })
            .collect();
        let mut repointed = Vec::new();
        for (pid, want) in wants {
            match self.fit_slots(pid, &want) {
                Ok(feeds) => repointed.extend(feeds),
                Err(e) => tracing::warn!(error = %e, "could not re-point media"),
            }
        }
        self.rebuild_routes(meeting);
        // Re-pointed slots that are already negotiated show their new feed from its next
        // keyframe: ask for one now.
        for (who, source) in repointed {
            if let Some(publisher) = self.peer_of(meeting, who) {
                self.request_keyframe(publisher, source, now);
            }
        }
        for (_, pid) in &members {
            let (due, remap) = self.peers.get(pid).map_or((false, false), |p| {
                (p.dirty && p.pending.is_none(), p.remap)
            });
            if due && let Err(e) = self.offer(*pid, now) {
                self.offer_failed(*pid, e, now);
            } else if remap {
                self.touch(*pid); // the client is told what changed when the peer is flushed
            }
        }
    }

    fn offer_failed(&mut self, pid: PeerId, e: MediaError, now: Instant) {
        let Some((meeting, who)) = self.peers.get(&pid).map(|p| (p.meeting, p.who)) else {
            return;
        };
        tracing::warn!(participant = %who, error = %e, "media offer failed");
        self.drop_peer(pid, None, now);
        self.report(meeting, who, &e);
    }

    /// A new connection's fixed pools: a slot per voice it may hear and per video it may see,
    /// so that nobody joining or moving needs a new offer (unlimited pools grow instead).
    pub(super) fn fill_pools(&mut self, pid: PeerId) -> Result<(), MediaError> {
        let selection = self.config.selection;
        let Some(peer) = self.peers.get_mut(&pid) else {
            return Ok(());
        };
        for (kind, size) in [
            (RtpCodecKind::Audio, selection.loudest),
            (RtpCodecKind::Video, selection.last_n),
        ] {
            for _ in 0..size.unwrap_or(0) {
                peer.add_slot(kind, random_ssrc())?;
            }
        }
        Ok(())
    }

    /// Frees the slots `pid` should no longer fill and fills slots for `want`, adding slots only
    /// when none of the kind is free. Returns the feeds put on slots that were already
    /// negotiated (they can show at once, from a keyframe).
    fn fit_slots(&mut self, pid: PeerId, want: &[Feed]) -> Result<Vec<Feed>, MediaError> {
        let mut repointed = Vec::new();
        let Some(peer) = self.peers.get_mut(&pid) else {
            return Ok(repointed);
        };
        for slot in &mut peer.slots {
            if slot.carries.is_some_and(|c| !want.contains(&c)) {
                slot.carries = None;
                slot.shown = None;
                peer.remap = true;
            }
        }
        for &feed in want {
            if peer.slots.iter().any(|s| s.carries == Some(feed)) {
                continue;
            }
            let free = peer
                .slots
                .iter()
                .position(|s| fits(s.kind, feed.1) && s.carries.is_none());
            let index = match free {
                Some(i) => i,
                None => peer.add_slot(kind_of(feed.1), random_ssrc())?,
            };
            let slot = &mut peer.slots[index];
            slot.carries = Some(feed);
            slot.rewrite.repoint();
            slot.awaiting_keyframe = slot.kind == RtpCodecKind::Video;
            // A voice is heard at once; a picture shows from its keyframe.
            slot.shown = (!slot.awaiting_keyframe || !slot.negotiated).then_some(feed);
            peer.remap = true;
            if slot.negotiated {
                repointed.push(feed);
            }
        }
        Ok(repointed)
    }

    /// Rebuilds the routes of one meeting's feeds from its receivers' slots.
    fn rebuild_routes(&mut self, meeting: MeetingKey) {
        let Some(media) = self.meetings.get(&meeting) else {
            return;
        };
        let pids: Vec<PeerId> = media.peers.values().copied().collect();
        self.routes
            .retain(|(publisher, _), _| !pids.contains(publisher));
        for receiver in &pids {
            let Some(peer) = self.peers.get(receiver) else {
                continue;
            };
            for (index, slot) in peer.slots.iter().enumerate() {
                let Some((who, source)) = slot.carries else {
                    continue;
                };
                // The map decides again here, so a route can only exist where it allows.
                if !media.map.may_receive(peer.who, who, source) {
                    continue;
                }
                if let Some(publisher) = media.peers.get(&who) {
                    self.routes
                        .entry((*publisher, source))
                        .or_default()
                        .push((*receiver, index));
                }
            }
        }
    }

    /// Sends `pid` an offer for its connection as it stands.
    fn offer(&mut self, pid: PeerId, now: Instant) -> Result<(), MediaError> {
        let (candidate, tcp, udp) = (
            self.config.candidate,
            self.config.tcp_candidate,
            self.config.offer_udp,
        );
        let Some(peer) = self.peers.get_mut(&pid) else {
            return Ok(());
        };
        peer.dirty = false;
        let offer = peer.pc.create_offer(None)?;
        peer.pc.set_local_description(now, offer)?;
        if peer.offers == 0 {
            if udp {
                peer.pc
                    .add_local_candidate(host_candidate(candidate, false)?)?;
            }
            if let Some(tcp) = tcp {
                peer.pc.add_local_candidate(host_candidate(tcp, true)?)?;
            }
            peer.pc.add_local_candidate(Default::default())?;
        }
        let description = peer
            .pc
            .local_description()
            .ok_or_else(|| MediaError::Internal("no local description".into()))?;
        let mid = |peer: &mut super::peer::Peer, t| {
            peer.pc
                .rtp_transceiver(t)
                .and_then(|t| t.mid().clone())
                .unwrap_or_default()
        };
        let publish = peer.publish;
        let publish = PublishSlots {
            microphone: mid(peer, publish[0]),
            camera: mid(peer, publish[1]),
            screen: mid(peer, publish[2]),
        };
        peer.audio_level_id = audio_level_id(&description.sdp);
        let mut receive = Vec::new();
        for i in 0..peer.slots.len() {
            let transceiver = peer.slots[i].transceiver;
            let carries = peer.slots[i].carries;
            let slot_mid = mid(peer, transceiver);
            peer.slots[i].offered = true;
            peer.slots[i].shown = carries;
            if let Some((from, source)) = carries
                && !slot_mid.is_empty()
            {
                receive.push(ReceivedTrack {
                    mid: slot_mid,
                    from,
                    source,
                });
            }
        }
        peer.offers += 1;
        peer.remap = false;
        peer.announced = receive.clone();
        let signal = ServerSignal::Offer {
            version: peer.offers,
            // Filled in by the socket loop, which has the wall clock TURN credentials need.
            ice: IceConfig::default(),
            sdp: description.sdp,
            publish,
            receive,
        };
        peer.pending = Some(PendingOffer {
            signal: signal.clone(),
            sent_at: now,
            tries: 1,
        });
        let (meeting, who) = (peer.meeting, peer.who);
        self.touch(pid);
        self.outputs.push_back(Output::Signal {
            meeting,
            who,
            signal,
        });
        Ok(())
    }

    /// The client answered the offer in flight: its new slots may carry media now.
    pub(super) fn answer(
        &mut self,
        meeting: MeetingKey,
        who: ParticipantId,
        sdp: String,
        now: Instant,
    ) -> Result<(), MediaError> {
        let pid = self
            .peer_of(meeting, who)
            .ok_or(MediaError::NoOfferPending)?;
        let Some(peer) = self.peers.get_mut(&pid) else {
            return Err(MediaError::NoOfferPending);
        };
        if peer.pending.is_none() {
            return Err(MediaError::NoOfferPending);
        }
        let answer =
            RTCSessionDescription::answer(sdp).map_err(|e| MediaError::BadAnswer(e.to_string()))?;
        peer.pc
            .set_remote_description(now, answer)
            .map_err(|e| MediaError::BadAnswer(e.to_string()))?;
        peer.pending = None;
        let mut fresh = Vec::new();
        for slot in &mut peer.slots {
            if slot.offered {
                slot.offered = false;
                if !slot.negotiated {
                    slot.negotiated = true;
                    if let Some(feed) = slot.carries {
                        fresh.push(feed);
                    }
                }
            }
        }
        let up = peer.up;
        self.touch(pid);
        // Not up yet: the keyframes are asked for when it is (see `on_up`).
        if up {
            for (publisher, source) in fresh {
                if let Some(p) = self.peer_of(meeting, publisher) {
                    self.request_keyframe(p, source, now);
                }
            }
        }
        let again = self.peers.get(&pid).is_some_and(|p| p.dirty);
        if again {
            self.offer(pid, now)?;
        }
        Ok(())
    }
}

/// A slot's SSRC: random, never zero.
fn random_ssrc() -> u32 {
    // A failed draw still yields a usable (if predictable) SSRC; it is not a secret.
    let draw = crate::secrets::seed().unwrap_or(1);
    u32::try_from(draw & u64::from(u32::MAX))
        .unwrap_or(1)
        .max(1)
}

/// What `receiver` should be sent now, of the live feeds `published`: only what the map allows
/// (its place, nobody muted), and of that the voices and videos the selection chooses.
pub(super) fn wanted(
    map: &MediaMap,
    receiver: ParticipantId,
    published: &BTreeSet<Feed>,
    stage: Option<&Stage>,
    view: Option<&[Tile]>,
    selection: Selection,
) -> Vec<Feed> {
    let allowed = published
        .iter()
        .filter(|(publisher, source)| map.may_receive(receiver, *publisher, *source));
    let hearable: Vec<ParticipantId> = allowed
        .clone()
        .filter(|(_, s)| s.is_audio())
        .map(|(w, _)| *w)
        .collect();
    let visible: BTreeSet<Feed> = allowed.filter(|(_, s)| !s.is_audio()).copied().collect();
    let mut want: Vec<Feed> = voices_for(receiver, &hearable, stage, selection.loudest)
        .into_iter()
        .map(|w| (w, Source::Microphone))
        .collect();
    want.extend(videos_for(
        &visible,
        view,
        stage.and_then(Stage::active),
        selection.last_n,
    ));
    want
}
