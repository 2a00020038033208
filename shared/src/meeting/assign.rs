//! Assignment algorithms: the even split and speed-networking rotations. Deterministic for a given
//! seed (a small SplitMix64 generator lives here, so the crate needs no `rand` and no clock).

use std::collections::BTreeMap;

/// SplitMix64: tiny, fast, and good enough for shuffling people into rooms.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), without modulo bias worth mentioning for n ≤ 2^32.
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as usize
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// How many rooms groups of `size` need for `people` people (at least one).
pub fn rooms_for_groups(people: usize, size: usize) -> usize {
    people.div_ceil(size.max(1)).max(1)
}

/// The sizes of `rooms` groups sharing `people` evenly: they differ by at most one.
pub fn even_sizes(people: usize, rooms: usize) -> Vec<usize> {
    let rooms = rooms.max(1);
    (0..rooms)
        .map(|i| people / rooms + usize::from(i < people % rooms))
        .collect()
}

/// Shuffles `people` and deals them into `rooms` groups whose sizes differ by at most one.
pub fn even_split<T: Clone>(people: &[T], rooms: usize, rng: &mut Rng) -> Vec<Vec<T>> {
    let mut order = people.to_vec();
    rng.shuffle(&mut order);
    let rooms = rooms.max(1);
    let mut groups = vec![Vec::new(); rooms];
    for (i, p) in order.into_iter().enumerate() {
        groups[i % rooms].push(p);
    }
    groups
}

/// How many times each pair has shared a group so far.
#[derive(Debug, Clone)]
pub struct PairCounts<T: Ord + Clone>(BTreeMap<(T, T), u32>);

impl<T: Ord + Clone> Default for PairCounts<T> {
    fn default() -> Self {
        PairCounts(BTreeMap::new())
    }
}

impl<T: Ord + Clone> PairCounts<T> {
    fn key(a: &T, b: &T) -> (T, T) {
        if a <= b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        }
    }

    pub fn get(&self, a: &T, b: &T) -> u32 {
        self.0.get(&Self::key(a, b)).copied().unwrap_or(0)
    }

    /// Records that every pair within each group met.
    pub fn record(&mut self, groups: &[Vec<T>]) {
        for g in groups {
            for (i, a) in g.iter().enumerate() {
                for b in &g[i + 1..] {
                    *self.0.entry(Self::key(a, b)).or_insert(0) += 1;
                }
            }
        }
    }

    /// Pairs that met more than once, counted once per extra meeting.
    pub fn repeats(&self) -> u32 {
        self.0.values().map(|c| c.saturating_sub(1)).sum()
    }
}

/// Tries per round; the best (fewest repeated pairs) wins.
const ATTEMPTS_PER_ROUND: usize = 24;

/// `rounds` rounds of groups of about `size` (sizes differ by at most one), each round placing
/// people greedily where they have met the fewest so far, best of several shuffled attempts.
pub fn rotation<T: Ord + Clone>(
    people: &[T],
    size: usize,
    rounds: usize,
    rng: &mut Rng,
) -> Vec<Vec<Vec<T>>> {
    let rooms = rooms_for_groups(people.len(), size);
    let sizes = even_sizes(people.len(), rooms);
    let mut met = PairCounts::default();
    let mut schedule = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut best: Option<(u32, Vec<Vec<T>>)> = None;
        for _ in 0..ATTEMPTS_PER_ROUND {
            let groups = greedy_round(people, &sizes, &met, rng);
            let cost: u32 = groups
                .iter()
                .map(|g| {
                    g.iter()
                        .enumerate()
                        .flat_map(|(i, a)| g[i + 1..].iter().map(move |b| (a, b)))
                        .map(|(a, b)| met.get(a, b))
                        .sum::<u32>()
                })
                .sum();
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, groups));
            }
            if cost == 0 {
                break;
            }
        }
        let mut groups = best.map(|(_, g)| g).unwrap_or_default();
        improve_by_swaps(&mut groups, &met);
        met.record(&groups);
        schedule.push(groups);
    }
    schedule
}

/// Sum of earlier meetings between `person` and the others in `group` (skipping `except`).
fn cost_in<T: Ord + Clone>(person: &T, group: &[T], except: &T, met: &PairCounts<T>) -> u32 {
    group
        .iter()
        .filter(|o| *o != except && *o != person)
        .map(|o| met.get(person, o))
        .sum()
}

/// Hill-climbs by swapping two people between groups while that lowers repeated pairings.
fn improve_by_swaps<T: Ord + Clone>(groups: &mut [Vec<T>], met: &PairCounts<T>) {
    for _ in 0..20 {
        let mut improved = false;
        for gi in 0..groups.len() {
            for gj in gi + 1..groups.len() {
                for a in 0..groups[gi].len() {
                    for b in 0..groups[gj].len() {
                        let (x, y) = (groups[gi][a].clone(), groups[gj][b].clone());
                        let before =
                            cost_in(&x, &groups[gi], &x, met) + cost_in(&y, &groups[gj], &y, met);
                        let after =
                            cost_in(&x, &groups[gj], &y, met) + cost_in(&y, &groups[gi], &x, met);
                        if after < before {
                            groups[gi][a] = y;
                            groups[gj][b] = x;
                            improved = true;
                        }
                    }
                }
            }
        }
        if !improved {
            return;
        }
    }
}

