//! The selection rules, driven by simulated levels on a simulated clock.

use super::*;
use plenary_shared::media::TileSize;
use proptest::prelude::*;

fn p(n: u32) -> ParticipantId {
    ParticipantId(n)
}

/// A place of voices on a clock: each 20 ms every voice sends one packet at its level, and
/// the stage decides every `RESTAGE_EVERY`.
struct Place {
    t0: Instant,
    now: Instant,
    voices: Vec<(ParticipantId, Voice, u8)>,
    stage: Stage,
    capacity: usize,
    /// Every change of the active speaker: when, and to whom.
    changes: Vec<(Duration, Option<ParticipantId>)>,
}

const SILENT: u8 = 127;
const LOUD: u8 = 20;

impl Place {
    fn new(n: u32, capacity: usize) -> Place {
        let t0 = Instant::now();
        Place {
            t0,
            now: t0,
            voices: (1..=n).map(|i| (p(i), Voice::default(), SILENT)).collect(),
            stage: Stage::default(),
            capacity,
            changes: Vec::new(),
        }
    }

    fn set(&mut self, who: u32, level: u8) {
        if let Some(v) = self.voices.iter_mut().find(|v| v.0 == p(who)) {
            v.2 = level;
        }
    }

    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        let mut next_stage = self.now;
        while self.now < end {
            for (_, voice, level) in &mut self.voices {
                voice.hear(*level, self.now);
            }
            if self.now >= next_stage {
                self.restage();
                next_stage = self.now + RESTAGE_EVERY;
            }
            self.now += Duration::from_millis(20);
        }
    }

    fn restage(&mut self) {
        let heard: Vec<Heard> = self
            .voices
            .iter_mut()
            .map(|(who, v, _)| {
                v.settle(self.now);
                v.heard(*who)
            })
            .collect();
        let before = self.stage.active();
        self.stage.update(&heard, self.capacity, self.now);
        if self.stage.active() != before {
            self.changes.push((self.now - self.t0, self.stage.active()));
        }
    }

    fn audible(&self) -> Vec<ParticipantId> {
        let mut a: Vec<_> = self.stage.audible().collect();
        a.sort();
        a
    }
}

#[test]
fn a_voice_speaks_from_loud_levels_and_falls_quiet_without_packets() {
    let t0 = Instant::now();
    let mut v = Voice::default();
    v.hear(SILENT, t0);
    assert!(!v.heard(p(1)).speaking());
    for i in 0..10 {
        v.hear(LOUD, t0 + Duration::from_millis(20 * i));
    }
    assert!(v.heard(p(1)).speaking(), "loud packets: speaking");
    // Packets stop (the microphone was turned off): silent once they are stale.
    v.settle(t0 + Duration::from_millis(400));
    assert!(v.heard(p(1)).speaking(), "not stale yet");
    v.settle(t0 + Duration::from_millis(600));
    let h = v.heard(p(1));
    assert!(!h.speaking());
    assert!(h.quiet_since.is_some());
}

#[test]
fn a_speaker_stays_speaking_between_words_and_stops_after_a_real_pause() {
    let t0 = Instant::now();
    let mut v = Voice::default();
    let mut t = t0;
    let packet = |v: &mut Voice, level: u8, t: &mut Instant| {
        v.hear(level, *t);
        *t += Duration::from_millis(20);
    };
    // Speech: 240 ms words, 160 ms gaps of silence between them, for two seconds.
    for _ in 0..5 {
        for _ in 0..12 {
            packet(&mut v, LOUD, &mut t);
        }
        assert!(v.heard(p(1)).speaking());
        for _ in 0..8 {
            packet(&mut v, SILENT, &mut t);
            assert!(
                v.heard(p(1)).speaking(),
                "a gap between words is not the end"
            );
        }
    }
    let since = v.heard(p(1)).speaking_since;
    assert!(since.is_some_and(|s| s.duration_since(t0) < Duration::from_millis(100)));
    // A pause of more than the hangover ends it.
    for _ in 0..30 {
        packet(&mut v, SILENT, &mut t);
    }
    assert!(!v.heard(p(1)).speaking(), "600 ms of silence ends speaking");
}

