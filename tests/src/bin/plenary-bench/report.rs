//! The benchmark's output: the tables it prints (as Markdown, ready for the README) and the JSON
//! it writes, from the figures `main` gathered. Each target is printed beside its figure with
//! whether it was met.

use plenary_e2e::bench::{FanoutTimes, percentile};
use plenary_e2e::sfu_bench::{MAX_LOSS, MAX_P99, Step};
use serde_json::{Value, json};
use std::time::Duration;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "missed" }
}

pub struct Config {
    pub participants: usize,
    pub rooms: u32,
    pub repetitions: usize,
    pub window: Duration,
}

pub struct Fanout {
    pub times: FanoutTimes,
    /// Server CPU ms per operation, in the order of `CPU_OPERATIONS`.
    pub server_cpu_ms: [f64; 3],
    /// CPU seconds per repetition (the three operations and the host's snapshots), both sides.
    pub server_cpu_per_rep: f64,
    pub load_cpu_per_rep: f64,
    pub join_cpu: f64,
    pub load_join_cpu: f64,
    pub per_participant_kib: f64,
}

/// One relay and stream kind, step by step.
pub struct Series {
    pub name: String,
    pub steps: Vec<Step>,
    /// The capacity step, run three times (the first is the one in `steps`).
    pub repeats: Vec<Step>,
}

impl Series {
    /// The largest step within the limits.
    pub fn capacity(&self) -> Option<&Step> {
        self.steps
            .iter()
            .filter(|s| s.within_limits())
            .max_by(|a, b| a.forwarded_pps.total_cmp(&b.forwarded_pps))
    }

    /// The peer count at half the capacity, where the added latency is read.
    pub fn half_load_peers(&self) -> Option<usize> {
        self.capacity().map(|c| half_load_peers(c.peers))
    }

    /// The lowest and highest forwarded packets per core over the capacity step's runs.
    pub fn spread(&self) -> Option<(f64, f64)> {
        let rates: Vec<f64> = self.repeats.iter().map(Step::pps_per_core).collect();
        let min = rates.iter().copied().reduce(f64::min)?;
        let max = rates.iter().copied().reduce(f64::max)?;
        Some((min, max))
    }

    /// The step at half the capacity, once measured.
    fn half_load(&self) -> Option<&Step> {
        let peers = self.half_load_peers()?;
        self.steps.iter().find(|s| s.peers == peers)
    }
}

/// The number of peers that makes about half the traffic of `capacity` peers: everyone receives
/// everyone else, so the forwarded rate grows with n(n-1).
fn half_load_peers(capacity: usize) -> usize {
    let target = capacity * capacity.saturating_sub(1) / 2;
    (2..=capacity.max(2))
        .min_by_key(|n| (n * (n - 1)).abs_diff(target))
        .unwrap_or(2)
}

#[derive(Default)]
pub struct BrowserFigures {
    pub join: Vec<Duration>,
    pub moves: Vec<Duration>,
    /// Unmuting to the last page showing the new active speaker.
    pub switches: Vec<Duration>,
}

pub struct Report {
    pub config: Config,
    pub fanout: Option<Fanout>,
    pub forwarding: Vec<Series>,
    pub browser: BrowserFigures,
    pub frontend_raw: u64,
    pub frontend_gzip: u64,
    pub seconds: f64,
}

/// The operations whose server CPU is measured on its own.
const CPU_OPERATIONS: [&str; 3] = ["open all rooms", "close with countdown", "move one person"];

pub fn print_fanout(c: &Config, f: &Fanout) {
    println!(
        "\n### 1. Signalling fan-out: {} participants + host, {} rooms, {} repetitions\n",
        c.participants, c.rooms, c.repetitions
    );
    println!("| operation | p50 ms | p99 ms | target p99 |");
    println!("|---|---|---|---|");
    for (name, samples) in fanout_rows(&f.times) {
        let (p50, p99) = (ms(percentile(samples, 50.0)), ms(percentile(samples, 99.0)));
        println!(
            "| {name} | {p50:.1} | {p99:.1} | ≤ 50 ms: {} |",
            met(p99 <= 50.0)
        );
    }
    let per_op: Vec<String> = CPU_OPERATIONS
        .iter()
        .zip(f.server_cpu_ms)
        .map(|(name, cpu)| format!("{name} {cpu:.1} ms"))
        .collect();
    println!(
        "\nserver CPU per operation: {}; per repetition (the three, with the host's snapshots) \
         server {:.1} ms, load generator {:.1} ms; joining everyone: server {:.2} s CPU, load \
         generator {:.2} s; server memory per participant {:.1} KiB (≤ 64 KiB: {})",
        per_op.join(", "),
        f.server_cpu_per_rep * 1000.0,
        f.load_cpu_per_rep * 1000.0,
        f.join_cpu,
        f.load_join_cpu,
        f.per_participant_kib,
        met(f.per_participant_kib <= 64.0)
    );
}

