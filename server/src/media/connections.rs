//! A participant's media connection from start to end, apart from the forwarding in
//! `core.rs`: a fresh connection on `start` (replacing an earlier one, as after a reload), a
//! published track arriving, the connection coming up, a camera paused or resumed, an offer
//! unanswered (sent again, then given up), a failure reported to the participant, and the
//! teardown that frees everything the connection held.

use super::MediaError;
use super::core::OFFER_TIMEOUT;
use super::core::OFFER_TRIES;
use super::core::{Core, MeetingKey, Output};
use super::demux::PeerId;
use super::forward::Feed;
use super::peer::{self, Peer, Published, kind_of};
use crate::metrics::Metrics;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{MediaProblem, ServerSignal, Source};
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use rtc::sansio::Protocol;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

impl Core {
    pub(super) fn offer_timeout(&mut self, pid: PeerId, now: Instant) {
        let Some(peer) = self.peers.get_mut(&pid) else {
            return;
        };
        let Some(pending) = &mut peer.pending else {
            return;
        };
        if now < pending.sent_at + OFFER_TIMEOUT {
            return;
        }
        if pending.tries >= OFFER_TRIES {
            self.fail(pid, MediaError::NoAnswer, now);
            return;
        }
        pending.tries += 1;
        pending.sent_at = now;
        let (meeting, who, signal) = (peer.meeting, peer.who, pending.signal.clone());
        tracing::debug!(participant = %who, "offer unanswered; sending it again");
        self.outputs.push_back(Output::Signal {
            meeting,
            who,
            signal,
        });
    }

    pub(super) fn on_track(
        &mut self,
        pid: PeerId,
        track: String,
        receiver: rtc::rtp_transceiver::RTCRtpReceiverId,
        ssrc: u32,
        now: Instant,
    ) {
        let Some(peer) = self.peers.get_mut(&pid) else {
            return;
        };
        let Some(source) = peer.source_of_receiver(receiver) else {
            tracing::warn!(participant = %peer.who, "a track arrived on no publishing slot; ignored");
            return;
        };
        let _ = track;
        peer.sources_by_ssrc.retain(|_, s| *s != source);
        peer.sources_by_ssrc.insert(ssrc, source);
        let before = peer.sources().count();
        peer.published.insert(
            source,
            Published {
                ssrc,
                receiver,
                keyframes: Default::default(),
            },
        );
        let delta = peer.sources().count() as i64 - before as i64;
        Metrics::shift(&self.metrics.media_tracks, delta);
        let meeting = peer.meeting;
        tracing::debug!(participant = %peer.who, ?source, "publishing");
        self.reconcile(meeting, now);
    }

    /// The connection is up: every feed its slots carry shows from a fresh keyframe.
    pub(super) fn on_up(&mut self, pid: PeerId, now: Instant) {
        let Some(peer) = self.peers.get_mut(&pid) else {
            return;
        };
        peer.up = true;
        let meeting = peer.meeting;
        let carried: Vec<Feed> = peer.slots.iter().filter_map(|s| s.carries).collect();
        for (who, source) in carried {
            if let Some(publisher) = self.peer_of(meeting, who) {
                self.request_keyframe(publisher, source, now);
            }
        }
    }

    /// A connection broke: drop it and say why.
    pub(super) fn fail(&mut self, pid: PeerId, error: MediaError, now: Instant) {
        let Some((meeting, who)) = self.peers.get(&pid).map(|p| (p.meeting, p.who)) else {
            return;
        };
        self.drop_peer(pid, None, now);
        self.reconcile(meeting, now);
        self.report(meeting, who, &error);
    }

    /// Tells `who` their media failed, and why.
    pub(super) fn report(&mut self, meeting: MeetingKey, who: ParticipantId, error: &MediaError) {
        self.outputs.push_back(Output::Signal {
            meeting,
            who,
            signal: ServerSignal::Failed {
                problem: error.problem(),
                message: error.to_string(),
            },
        });
    }