#[test]
fn the_loudest_speakers_are_audible_and_a_pause_keeps_their_place() {
    let mut place = Place::new(8, 4);
    place.run(Duration::from_secs(1));
    assert!(
        place.audible().is_empty(),
        "nobody speaks: nobody forwarded"
    );
    for (who, level) in [(1, 30), (2, 35), (3, 40), (4, 45), (5, 50)] {
        place.set(who, level);
    }
    place.run(Duration::from_millis(600));
    assert_eq!(
        place.audible(),
        vec![p(1), p(2), p(3), p(4)],
        "the four loudest"
    );
    // 5 stops; speaker 2 pauses between sentences: nobody waits, so 2 keeps the place for
    // the hold...
    place.set(5, SILENT);
    place.set(2, SILENT);
    place.run(Duration::from_millis(700));
    assert!(
        place.audible().contains(&p(2)),
        "a short pause keeps the place"
    );
    // ...but someone else speaking takes the quiet place.
    place.set(6, 30);
    place.run(Duration::from_millis(300));
    assert_eq!(place.audible(), vec![p(1), p(3), p(4), p(6)]);
}

#[test]
fn a_much_louder_newcomer_takes_the_softest_place_and_a_slightly_louder_one_does_not() {
    let mut place = Place::new(6, 2);
    place.set(1, 30);
    place.set(2, 50);
    place.run(Duration::from_secs(1));
    assert_eq!(place.audible(), vec![p(1), p(2)]);
    place.set(3, 48); // only 2 dB louder than 2: no switch
    place.run(Duration::from_secs(1));
    assert_eq!(place.audible(), vec![p(1), p(2)]);
    place.set(4, 25); // 25 dB louder than 2: takes its place
    place.run(Duration::from_millis(300));
    assert_eq!(place.audible(), vec![p(1), p(4)]);
}

#[test]
fn the_active_speaker_follows_who_starts_speaking_and_keeps_through_silence() {
    let mut place = Place::new(6, 4);
    place.set(1, LOUD);
    place.run(Duration::from_secs(2));
    assert_eq!(place.stage.active(), Some(p(1)));
    // Someone else starts while 1 goes on: they take over within a second.
    place.set(2, 40);
    place.run(Duration::from_secs(1));
    assert_eq!(place.stage.active(), Some(p(2)), "the newest voice");
    // 1 keeps talking but started earlier: 2 stays.
    place.run(Duration::from_secs(3));
    assert_eq!(place.stage.active(), Some(p(2)));
    // Everyone stops: 2 stays active (the last speaker stays on the stage).
    place.set(1, SILENT);
    place.set(2, SILENT);
    place.run(Duration::from_secs(3));
    assert_eq!(place.stage.active(), Some(p(2)));
    // 2 is quiet and 3 speaks: 3.
    place.set(3, 45);
    place.run(Duration::from_secs(1));
    assert_eq!(place.stage.active(), Some(p(3)));
}

#[test]
fn a_muted_or_departed_active_speaker_leaves_the_stage() {
    let mut place = Place::new(3, 4);
    place.set(1, LOUD);
    place.run(Duration::from_secs(2));
    assert_eq!(place.stage.active(), Some(p(1)));
    // The host mutes 1: their voice is no longer one of the place's.
    place.voices.retain(|v| v.0 != p(1));
    place.run(Duration::from_millis(200));
    assert_eq!(place.stage.active(), None);
    assert!(!place.stage.audible().any(|w| w == p(1)));
    assert!(!place.stage.speaking().contains(&p(1)));
}

