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

/// Tries per round at most; the best (fewest repeated pairs) wins.
const ATTEMPTS_PER_ROUND: usize = 24;

/// The work a whole rotation may take, in pair look-ups (each a read of a small array): about
/// 20 ms on one core of the test machine, whatever the number of people. Small rotations never
/// reach it; large ones make fewer attempts and fewer improving swaps, so a thousand-person
/// rotation cannot stall the meeting's actor.
pub const ROTATION_BUDGET: u64 = 40_000_000;

/// Counts the work done against `ROTATION_BUDGET`.
#[derive(Debug)]
struct Budget {
    left: u64,
}

impl Budget {
    /// Whether `cost` more look-ups fit; if so they are spent.
    fn spend(&mut self, cost: u64) -> bool {
        if cost <= self.left {
            self.left -= cost;
            true
        } else {
            false
        }
    }
}

/// How often each pair of people (by index) has met: a dense triangle-free square, since a
/// rotation holds at most a meeting's thousand people (2 MB of counters).
struct Met {
    n: usize,
    counts: Vec<u16>,
}

impl Met {
    fn new(n: usize) -> Met {
        Met {
            n,
            counts: vec![0; n * n],
        }
    }

    fn get(&self, a: usize, b: usize) -> u32 {
        u32::from(self.counts[a * self.n + b])
    }

    fn record(&mut self, groups: &[Vec<usize>]) {
        for g in groups {
            for (i, &a) in g.iter().enumerate() {
                for &b in &g[i + 1..] {
                    let (ab, ba) = (a * self.n + b, b * self.n + a);
                    self.counts[ab] = self.counts[ab].saturating_add(1);
                    self.counts[ba] = self.counts[ba].saturating_add(1);
                }
            }
        }
    }

    /// Earlier meetings between `person` and the others in `group` (skipping `except`).
    fn cost_in(&self, person: usize, group: &[usize], except: usize) -> u32 {
        group
            .iter()
            .filter(|&&o| o != except && o != person)
            .map(|&o| self.get(person, o))
            .sum()
    }

    fn round_cost(&self, groups: &[Vec<usize>]) -> u32 {
        groups
            .iter()
            .map(|g| {
                g.iter()
                    .enumerate()
                    .flat_map(|(i, &a)| g[i + 1..].iter().map(move |&b| (a, b)))
                    .map(|(a, b)| self.get(a, b))
                    .sum::<u32>()
            })
            .sum()
    }
}

/// `rounds` rounds of groups of about `size` (sizes differ by at most one), each round placing
/// people greedily where they have met the fewest so far, best of several shuffled attempts,
/// then improved by swaps, all within `ROTATION_BUDGET`.
pub fn rotation<T: Clone>(
    people: &[T],
    size: usize,
    rounds: usize,
    rng: &mut Rng,
) -> Vec<Vec<Vec<T>>> {
    let n = people.len();
    let rooms = rooms_for_groups(n, size);
    let sizes = even_sizes(n, rooms);
    let mut met = Met::new(n);
    let mut budget = Budget {
        left: ROTATION_BUDGET,
    };
    // One greedy round costs about n²/2 look-ups; every round gets at least one.
    let per_attempt = ((n * n) / 2).max(1) as u64;
    let rounds_left = |done: usize| (rounds - done).max(1) as u64;
    let mut schedule = Vec::with_capacity(rounds);
    for done in 0..rounds {
        let share = budget.left / rounds_left(done);
        let attempts = (share / per_attempt).clamp(1, ATTEMPTS_PER_ROUND as u64);
        let mut best: Option<(u32, Vec<Vec<usize>>)> = None;
        for _ in 0..attempts {
            budget.spend(per_attempt);
            let groups = greedy_round(n, &sizes, &met, rng);
            let cost = met.round_cost(&groups);
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, groups));
            }
            if cost == 0 {
                break;
            }
        }
        let mut groups = best.map(|(_, g)| g).unwrap_or_default();
        // Swaps get what this round's share has left.
        let mut round_budget = Budget {
            left: (budget.left / rounds_left(done)).min(budget.left),
        };
        let before = round_budget.left;
        improve_by_swaps(&mut groups, &met, &mut round_budget);
        budget.left -= before - round_budget.left;
        met.record(&groups);
        schedule.push(
            groups
                .into_iter()
                .map(|g| g.into_iter().map(|i| people[i].clone()).collect())
                .collect(),
        );
    }
    schedule
}

/// Hill-climbs by swapping two people between groups while that lowers repeated pairings, as
/// long as the budget lasts.
fn improve_by_swaps(groups: &mut [Vec<usize>], met: &Met, budget: &mut Budget) {
    for _ in 0..20 {
        let mut improved = false;
        for gi in 0..groups.len() {
            for gj in gi + 1..groups.len() {
                let cost = (groups[gi].len()
                    * groups[gj].len()
                    * 2
                    * (groups[gi].len() + groups[gj].len())) as u64;
                if !budget.spend(cost) {
                    return;
                }
                for a in 0..groups[gi].len() {
                    for b in 0..groups[gj].len() {
                        let (x, y) = (groups[gi][a], groups[gj][b]);
                        let before =
                            met.cost_in(x, &groups[gi], x) + met.cost_in(y, &groups[gj], y);
                        let after = met.cost_in(x, &groups[gj], y) + met.cost_in(y, &groups[gi], x);
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

fn greedy_round(n: usize, sizes: &[usize], met: &Met, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut groups: Vec<Vec<usize>> = sizes.iter().map(|s| Vec::with_capacity(*s)).collect();
    for person in order {
        let choice = groups
            .iter()
            .enumerate()
            .filter(|(i, g)| g.len() < sizes[*i])
            .map(|(i, g)| {
                let cost: u32 = g.iter().map(|&o| met.get(person, o)).sum();
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

    #[test]
    fn a_rotation_of_a_thousand_stays_within_its_budget() {
        // 1,000 people, 50 rounds in groups of 100: the case that took 20 s of the actor.
        let people: Vec<u32> = (0..1000).collect();
        let schedule = rotation(&people, 100, 50, &mut Rng::new(3));
        assert_eq!(schedule.len(), 50);
        for round in &schedule {
            let mut all: Vec<u32> = round.iter().flatten().copied().collect();
            all.sort_unstable();
            assert_eq!(all, people);
        }
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