    /// Closes a connection and forgets it (its slots elsewhere are freed by the next reconcile).
    pub(super) fn drop_peer(&mut self, pid: PeerId, _why: Option<MediaProblem>, _now: Instant) {
        let Some(mut peer) = self.peers.remove(&pid) else {
            return;
        };
        let _ = peer.pc.close();
        while let Some(msg) = peer.pc.poll_write() {
            self.outputs.push_back(Output::transmit(msg));
        }
        Metrics::shift(&self.metrics.media_tracks, -(peer.sources().count() as i64));
        Metrics::shift(&self.metrics.media_peers, -1);
        self.demux.forget(pid);
        self.routes.retain(|(publisher, _), _| *publisher != pid);
        for targets in self.routes.values_mut() {
            targets.retain(|(receiver, _)| *receiver != pid);
        }
        if let Some(media) = self.meetings.get_mut(&peer.meeting)
            && media.peers.get(&peer.who) == Some(&pid)
        {
            media.peers.remove(&peer.who);
        }
    }

    /// A fresh connection for `who` (replacing any earlier one, as after a page reload).
    pub(super) fn start(
        &mut self,
        meeting: MeetingKey,
        who: ParticipantId,
        now: Instant,
    ) -> Result<(), MediaError> {
        let included = self
            .meetings
            .get(&meeting)
            .is_some_and(|m| m.map.includes(who));
        if !included {
            return Ok(());
        }
        if let Some(old) = self.peer_of(meeting, who) {
            self.drop_peer(old, None, now);
        }
        let pid = PeerId(self.next_peer);
        self.next_peer = self.next_peer.wrapping_add(1).max(1);
        let ufrag = super::demux::local_ufrag(pid, &rtc::ice::rand::generate_ufrag());
        let pwd = rtc::ice::rand::generate_pwd();
        let mut pc = peer::build_pc(&self.config.certificate, ufrag.clone(), pwd, now)?;
        let mut publish = Vec::with_capacity(3);
        for source in Source::ALL {
            let init = RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Recvonly,
                streams: vec![],
                send_encodings: vec![],
            };
            publish.push(pc.add_transceiver_from_kind(kind_of(source), Some(init))?);
        }
        let publish = [publish[0], publish[1], publish[2]];
        Metrics::shift(&self.metrics.media_peers, 1);
        self.peers.insert(
            pid,
            Peer {
                meeting,
                who,
                ufrag,
                pc,
                publish,
                sources_by_ssrc: HashMap::new(),
                published: BTreeMap::new(),
                paused: Default::default(),
                slots: Vec::new(),
                slot_of_track: HashMap::new(),
                offers: 0,
                pending: None,
                dirty: true,
                remap: false,
                announced: Vec::new(),
                told_speakers: None,
                view: None,
                voice: Default::default(),
                audio_level_id: None,
                up: false,
                deadline: None,
                touched: false,
            },
        );
        if let Some(media) = self.meetings.get_mut(&meeting) {
            media.peers.insert(who, pid);
        }
        self.fill_pools(pid)?;
        self.reconcile(meeting, now);
        Ok(())
    }

    /// Pauses or resumes forwarding `who`'s `source`.
    pub(super) fn set_sending(
        &mut self,
        meeting: MeetingKey,
        who: ParticipantId,
        source: Source,
        on: bool,
        now: Instant,
    ) {
        let Some(pid) = self.peer_of(meeting, who) else {
            return;
        };
        let Some(peer) = self.peers.get_mut(&pid) else {
            return;
        };
        let before = peer.sources().count() as i64;
        if on {
            peer.paused.remove(&source);
        } else {
            peer.paused.insert(source);
        }
        Metrics::shift(
            &self.metrics.media_tracks,
            peer.sources().count() as i64 - before,
        );
        if source.is_audio() {
            self.restage(meeting, now);
        }
        self.reconcile(meeting, now);
    }
}

/// Sends a picture-loss indication for `source` to its publisher.
pub(super) fn send_pli(peer: &mut Peer, source: Source, now: Instant) {
    let Some(published) = peer.published.get(&source) else {
        return;
    };
    let (receiver, ssrc) = (published.receiver, published.ssrc);
    let pli = PictureLossIndication {
        sender_ssrc: 1,
        media_ssrc: ssrc,
    };
    if let Some(mut r) = peer.pc.rtp_receiver(receiver)
        && let Err(e) = r.write_rtcp(now, vec![Box::new(pli)])
    {
        tracing::debug!(error = %e, "keyframe request not sent");
    }
}
