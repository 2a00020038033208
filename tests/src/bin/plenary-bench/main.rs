//! `cargo xtask bench`: runs the release server as a child (on its own core when `taskset` is
//! there) and measures signalling fan-out, SFU forwarding against a null relay, browser
//! timings, the frontend's size, trust and lifecycle costs, and a big plenary. Prints a table and
//! writes `target/bench/results.json`. Figures, not verdicts: tests check behaviour.
//!
//! `plenary-bench --null-relay` is the plain UDP forwarder the SFU is compared with; the bench
//! starts it as a child of its own, pinned like the server.

mod lifecycle;
mod plenary;
mod report;

use plenary_e2e::bench::{self, FanoutConfig};
use plenary_e2e::browser::Driver;
use plenary_e2e::sfu_bench::{self, Step};
use plenary_e2e::traffic::Traffic;
use plenary_e2e::{HarnessError, Result, browser_timing};
use report::{BrowserFigures, Fanout, Report, Series};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Args {
    server: PathBuf,
    dist: PathBuf,
    out: PathBuf,
    participants: usize,
    rooms: u32,
    repetitions: usize,
    server_core: Option<u32>,
    audio_peers: Vec<usize>,
    video_peers: Vec<usize>,
    window: Duration,
    browser_runs: usize,
    /// Which of the measured parts to run (for profiling one of them): all by default.
    parts: Vec<String>,
    /// People in the lifecycle part's rotations.
    pub rotation_people: Vec<usize>,
    /// People in each step of the plenary part.
    pub plenary_people: Vec<usize>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args> {
    let root = plenary_e2e::workspace_dir();
    let mut args = Args {
        server: root.join("target/release/plenary"),
        dist: root.join("dist"),
        out: root.join("target/bench/results.json"),
        participants: 999,
        rooms: 100,
        repetitions: 20,
        server_core: None,
        audio_peers: vec![4, 8, 16, 24, 32, 40, 48, 56, 64],
        video_peers: vec![2, 4, 8, 12, 16, 20, 24, 28, 32],
        window: Duration::from_secs(4),
        browser_runs: 5,
        parts: PARTS.iter().map(|p| (*p).to_owned()).collect(),
        rotation_people: vec![200, 999],
        plenary_people: vec![50, 100, 150, 200, 250, 300],
    };
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| HarnessError::Other(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--server" => args.server = value()?.into(),
            "--dist" => args.dist = value()?.into(),
            "--out" => args.out = value()?.into(),
            "--participants" => args.participants = number(&value()?)?,
            "--rooms" => args.rooms = number(&value()?)?,
            "--repetitions" => args.repetitions = number(&value()?)?,
            "--server-core" => args.server_core = Some(number(&value()?)?),
            "--audio-peers" => args.audio_peers = list(&value()?)?,
            "--video-peers" => args.video_peers = list(&value()?)?,
            "--window-ms" => args.window = Duration::from_millis(number(&value()?)?),
            "--browser-runs" => args.browser_runs = number(&value()?)?,
            "--parts" => args.parts = value()?.split(',').map(str::to_owned).collect(),
            "--rotation-people" => args.rotation_people = list(&value()?)?,
            "--plenary-people" => args.plenary_people = list(&value()?)?,
            other => return Err(HarnessError::Other(format!("unknown flag {other}"))),
        }
    }
    Ok(args)
}

/// The parts `--parts` may name.
const PARTS: [&str; 5] = ["fanout", "forwarding", "browser", "lifecycle", "plenary"];

fn number<T: std::str::FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| HarnessError::Other(format!("not a number: {s}")))
}

/// `4,8,16`: peers per step; every step needs two peers at least.
fn list(s: &str) -> Result<Vec<usize>> {
    let steps = s.split(',').map(number).collect::<Result<Vec<usize>>>()?;
    if steps.iter().any(|n| *n < 2) {
        return Err(HarnessError::Other(format!("a step needs 2 peers: {s}")));
    }
    Ok(steps)
}