proptest! {
    /// However people talk over each other, the active speaker never changes twice within
    /// `ACTIVE_HOLD`, and the audible set never exceeds its capacity.
    #[test]
    fn the_active_speaker_never_flaps(
        script in proptest::collection::vec((1u32..=6, prop_oneof![Just(SILENT), 15u8..60]), 1..40),
        capacity in 1usize..5,
    ) {
        let mut place = Place::new(6, capacity);
        for (who, level) in script {
            place.set(who, level);
            place.run(Duration::from_millis(250));
            prop_assert!(place.stage.audible().count() <= capacity);
        }
        for pair in place.changes.windows(2) {
            prop_assert!(pair[1].0 - pair[0].0 >= ACTIVE_HOLD, "changes {:?}", place.changes);
        }
    }
}

#[test]
fn each_receiver_hears_every_voice_of_a_small_place_and_the_loudest_of_a_big_one() {
    let hearable = [p(1), p(2), p(3), p(4)];
    // Three others and three voices allowed: everyone, stage or not.
    assert_eq!(
        voices_for(p(4), &hearable, None, Some(3)),
        vec![p(1), p(2), p(3)]
    );
    assert_eq!(
        voices_for(p(4), &hearable, None, None),
        vec![p(1), p(2), p(3)]
    );
    // A big place: the audible ones, never oneself, at most three.
    let mut place = Place::new(10, 4);
    for (who, level) in [(1, 30), (2, 32), (3, 34), (4, 36)] {
        place.set(who, level);
    }
    place.run(Duration::from_secs(1));
    let all: Vec<ParticipantId> = (1..=10).map(p).collect();
    let to_1 = voices_for(p(1), &all, Some(&place.stage), Some(3));
    assert_eq!(to_1.len(), 3);
    assert!(!to_1.contains(&p(1)));
    let to_9 = voices_for(p(9), &all, Some(&place.stage), Some(3));
    assert_eq!(to_9.len(), 3);
    assert!(to_9.iter().all(|w| [p(1), p(2), p(3), p(4)].contains(w)));
    // The host mutes 2: not hearable, so never sent, loud or not.
    let unmuted: Vec<ParticipantId> = all.iter().copied().filter(|w| *w != p(2)).collect();
    assert!(!voices_for(p(9), &unmuted, Some(&place.stage), Some(3)).contains(&p(2)));
}

#[test]
fn videos_are_screens_then_the_active_speaker_then_the_page_in_order() {
    let cam = |n| (p(n), Source::Camera);
    let visible: BTreeSet<Feed> = [
        cam(1),
        cam(2),
        cam(3),
        cam(4),
        cam(5),
        (p(6), Source::Screen),
    ]
    .into();
    let tile = |n| Tile {
        who: p(n),
        size: TileSize::Thumbnail,
    };
    // Nothing said yet: every camera, screens first.
    assert_eq!(
        videos_for(&visible, None, None, None),
        vec![
            (p(6), Source::Screen),
            cam(1),
            cam(2),
            cam(3),
            cam(4),
            cam(5)
        ]
    );
    // A page of three, the active speaker (5) not on it, three slots: the screen and the
    // speaker always, then the page's first.
    let page = [tile(3), tile(1), tile(2), tile(7)];
    assert_eq!(
        videos_for(&visible, Some(&page), Some(p(5)), Some(3)),
        vec![(p(6), Source::Screen), cam(5), cam(3)]
    );
    // Plenty of slots: the page in its order; a tile for someone without a camera (7) adds
    // nothing, and nobody is sent twice.
    assert_eq!(
        videos_for(&visible, Some(&page), Some(p(3)), Some(25)),
        vec![(p(6), Source::Screen), cam(3), cam(1), cam(2)]
    );
    // Someone the map does not allow (not in `visible`) is never sent, even when asked for.
    let few: BTreeSet<Feed> = [cam(1), cam(2)].into();
    assert!(!videos_for(&few, Some(&page), Some(p(5)), None).contains(&cam(5)));
}
