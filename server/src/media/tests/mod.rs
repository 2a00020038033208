//! The media core tested without a network (`world.rs`): one port for everyone, isolation
//! between places, host mute, slots that switch on a keyframe with continuous numbering (also
//! when a publisher comes back to a slot), no media into a slot before its answer, offers sent
//! again after a reconnect and a timeout, what the offers declare, and nothing left behind.

mod selection;
mod world;

use super::forward::Feed;
use super::select::Selection;
use super::slots::wanted;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{MediaProblem, ServerSignal, Source};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering::Relaxed;
use world::{World, place, tag};

const MIC: u8 = 1;
const CAM: u8 = 2;

/// Everyone in `ns` receives (audio and video) from every other one of `ns`, and from nobody
/// outside it.
fn receives_exactly(w: &World, n: u32, from: &[u32]) {
    let expected: BTreeSet<(u32, u8)> = from
        .iter()
        .filter(|f| **f != n)
        .flat_map(|f| [(*f, MIC), (*f, CAM)])
        .collect();
    assert_eq!(w.sim(n).feeds(), expected, "what {n} received");
}

#[test]
fn twenty_participants_share_one_port_and_all_receive_all() {
    let mut w = World::new();
    for n in 1..=20 {
        w.join(n, place(0));
    }
    w.settle();
    w.clear();
    for n in 1..=20 {
        w.send(n, 3, true);
    }
    for n in 1..=20 {
        receives_exactly(&w, n, &(1..=20).collect::<Vec<_>>());
    }
    // Every offer names the same one candidate: the shared port.
    let mut ports = BTreeSet::new();
    for n in 1..=20 {
        for offer in &w.sim(n).offers {
            if let ServerSignal::Offer { sdp, .. } = offer {
                for line in sdp.lines().filter(|l| l.starts_with("a=candidate:")) {
                    let port = line
                        .split_whitespace()
                        .nth(5)
                        .unwrap_or_default()
                        .to_owned();
                    ports.insert(port);
                }
            }
        }
    }
    assert_eq!(ports, BTreeSet::from(["10000".to_owned()]));
    assert_eq!(w.core.peer_count(), 20);
    assert_eq!(w.metrics.media_peers.load(Relaxed), 20);
    assert_eq!(w.metrics.media_tracks.load(Relaxed), 40);
    assert!(w.metrics.media_packets_forwarded.load(Relaxed) >= 20 * 19 * 2 * 3);
}

#[test]
fn no_packet_from_a_place_reaches_anyone_outside_it_and_the_muted_are_not_heard() {
    let mut w = World::new();
    for (n, room) in [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (6, 2)] {
        w.join(n, place(room));
    }
    w.muted = vec![ParticipantId(4)];
    w.apply_map();
    w.settle();
    w.clear();
    for n in 1..=6 {
        w.send(n, 3, true);
    }
    receives_exactly(&w, 1, &[2]);
    receives_exactly(&w, 2, &[1]);
    assert_eq!(w.sim(3).feeds(), BTreeSet::from([(4, CAM)]), "4 is muted");
    receives_exactly(&w, 4, &[3]);
    receives_exactly(&w, 5, &[6]);
    // Moving 1 into room 2: from the map on, nothing of the main session reaches 1.
    w.move_to(1, place(2));
    w.clear();
    for n in 1..=6 {
        w.send(n, 3, true);
    }
    receives_exactly(&w, 1, &[5, 6]);
    assert!(w.sim(2).feeds().is_empty(), "2 is alone now");
    receives_exactly(&w, 5, &[1, 6]);
}

/// The packets `n` got from `from`'s camera, in order.
fn camera_from(w: &World, n: u32, from: u32) -> Vec<world::Got> {
    w.sim(n)
        .got
        .iter()
        .filter(|g| g.from == from && g.source == CAM)
        .cloned()
        .collect()
}