/// A child process (the server or the null relay), stopped however the bench ends.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

/// Starts `program` (on the server's core when one is set) and reads the address it prints on
/// its first line, after its last `http://` or space.
fn start(
    args: &Args,
    program: &Path,
    flags: &[&str],
    data: Option<&Path>,
) -> Result<(Process, SocketAddr)> {
    let mut cmd = match args.server_core {
        Some(core) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &core.to_string()]).arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(flags);
    if let Some(data) = data {
        cmd.arg("--data-dir")
            .arg(data)
            .arg("--dist")
            .arg(&args.dist);
    }
    // `PLENARY_BENCH_SERVER_LOG=file` keeps the server's log (with `RUST_LOG` as set), to see
    // what it did when a step failed.
    let log = std::env::var_os("PLENARY_BENCH_SERVER_LOG");
    let stderr = match &log {
        Some(path) => Stdio::from(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        ),
        None => Stdio::null(),
    };
    let level = if log.is_some() {
        std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into())
    } else {
        "warn".into()
    };
    let mut child = Process(
        // Every simulated client comes from one address: lift the per-address caps (by
        // environment, which a server from before those caps ignores).
        cmd.env("RUST_LOG", level)
            .env("PLENARY_MAX_CONNECTIONS_PER_ADDRESS", "100000")
            .env("PLENARY_MAX_CONNECTIONS", "100000")
            .env("PLENARY_MEDIA_PORT", "0")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()?,
    );
    let stdout = child
        .0
        .stdout
        .take()
        .ok_or_else(|| HarnessError::Other(format!("no output from {}", program.display())))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .rsplit(['/', ' '])
        .next()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| HarnessError::Other(format!("unexpected output: {line:?}")))?;
    Ok((child, addr))
}

pub fn start_server(args: &Args, data: &Path) -> Result<(Process, SocketAddr)> {
    start_server_with(args, data, &[])
}

/// `start_server` with more flags for the server.
pub fn start_server_with(
    args: &Args,
    data: &Path,
    extra: &[&str],
) -> Result<(Process, SocketAddr)> {
    let mut flags = vec!["--addr", "127.0.0.1:0", "--media-tcp-port", "0"];
    flags.extend_from_slice(extra);
    start(args, &args.server, &flags, Some(data))
}

fn gzip_size(path: &Path) -> Option<u64> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .ok()?;
    Some(out.stdout.len() as u64)
}

fn frontend_sizes(dist: &Path) -> (u64, u64) {
    let mut raw = 0;
    let mut gz = 0;
    for entry in std::fs::read_dir(dist).into_iter().flatten().flatten() {
        let p = entry.path();
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext == "wasm" || ext == "js" {
            raw += entry.metadata().map(|m| m.len()).unwrap_or(0);
            gz += gzip_size(&p).unwrap_or(0);
        }
    }
    (raw, gz)
}

/// Part 1: signalling fan-out on a server of its own.
async fn fanout(args: &Args, data: &Path) -> Result<Fanout> {
    let (server, addr) = start_server(args, data)?;
    let pid = server.pid();
    let rss_before = bench::rss_kib(pid).unwrap_or(0);
    let cpu_before = bench::cpu_seconds(Some(pid)).unwrap_or(0.0);
    let own_before = bench::cpu_seconds(None).unwrap_or(0.0);
    let config = FanoutConfig {
        participants: args.participants,
        rooms: args.rooms,
        repetitions: args.repetitions,
        deadline: Duration::from_secs(60),
    };
    let run = bench::fanout(addr, config, Some(pid)).await?;
    let cpu_after = bench::cpu_seconds(Some(pid)).unwrap_or(0.0);
    let own_after = bench::cpu_seconds(None).unwrap_or(0.0);
    let reps = args.repetitions.max(1) as f64;
    Ok(Fanout {
        server_cpu_ms: [
            run.cpu.open / reps * 1000.0,
            run.cpu.close / reps * 1000.0,
            run.cpu.single_move / reps * 1000.0,
        ],
        server_cpu_per_rep: (cpu_after - run.server_cpu_joined) / reps,
        load_cpu_per_rep: (own_after - run.load_cpu_joined) / reps,
        join_cpu: run.server_cpu_joined - cpu_before,
        load_join_cpu: run.load_cpu_joined - own_before,
        per_participant_kib: run.rss_joined_kib.saturating_sub(rss_before) as f64
            / (args.participants + 1) as f64,
        times: run.times,
    })
}