fn greedy_round<T: Ord + Clone>(
    people: &[T],
    sizes: &[usize],
    met: &PairCounts<T>,
    rng: &mut Rng,
) -> Vec<Vec<T>> {
    let mut order = people.to_vec();
    rng.shuffle(&mut order);
    let mut groups: Vec<Vec<T>> = sizes.iter().map(|s| Vec::with_capacity(*s)).collect();
    for person in order {
        let choice = groups
            .iter()
            .enumerate()
            .filter(|(i, g)| g.len() < sizes[*i])
            .map(|(i, g)| {
                let cost: u32 = g.iter().map(|o| met.get(&person, o)).sum();
                (cost, g.len(), i)
            })
            .min();
        if let Some((_, _, i)) = choice {
            groups[i].push(person);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{prop_assert, prop_assert_eq, proptest};

    #[test]
    fn the_same_seed_gives_the_same_split() {
        let people: Vec<u32> = (0..37).collect();
        let a = even_split(&people, 5, &mut Rng::new(42));
        let b = even_split(&people, 5, &mut Rng::new(42));
        let c = even_split(&people, 5, &mut Rng::new(43));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn groups_of_k_round_up() {
        assert_eq!(rooms_for_groups(10, 3), 4);
        assert_eq!(rooms_for_groups(9, 3), 3);
        assert_eq!(rooms_for_groups(0, 3), 1);
        // The sizes the host's preview shows are the sizes the split makes.
        assert_eq!(even_sizes(8, 3), vec![3, 3, 2]);
        assert_eq!(even_sizes(2, 4), vec![1, 1, 0, 0]);
        for people in 0..40 {
            for rooms in 1..12 {
                let sizes = even_sizes(people, rooms);
                assert_eq!(sizes.iter().sum::<usize>(), people);
                let (max, min) = (sizes.iter().max(), sizes.iter().min());
                assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1));
                let ids: Vec<usize> = (0..people).collect();
                let split: Vec<usize> = even_split(&ids, rooms, &mut Rng::new(7))
                    .iter()
                    .map(Vec::len)
                    .collect();
                assert_eq!(split, sizes);
            }
        }
    }

    #[test]
    fn two_rounds_of_nine_in_threes_never_repeat_a_pair() {
        let people: Vec<u32> = (0..9).collect();
        let schedule = rotation(&people, 3, 2, &mut Rng::new(7));
        let mut met = PairCounts::default();
        for round in &schedule {
            met.record(round);
        }
        assert_eq!(met.repeats(), 0);
    }

    #[test]
    fn rotation_beats_random_rounds() {
        let people: Vec<u32> = (0..24).collect();
        let rounds = 5;
        let smart = rotation(&people, 4, rounds, &mut Rng::new(1));
        let mut smart_met = PairCounts::default();
        smart.iter().for_each(|r| smart_met.record(r));
        let mut rng = Rng::new(1);
        let mut random_met = PairCounts::default();
        for _ in 0..rounds {
            random_met.record(&even_split(&people, 6, &mut rng));
        }
        assert!(
            smart_met.repeats() < random_met.repeats() || smart_met.repeats() == 0,
            "rotation {} vs random {}",
            smart_met.repeats(),
            random_met.repeats()
        );
        // Four rounds of 24 people in fours: no pair meets twice.
        let mut met = PairCounts::default();
        rotation(&people, 4, 4, &mut Rng::new(1))
            .iter()
            .for_each(|r| met.record(r));
        assert_eq!(met.repeats(), 0);
    }

    proptest! {
        #[test]
        fn even_split_keeps_everyone_once_and_sizes_within_one(n in 0usize..300, rooms in 1usize..40, seed: u64) {
            let people: Vec<usize> = (0..n).collect();
            let groups = even_split(&people, rooms, &mut Rng::new(seed));
            prop_assert_eq!(groups.len(), rooms);
            let mut all: Vec<usize> = groups.iter().flatten().copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, people);
            let max = groups.iter().map(Vec::len).max().unwrap_or(0);
            let min = groups.iter().map(Vec::len).min().unwrap_or(0);
            prop_assert!(max - min <= 1);
        }

        #[test]
        fn every_rotation_round_is_a_partition(n in 1usize..40, size in 2usize..6, rounds in 1usize..5, seed: u64) {
            let people: Vec<usize> = (0..n).collect();
            for round in rotation(&people, size, rounds, &mut Rng::new(seed)) {
                let mut all: Vec<usize> = round.iter().flatten().copied().collect();
                all.sort_unstable();
                prop_assert_eq!(&all, &people);
                let max = round.iter().map(Vec::len).max().unwrap_or(0);
                let min = round.iter().map(Vec::len).min().unwrap_or(0);
                prop_assert!(max - min <= 1);
            }
        }

        #[test]
        fn below_stays_in_range(seed: u64, n in 1usize..1000) {
            let mut rng = Rng::new(seed);
            for _ in 0..20 {
                prop_assert!(rng.below(n) < n);
            }
        }
    }
}