#[test]
fn a_slot_waiting_for_a_keyframe_asks_again_until_it_comes() {
    let mut w = World::new();
    w.join(1, place(0));
    w.join(2, place(0));
    w.join(3, place(1));
    w.settle();
    w.send(2, 3, true);
    // 3 comes to the main session and 2 leaves: 1's slot waits for a keyframe from 3.
    w.move_to(2, place(1));
    w.move_to(3, place(0));
    w.clear();
    let before = w.metrics.media_keyframe_requests_sent.load(Relaxed);
    // 3 keeps sending inter frames (its keyframe, or the first request, was lost): the core
    // asks again, at most once per 300 ms.
    for _ in 0..5 {
        w.send(3, 1, false);
        w.advance(400);
    }
    let again = w.metrics.media_keyframe_requests_sent.load(Relaxed) - before;
    assert!(again >= 4, "asked again {again} times");
    assert!(again <= 7, "at most once per 300 ms: {again}");
    assert!(
        camera_from(&w, 1, 3).is_empty(),
        "nothing before the keyframe"
    );
    w.send(3, 2, true);
    assert_eq!(camera_from(&w, 1, 3).len(), 2, "from the keyframe on");
    // Once it came, inter frames flow and nobody asks again.
    let settled = w.metrics.media_keyframe_requests_sent.load(Relaxed);
    w.advance(400);
    w.send(3, 3, false);
    w.advance(400);
    w.send(3, 3, false);
    assert_eq!(camera_from(&w, 1, 3).len(), 8);
    assert_eq!(
        w.metrics.media_keyframe_requests_sent.load(Relaxed),
        settled,
        "no requests once the slot carries video"
    );
}

#[test]
fn a_reused_slot_switches_on_a_keyframe_with_continuous_numbers() {
    let mut w = World::new();
    w.join(1, place(0));
    w.join(2, place(0));
    w.join(3, place(1));
    w.settle();
    w.clear();
    w.send(2, 5, true);
    let before = camera_from(&w, 1, 2);
    assert_eq!(before.len(), 5);
    let last = before.last().cloned().expect("packets");
    // 2 leaves for room 1, 3 comes to the main session: 1's video slot is re-pointed to 3.
    w.move_to(2, place(1));
    w.move_to(3, place(0));
    w.clear();
    // Inter frames from 3 are held back until its keyframe.
    w.send(3, 4, false);
    assert!(
        camera_from(&w, 1, 3).is_empty(),
        "no switch before a keyframe"
    );
    w.send(3, 3, true);
    let after = camera_from(&w, 1, 3);
    assert_eq!(after.len(), 3);
    assert_eq!(after[0].track, last.track, "the same slot");
    assert_eq!(after[0].ssrc, last.ssrc, "the slot keeps its SSRC");
    assert_eq!(after[0].seq, last.seq.wrapping_add(1), "numbering goes on");
    assert_eq!(after[2].seq, last.seq.wrapping_add(3));
}

#[test]
fn a_slot_given_back_to_the_same_publisher_does_not_jump() {
    let mut w = World::new();
    w.join(1, place(0));
    w.join(2, place(0));
    w.settle();
    w.clear();
    w.send(2, 5, true);
    let last = camera_from(&w, 1, 2).last().cloned().expect("packets");
    // 2 goes to a room and sends there for a while (187 packets, as seen in the field) …
    w.move_to(2, place(1));
    w.send(2, 187, true);
    // … and comes back: the slot carries 2 again, from a keyframe, one number on.
    w.move_to(2, place(0));
    w.clear();
    w.send(2, 2, true);
    let back = camera_from(&w, 1, 2);
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].ssrc, last.ssrc);
    assert_eq!(
        back[0].seq,
        last.seq.wrapping_add(1),
        "no jump of the parked packets"
    );
}

#[test]
fn a_new_slot_carries_nothing_until_its_offer_is_answered() {
    let mut w = World::new();
    w.join(1, place(0));
    w.join(2, place(0));
    w.settle();
    // 1 holds back its answers; 3 arrives, so 1 gets an offer with a new slot.
    w.sim_mut(1).answering = false;
    let offers = w.sim(1).offers.len();
    w.join(3, place(0));
    w.settle();
    assert!(w.sim(1).offers.len() > offers, "a new offer for 3's feeds");
    w.clear();
    w.send(3, 3, true);
    assert!(
        camera_from(&w, 1, 3).is_empty(),
        "nothing before the answer"
    );
    assert!(w.sim(1).feeds().iter().all(|(f, _)| *f != 3));
    w.answer_now(1);
    w.clear();
    w.send(3, 3, true);
    assert_eq!(camera_from(&w, 1, 3).len(), 3, "the answer opens the slot");
}