/// Runs steps of growing size until one breaks the loss or latency limit (it is kept, to show
/// where the limit lies) or the steps run out. A step over the limits is run once more before
/// it counts as the limit: one noisy moment on this shared machine must not end a series. The
/// largest step within the limits is then run twice more, for the spread of three runs.
async fn series<F, Fut>(name: &str, steps: &[usize], mut step: F) -> Result<Series>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Step>>,
{
    let mut done = Vec::new();
    for &peers in steps {
        let mut s = step(peers).await?;
        report::print_step(name, &s);
        if !s.within_limits() {
            let again = step(peers).await?;
            report::print_step(&format!("{name} (again)"), &again);
            if again.within_limits() {
                s = again;
            }
        }
        let _ = std::io::stdout().flush();
        let over = !s.within_limits();
        done.push(s);
        if over {
            break;
        }
    }
    let mut series = Series {
        name: name.to_owned(),
        steps: done,
        repeats: Vec::new(),
    };
    if let Some(capacity) = series.capacity().cloned() {
        series.repeats.push(capacity.clone());
        for _ in 0..2 {
            let s = step(capacity.peers).await?;
            report::print_step(&format!("{name} (repeat)"), &s);
            series.repeats.push(s);
        }
    }
    Ok(series)
}

/// A stream kind: its name, its traffic (given the epoch) and the peers of each step.
type Kind<'a> = (&'static str, fn(Instant) -> Traffic, &'a [usize]);

/// Part 2: the SFU and the null relay, audio-like and video-like.
async fn forwarding(args: &Args, data: &Path) -> Result<Vec<Series>> {
    // Everyone gets everyone, as the null relay does: this compares forwarding, not selection
    // (the plenary part measures the selection).
    let all = ["--loudest-voices", "all", "--last-n", "all"];
    let (server, addr) = start_server_with(args, data, &all)?;
    let pid = Some(server.pid());
    let this = std::env::current_exe()?;
    let kinds: [Kind; 2] = [
        ("audio", Traffic::audio, &args.audio_peers),
        ("video", Traffic::video, &args.video_peers),
    ];
    let mut all = Vec::new();
    report::print_step_header();
    for (kind, traffic, steps) in kinds {
        let name = format!("SFU {kind}");
        let sfu_step =
            |peers| sfu_bench::sfu_step(addr, pid, traffic(Instant::now()), peers, args.window);
        let mut sfu = series(&name, steps, sfu_step).await?;
        // The added latency is read at half the SFU's capacity: measure there, not at whichever
        // step of the list happens to be nearest (they are up to 15 % of capacity apart).
        let half = sfu.half_load_peers().filter(|n| !steps.contains(n));
        let mut null_steps = steps.to_vec();
        if let Some(n) = half {
            println!("(the SFU at half its capacity: {n} peers)");
            let at_half =
                sfu_bench::sfu_step(addr, pid, traffic(Instant::now()), n, args.window).await?;
            report::print_step(&name, &at_half);
            sfu.steps.push(at_half);
            sfu.steps.sort_by_key(|s| s.peers);
            null_steps.push(n);
            null_steps.sort_unstable();
        }
        all.push(sfu);
        let name = format!("null {kind}");
        all.push(
            series(&name, &null_steps, |peers| {
                let this = this.clone();
                async move {
                    let (relay, at) = start(args, &this, &["--null-relay"], None)?;
                    let traffic = traffic(Instant::now());
                    sfu_bench::null_step(at, Some(relay.pid()), traffic, peers, args.window).await
                }
            })
            .await?,
        );
    }
    Ok(all)
}

