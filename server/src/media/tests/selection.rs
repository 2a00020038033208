//! The selection in the core, with the pools of a big place: a newcomer is negotiated once
//! and nobody else gets an offer because they joined; each receiver hears at most the loudest
//! voices (the host's mute winning) and sees the tiles its page asks for plus the active
//! speaker; the active speaker is told to everyone and follows who starts speaking; the
//! client is told what its slots carry without an offer.

use super::super::select::Selection;
use super::world::{World, place, tag};
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ClientSignal, ServerSignal, Source, Tile, TileSize};
use std::collections::BTreeSet;

const SILENT: u8 = 127;
const LOUD: u8 = 20;
const MIC: u8 = 1;
const CAM: u8 = 2;

fn p(n: u32) -> ParticipantId {
    ParticipantId(n)
}

/// Everyone sends a packet on each source every 20 ms for `ms` (a keyframe every 200 ms).
fn talk(w: &mut World, people: &[u32], ms: u64) {
    for step in 0..ms / 20 {
        for n in people {
            w.send(*n, 1, step % 10 == 0);
        }
        w.advance(20);
    }
}

/// Who `n` got media from in the last stretch, by source.
fn from(w: &World, n: u32, source: u8) -> BTreeSet<u32> {
    w.sim(n)
        .got
        .iter()
        .filter(|g| g.source == source)
        .map(|g| g.from)
        .collect()
}

/// The active speaker `n` was told of last.
fn active_at(w: &World, n: u32) -> Option<ParticipantId> {
    w.sim(n).speakers.last().and_then(|s| s.0)
}

fn offers(w: &World, n: u32) -> usize {
    w.sim(n)
        .offers
        .iter()
        .filter(|o| matches!(o, ServerSignal::Offer { .. }))
        .count()
}

fn selecting(loudest: usize, last_n: usize) -> World {
    World::selecting(Selection {
        loudest: Some(loudest),
        last_n: Some(last_n),
    })
}

/// `people` silent participants in the main session, connected, with this selection.
fn silent_place(loudest: usize, last_n: usize, people: u32) -> (World, Vec<u32>) {
    let mut w = selecting(loudest, last_n);
    let all: Vec<u32> = (1..=people).collect();
    for n in &all {
        w.join(*n, place(0));
        w.sim_mut(*n).level = Some(SILENT);
    }
    w.settle();
    (w, all)
}

#[test]
fn a_newcomer_is_negotiated_once_and_nobody_else_renegotiates() {
    let mut w = selecting(3, 4);
    for n in 1..=3 {
        w.join(n, place(0));
        w.sim_mut(n).level = Some(SILENT);
    }
    w.settle();
    talk(&mut w, &[1, 2, 3], 400);
    let before: Vec<usize> = (1..=3).map(|n| offers(&w, n)).collect();
    let receiving_before = w.sim(1).receiving.len();
    w.join(4, place(0));
    w.sim_mut(4).level = Some(SILENT);
    talk(&mut w, &[1, 2, 3, 4], 400);
    let after: Vec<usize> = (1..=3).map(|n| offers(&w, n)).collect();
    assert_eq!(before, after, "nobody got an offer because 4 joined");
    assert_eq!(offers(&w, 4), 1, "the newcomer: one offer, its pools in it");
    assert_eq!(
        w.core.peers.values().map(|p| p.slots.len()).max(),
        Some(3 + 4)
    );
    w.clear();
    talk(&mut w, &[1, 2, 3, 4], 200);
    assert_eq!(from(&w, 1, CAM), BTreeSet::from([2, 3, 4]));
    assert_eq!(
        from(&w, 1, MIC),
        BTreeSet::from([2, 3, 4]),
        "three others: all heard"
    );
    // The others were told, without an offer, that a slot now carries 4.
    assert!(w.sim(1).receiving.len() > receiving_before);
    let told = w.sim(1).receiving.last().cloned().unwrap_or_default();
    assert!(
        told.iter()
            .any(|t| t.from == p(4) && t.source == Source::Camera)
    );
    assert!(
        told.iter()
            .any(|t| t.from == p(4) && t.source == Source::Microphone)
    );
}