#[test]
fn offers_go_again_after_a_reconnect_and_a_timeout_then_fail() {
    let mut w = World::new();
    w.join(1, place(0));
    w.join(2, place(0));
    w.settle();
    w.sim_mut(1).answering = false;
    w.join(3, place(0));
    w.settle();
    let sent = w.sim(1).offers.len();
    // The socket dropped and came back: the offer in flight goes again.
    w.core.handle_reconnected(world::MEETING, ParticipantId(1));
    w.pump();
    assert_eq!(w.sim(1).offers.len(), sent + 1);
    assert_eq!(
        w.sim(1).offers[sent],
        w.sim(1).offers[sent - 1],
        "the same offer"
    );
    // Unanswered for 10 s: sent again, twice more, then the connection gives up.
    w.advance(10_500);
    assert_eq!(w.sim(1).offers.len(), sent + 2);
    w.advance(21_000);
    assert!(w.sim(1).failures.iter().any(|f| matches!(
        f,
        ServerSignal::Failed {
            problem: MediaProblem::NoAnswer,
            ..
        }
    )));
}

#[test]
fn offers_declare_the_codecs_and_feedback_they_mean() {
    let mut w = World::new();
    w.join(1, place(0));
    w.join(2, place(0));
    w.settle();
    let Some(ServerSignal::Offer { sdp, .. }) = w.sim(1).offers.last() else {
        panic!("no offer");
    };
    assert!(sdp.contains("a=ice-lite"), "{sdp}");
    assert!(
        sdp.contains("a=fmtp:111 minptime=10;useinbandfec=1"),
        "{sdp}"
    );
    assert!(sdp.contains("a=rtcp-fb:96 ccm fir"), "{sdp}");
    assert!(sdp.contains("a=rtcp-fb:96 nack pli"), "{sdp}");
    assert!(!sdp.contains("a=rtpmap:97"), "only Opus and VP8: {sdp}");
}

#[test]
fn a_hundred_joins_and_leaves_leave_nothing_behind() {
    let mut w = World::new();
    w.join(1, place(0));
    w.settle();
    for n in 2..102 {
        w.join(n, place(0));
        w.advance(500);
        w.send(n, 1, true);
        w.advance(500);
        w.sim_mut(1).got.clear();
        w.send(n, 2, true);
        assert_eq!(camera_from(&w, 1, n).len(), 2, "1 sees {n}");
        w.leave(n);
    }
    assert_eq!(w.core.peer_count(), 1);
    assert_eq!(w.metrics.media_peers.load(Relaxed), 1);
    assert_eq!(w.metrics.media_tracks.load(Relaxed), 2);
    assert_eq!(w.core.routes.values().map(Vec::len).sum::<usize>(), 0);
    assert_eq!(
        w.core.peers.values().map(|p| p.slots.len()).sum::<usize>(),
        2,
        "1 kept one audio and one video slot to reuse"
    );
    assert!(w.dropped_signals.len() < 300);
}

#[test]
fn wanted_matches_the_map_for_every_pair() {
    // The one rule routes are built from, checked directly (the property test is in forward).
    let mut w = World::new();
    w.places.insert(ParticipantId(1), place(0));
    w.places.insert(ParticipantId(2), place(0));
    w.places.insert(ParticipantId(3), place(1));
    let map = w.map();
    let published: BTreeSet<Feed> = [1, 2, 3]
        .iter()
        .flat_map(|n| {
            [
                (ParticipantId(*n), Source::Microphone),
                (ParticipantId(*n), Source::Camera),
            ]
        })
        .collect();
    let got = wanted(
        &map,
        ParticipantId(1),
        &published,
        None,
        None,
        Selection::ALL,
    );
    assert_eq!(
        got,
        vec![
            (ParticipantId(2), Source::Microphone),
            (ParticipantId(2), Source::Camera)
        ]
    );
    let _ = tag(Source::Screen);
}