/// Part 3: browser timings, `runs` times on a server of its own.
async fn browser(args: &Args, data: &Path) -> Result<BrowserFigures> {
    let (_server, addr) = start_server(args, data)?;
    let driver = Driver::start().await?;
    let mut figures = BrowserFigures::default();
    for _ in 0..args.browser_runs {
        let t = browser_timing::run(&driver, addr).await?;
        println!(
            "browser run: join to first frame {:.0} ms, move to first frame {:.0} ms",
            report::ms(t.join_to_frame),
            report::ms(t.move_to_frame)
        );
        figures.join.push(t.join_to_frame);
        figures.moves.push(t.move_to_frame);
        let switch = browser_timing::speaker_switch(&driver, addr, &data.join("voices")).await?;
        println!(
            "browser run: every page shows the new speaker {:.0} ms after unmuting",
            report::ms(switch)
        );
        figures.switches.push(switch);
    }
    Ok(figures)
}

/// The null relay's own mode: bind, say where, forward until killed.
fn null_relay() -> Result<()> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    println!("null relay on {}", socket.local_addr()?);
    std::io::stdout().flush()?;
    sfu_bench::null_relay(&socket)?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("--null-relay") {
        return null_relay();
    }
    let args = parse_args(argv)?;
    // `PLENARY_BENCH_CLIENT_LOG=file` keeps the simulated clients' log (with `RUST_LOG`), the
    // other half of what `PLENARY_BENCH_SERVER_LOG` shows.
    if let Some(path) = std::env::var_os("PLENARY_BENCH_CLIENT_LOG") {
        let file = std::fs::File::create(path)?;
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .init();
    }
    let data = std::env::temp_dir().join(format!("plenary-bench-{}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let started = Instant::now();
    if let Some(bad) = args.parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
        return Err(HarnessError::Other(format!(
            "unknown part {bad}; the parts are {PARTS:?}"
        )));
    }
    let part = |name: &str| args.parts.iter().any(|p| p == name);
    let outcome = async {
        let fanout = match part("fanout") {
            true => Some(fanout(&args, &data.join("fanout")).await?),
            false => None,
        };
        if let Some(f) = &fanout {
            report::print_fanout(&args_summary(&args), f);
        }
        let forwarding = match part("forwarding") {
            true => forwarding(&args, &data.join("sfu")).await?,
            false => Vec::new(),
        };
        let browser = match part("browser") {
            true => browser(&args, &data.join("browser")).await?,
            false => BrowserFigures::default(),
        };
        let lifecycle = match part("lifecycle") {
            true => Some(lifecycle::run(&args, &data.join("lifecycle")).await?),
            false => None,
        };
        let plenary = match part("plenary") {
            true => Some(plenary::run(&args, &data.join("plenary")).await?),
            false => None,
        };
        Ok::<_, HarnessError>((fanout, forwarding, browser, lifecycle, plenary))
    }
    .await;
    let _ = std::fs::remove_dir_all(&data);
    let (fanout, forwarding, browser, lifecycle, plenary) = outcome?;
    let (raw, gzip) = frontend_sizes(&args.dist);
    let report = Report {
        config: args_summary(&args),
        fanout,
        forwarding,
        browser,
        frontend_raw: raw,
        frontend_gzip: gzip,
        seconds: started.elapsed().as_secs_f64(),
    };
    report.print();
    let mut json = report.json();
    if let Some(l) = &lifecycle {
        l.print();
        json["lifecycle"] = l.json();
    }
    if let Some(p) = &plenary {
        p.print();
        json["plenary"] = p.json();
    }
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&json)?)?;
    println!("wrote {}", args.out.display());
    Ok(())
}

fn args_summary(args: &Args) -> report::Config {
    report::Config {
        participants: args.participants,
        rooms: args.rooms,
        repetitions: args.repetitions,
        window: args.window,
    }
}