fn fanout_rows(t: &FanoutTimes) -> [(&'static str, &Vec<Duration>); 4] {
    [
        ("open all rooms", &t.open),
        ("close with countdown: countdown shown", &t.close_notice),
        ("close with countdown: back after its end", &t.close),
        ("move one person", &t.single_move),
    ]
}

pub fn print_step_header() {
    println!(
        "\n### 2. Forwarding, one place, everyone publishes and receives everyone else \
         (limits: loss ≤ {:.1} %, p99 ≤ {} ms)\n",
        MAX_LOSS * 100.0,
        MAX_P99.as_millis()
    );
    println!(
        "| relay | peers | forwarded pkt/s | relay cores | pkt/s per core | loss % | p50 ms | p99 ms | load generator cores |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
}

pub fn print_step(name: &str, s: &Step) {
    println!(
        "| {name} | {} | {:.0} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |{}",
        s.peers,
        s.forwarded_pps,
        s.relay_cores,
        s.pps_per_core(),
        s.loss * 100.0,
        ms(s.p50),
        ms(s.p99),
        s.load_cores,
        if s.within_limits() {
            ""
        } else {
            " over the limits"
        }
    );
}

fn step_json(s: &Step) -> Value {
    json!({
        "peers": s.peers,
        "forwarded_pps": s.forwarded_pps,
        "relay_cores": s.relay_cores,
        "pps_per_core": s.pps_per_core(),
        "loss": s.loss,
        "p50_ms": ms(s.p50),
        "p99_ms": ms(s.p99),
        "load_generator_cores": s.load_cores,
        "within_limits": s.within_limits(),
        "server_ports": s.server_ports,
        "server_kib_per_peer": s.kib_per_peer,
    })
}

/// Per stream kind: the kind, the SFU's capacity step, the null relay's, and the SFU and null
/// steps at about half the SFU's capacity.
type Summary<'a> = (
    String,
    Option<&'a Step>,
    Option<&'a Step>,
    Option<(Step, Step)>,
);

impl Report {
    fn series(&self, name: &str) -> Option<&Series> {
        self.forwarding.iter().find(|s| s.name == name)
    }

    /// Per kind: the SFU's capacity step, the null relay's, and the SFU's and null relay's steps
    /// at half the SFU's capacity.
    fn summaries(&self) -> Vec<Summary<'_>> {
        ["audio", "video"]
            .iter()
            .map(|kind| {
                let sfu = self.series(&format!("SFU {kind}"));
                let null = self.series(&format!("null {kind}"));
                let half = sfu.and_then(Series::half_load).and_then(|s| {
                    let base = null?.steps.iter().find(|n| n.peers == s.peers)?;
                    Some((s.clone(), base.clone()))
                });
                (
                    (*kind).to_owned(),
                    sfu.and_then(Series::capacity),
                    null.and_then(Series::capacity),
                    half,
                )
            })
            .collect()
    }

    pub fn print(&self) {
        if !self.forwarding.is_empty() {
            self.print_forwarding();
        }
        let b = &self.browser;
        if !b.join.is_empty() {
            let (join, moves) = (percentile(&b.join, 50.0), percentile(&b.moves, 50.0));
            println!(
                "\n### 3. Browser (headless Chromium, median of {}): join to first frame {:.0} ms \
                 (≤ 1,000: {}); move to first frame {:.0} ms (≤ 500: {})",
                b.join.len(),
                ms(join),
                met(join <= Duration::from_secs(1)),
                ms(moves),
                met(moves <= Duration::from_millis(500))
            );
        }
        if !b.switches.is_empty() {
            let (median, worst) = (
                percentile(&b.switches, 50.0),
                percentile(&b.switches, 100.0),
            );
            println!(
                "active speaker on every page after unmuting (3 pages, {} runs): median {:.0} ms, \
                 slowest {:.0} ms (≤ 2,000: {})",
                b.switches.len(),
                ms(median),
                ms(worst),
                met(worst <= Duration::from_secs(2))
            );
        }
        println!(
            "\n### 4. Frontend (wasm + js): {} KB raw, {} KB gzip (≤ 300 KB: {})",
            self.frontend_raw / 1000,
            self.frontend_gzip / 1000,
            met(self.frontend_gzip <= 300_000)
        );
        println!("\nthe bench took {:.0} s", self.seconds);
    }

    fn print_forwarding(&self) {
        println!("\n### Forwarding summary (targets: ≥ 150,000 pkt/s per core, ≥ 50 % of null)\n");
        println!(
            "| stream | SFU pkt/s per core | spread of 3 runs | null pkt/s per core | spread | SFU/null | added latency p50 / p99 at half load |"
        );
        println!("|---|---|---|---|---|---|---|");
        for (kind, sfu, null, half) in self.summaries() {
            let per_core = |s: Option<&Step>| s.map_or(0.0, Step::pps_per_core);
            let (a, b) = (per_core(sfu), per_core(null));
            let ratio = if b > 0.0 { a / b } else { 0.0 };
            // Each latency includes the load generator's own sending and receiving; the SFU's
            // addition is its figure less the null relay's at the same step (never below zero).
            let added = half.map_or("n/a".to_owned(), |(s, n)| {
                format!(
                    "{:.2} / {:.2} ms at {} peers (SFU {:.2} / {:.2}, null {:.2} / {:.2}; ≤ 1 ms: {})",
                    ms(s.p50.saturating_sub(n.p50)),
                    ms(s.p99.saturating_sub(n.p99)),
                    s.peers,
                    ms(s.p50),
                    ms(s.p99),
                    ms(n.p50),
                    ms(n.p99),
                    // A null relay's p99 above the SFU's is noise in the null run: it says
                    // nothing of the SFU's addition, so it is not counted as met.
                    if n.p99 > s.p99 {
                        "not measured (the null relay's p99 was the higher)".to_owned()
                    } else {
                        met(s.p99 - n.p99 <= Duration::from_millis(1)).to_owned()
                    }
                )
            });
            let spread = |name: String| {
                self.series(&name)
                    .and_then(Series::spread)
                    .map_or("n/a".to_owned(), |(lo, hi)| format!("{lo:.0}–{hi:.0}"))
            };
            println!(
                "| {kind} | {a:.0} ({}) | {} | {b:.0} | {} | {:.0} % ({}) | {added} |",
                met(a >= 150_000.0),
                spread(format!("SFU {kind}")),
                spread(format!("null {kind}")),
                ratio * 100.0,
                met(ratio >= 0.5)
            );
        }
        let sfu_steps = self
            .forwarding
            .iter()
            .filter(|s| s.name.starts_with("SFU"))
            .flat_map(|s| s.steps.iter());
        let ports = sfu_steps.clone().map(|s| s.server_ports).max().unwrap_or(0);
        let kib = sfu_steps
            .filter(|s| s.peers >= 8)
            .map(|s| s.kib_per_peer)
            .fold(0.0f64, f64::max);
        println!(
            "\nUDP ports the server used for media: {ports} (must be 1: {}); server memory per media participant: {kib:.0} KiB (the largest of the steps with 8 or more peers)",
            met(ports == 1)
        );
    }

    pub fn json(&self) -> Value {
        let c = &self.config;
        let fanout = self.fanout.as_ref().map(|f| {
            let ops: Vec<Value> = fanout_rows(&f.times)
                .iter()
                .map(|(name, samples)| {
                    json!({
                        "operation": name,
                        "p50_ms": ms(percentile(samples, 50.0)),
                        "p99_ms": ms(percentile(samples, 99.0)),
                    })
                })
                .collect();
            json!({
                "participants": c.participants,
                "rooms": c.rooms,
                "repetitions": c.repetitions,
                "operations": ops,
                "server_cpu_ms_per_operation": CPU_OPERATIONS
                    .iter()
                    .zip(f.server_cpu_ms)
                    .map(|(name, cpu)| ((*name).to_owned(), json!(cpu)))
                    .collect::<serde_json::Map<_, _>>(),
                "server_cpu_ms_per_repetition": f.server_cpu_per_rep * 1000.0,
                "load_generator_cpu_ms_per_repetition": f.load_cpu_per_rep * 1000.0,
                "server_kib_per_participant": f.per_participant_kib,
            })
        });
        let forwarding: Vec<Value> = self
            .forwarding
            .iter()
            .map(|s| {
                json!({
                    "relay": s.name,
                    "steps": s.steps.iter().map(step_json).collect::<Vec<_>>(),
                    "capacity_runs": s.repeats.iter().map(step_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        let ms_list = |d: &[Duration]| d.iter().map(|d| ms(*d)).collect::<Vec<_>>();
        json!({
            "fanout": fanout,
            "forwarding": { "window_ms": ms(c.window), "series": forwarding },
            "browser": {
                "join_to_frame_ms": ms_list(&self.browser.join),
                "move_to_frame_ms": ms_list(&self.browser.moves),
                "speaker_switch_ms": ms_list(&self.browser.switches),
            },
            "frontend": { "raw_bytes": self.frontend_raw, "gzip_bytes": self.frontend_gzip },
            "seconds": self.seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::half_load_peers;

    #[test]
    fn half_load_is_half_the_forwarded_traffic() {
        // 40 peers forward 40·39 = 1,560 streams; 28·27 = 756 is nearest half (780).
        assert_eq!(half_load_peers(40), 28);
        assert_eq!(half_load_peers(24), 17);
        assert_eq!(half_load_peers(3), 2);
        assert_eq!(half_load_peers(2), 2);
    }
}