#[test]
fn a_big_place_hears_its_loudest_voices_and_follows_the_active_speaker() {
    let (mut w, all) = silent_place(3, 25, 8);
    w.sim_mut(1).level = Some(LOUD);
    talk(&mut w, &all, 1_000);
    w.clear();
    talk(&mut w, &all, 400);
    for n in 2..=8 {
        assert_eq!(
            from(&w, n, MIC),
            BTreeSet::from([1]),
            "{n} hears the one speaker only"
        );
        assert_eq!(active_at(&w, n), Some(p(1)), "{n} was told who speaks");
        assert_eq!(from(&w, n, CAM).len(), 7, "{n} sees everyone (25 slots)");
    }
    assert!(from(&w, 1, MIC).is_empty(), "nobody hears themselves");
    // Four more start speaking: every receiver hears at most three.
    for n in 2..=5 {
        w.sim_mut(n).level = Some(LOUD + 5);
    }
    talk(&mut w, &all, 1_000);
    w.clear();
    talk(&mut w, &all, 400);
    for n in &all {
        let heard = from(&w, *n, MIC);
        assert!(heard.len() <= 3 && !heard.is_empty(), "{n} hears {heard:?}");
        assert!(!heard.contains(n));
    }
    // 6 starts speaking: within two seconds, everyone is told 6 is the active speaker.
    for n in 2..=5 {
        w.sim_mut(n).level = Some(SILENT);
    }
    talk(&mut w, &all, 2_000);
    w.sim_mut(6).level = Some(LOUD);
    talk(&mut w, &all, 2_000);
    for n in &all {
        assert_eq!(active_at(&w, *n), Some(p(6)), "{n}'s active speaker");
    }
    // Someone joining now is told at once who speaks, without waiting for a change.
    w.join(9, place(0));
    w.sim_mut(9).level = Some(SILENT);
    talk(&mut w, &[1, 2, 3, 4, 5, 6, 7, 8, 9], 300);
    assert_eq!(
        active_at(&w, 9),
        Some(p(6)),
        "the newcomer's active speaker"
    );
    // The host mutes 6: nobody hears them, however loud.
    w.muted = vec![p(6)];
    w.apply_map();
    talk(&mut w, &all, 300);
    w.clear();
    talk(&mut w, &all, 400);
    for n in &all {
        assert!(!from(&w, *n, MIC).contains(&6), "{n} heard the muted 6");
    }
}

#[test]
fn a_page_gets_the_videos_of_its_tiles_and_the_active_speaker_within_its_slots() {
    let (mut w, all) = silent_place(3, 3, 6);
    w.sim_mut(6).level = Some(LOUD);
    talk(&mut w, &all, 1_000);
    let tiles = [2, 3, 4, 5]
        .map(|n| Tile {
            who: p(n),
            size: TileSize::Thumbnail,
        })
        .to_vec();
    let offers_before = offers(&w, 1);
    w.core.handle_signal(
        super::world::MEETING,
        p(1),
        ClientSignal::View { tiles },
        w.now,
    );
    talk(&mut w, &all, 300);
    w.clear();
    talk(&mut w, &all, 400);
    assert_eq!(
        from(&w, 1, CAM),
        BTreeSet::from([6, 2, 3]),
        "the active speaker, then the page's first two (three slots)"
    );
    assert_eq!(offers(&w, 1), offers_before, "re-pointed without an offer");
    let told: BTreeSet<u32> = w
        .sim(1)
        .receiving
        .last()
        .into_iter()
        .flatten()
        .filter(|t| t.source == Source::Camera)
        .map(|t| t.from.0)
        .collect();
    assert_eq!(told, BTreeSet::from([6, 2, 3]), "and told so");
    let _ = tag(Source::Camera);
}

#[test]
fn someone_unmuted_speaks_afresh_and_takes_the_stage_from_a_steady_speaker() {
    let (mut w, all) = silent_place(3, 25, 6);
    // 6 speaks first, then 1 as well: 1, the newer voice, takes the stage.
    w.sim_mut(6).level = Some(LOUD);
    talk(&mut w, &all, 1_000);
    w.sim_mut(1).level = Some(LOUD);
    talk(&mut w, &all, 2_000);
    assert_eq!(active_at(&w, 2), Some(p(1)));
    // 6 mutes (their browser stops sending) for a while, then unmutes and goes on speaking:
    // they started speaking anew, after 1, so they take the stage.
    w.muted = vec![p(6)];
    w.apply_map();
    talk(&mut w, &[1, 2, 3, 4, 5], 1_000);
    w.muted.clear();
    w.apply_map();
    talk(&mut w, &all, 2_000);
    assert_eq!(
        active_at(&w, 2),
        Some(p(6)),
        "the unmuted speaker is on the stage"
    );
}
