//! `cargo xtask bench`: runs the release server as a child (on its own core when `taskset` is
//! there), measures signalling fan-out and the frontend's size, prints a table and writes
//! `target/bench/results.json`. Figures, not verdicts: tests check behaviour.

use plenary_e2e::bench::{self, FanoutConfig, FanoutTimes, percentile};
use plenary_e2e::{HarnessError, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Args {
    server: PathBuf,
    dist: PathBuf,
    out: PathBuf,
    participants: usize,
    rooms: u32,
    repetitions: usize,
    server_core: Option<u32>,
}

fn parse_args() -> Result<Args> {
    let root = plenary_e2e::workspace_dir();
    let mut args = Args {
        server: root.join("target/release/plenary"),
        dist: root.join("dist"),
        out: root.join("target/bench/results.json"),
        participants: 999,
        rooms: 100,
        repetitions: 20,
        server_core: None,
    };
    let mut it = std::env::args().skip(1);
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
            other => return Err(HarnessError::Other(format!("unknown flag {other}"))),
        }
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| HarnessError::Other(format!("not a number: {s}")))
}

/// The server process, stopped however the bench ends (an early error included).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server on a free port; returns it and its address.
fn start_server(args: &Args, data: &Path) -> Result<(Server, std::net::SocketAddr)> {
    let mut cmd = match args.server_core {
        Some(core) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &core.to_string()]).arg(&args.server);
            c
        }
        None => Command::new(&args.server),
    };
    let mut child = Server(
        cmd.args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .arg("--dist")
            .arg(&args.dist)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let stdout = child
        .0
        .stdout
        .take()
        .ok_or_else(|| HarnessError::Other("no server stdout".into()))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| HarnessError::Other(format!("unexpected server output: {line:?}")))?;
    Ok((child, addr))
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let data = std::env::temp_dir().join(format!("plenary-bench-{}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let (server, addr) = start_server(&args, &data)?;
    let pid = server.0.id();
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
    let (times, rss_joined, cpu_joined, own_joined) = (
        run.times,
        run.rss_joined_kib,
        run.server_cpu_joined,
        run.load_cpu_joined,
    );
    let cpu_after = bench::cpu_seconds(Some(pid)).unwrap_or(0.0);
    let own_after = bench::cpu_seconds(None).unwrap_or(0.0);
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    let ops = (3 * args.repetitions) as f64;
    let per_participant_kib =
        rss_joined.saturating_sub(rss_before) as f64 / (args.participants + 1) as f64;
    let (raw, gz) = frontend_sizes(&args.dist);
    report(
        &args,
        &times,
        Report {
            server_cpu_per_op: (cpu_after - cpu_joined) / ops,
            load_cpu_per_op: (own_after - own_joined) / ops,
            join_cpu: cpu_joined - cpu_before,
            load_join_cpu: own_joined - own_before,
            per_participant_kib,
            frontend_raw: raw,
            frontend_gzip: gz,
        },
    )
}

struct Report {
    server_cpu_per_op: f64,
    load_cpu_per_op: f64,
    join_cpu: f64,
    load_join_cpu: f64,
    per_participant_kib: f64,
    frontend_raw: u64,
    frontend_gzip: u64,
}

fn report(args: &Args, times: &FanoutTimes, r: Report) -> Result<()> {
    let rows = [
        ("open all rooms", &times.open, 50.0),
        ("close all rooms", &times.close, 50.0),
        ("move one person", &times.single_move, 50.0),
    ];
    println!(
        "Signalling fan-out: {} participants + host, {} rooms, {} repetitions",
        args.participants, args.rooms, args.repetitions
    );
    println!("| operation | p50 ms | p99 ms | target p99 |");
    println!("|---|---|---|---|");
    let mut json_ops = Vec::new();
    for (name, samples, target) in rows {
        let (p50, p99) = (ms(percentile(samples, 50.0)), ms(percentile(samples, 99.0)));
        println!("| {name} | {p50:.1} | {p99:.1} | ≤ {target} ms |");
        json_ops.push(serde_json::json!({ "operation": name, "p50_ms": p50, "p99_ms": p99 }));
    }
    println!(
        "server CPU per operation: {:.1} ms; load generator CPU per operation: {:.1} ms",
        r.server_cpu_per_op * 1000.0,
        r.load_cpu_per_op * 1000.0
    );
    println!(
        "joining everyone: server CPU {:.2} s, load generator CPU {:.2} s",
        r.join_cpu, r.load_join_cpu
    );
    println!(
        "server memory per connected participant: {:.1} KiB (target ≤ 64 KiB)",
        r.per_participant_kib
    );
    println!(
        "frontend (wasm + js): {} KB raw, {} KB gzip (target ≤ 300 KB)",
        r.frontend_raw / 1000,
        r.frontend_gzip / 1000
    );
    println!("not measured yet: SFU forwarding and browser timings (they need the media layer)");
    let json = serde_json::json!({
        "fanout": {
            "participants": args.participants,
            "rooms": args.rooms,
            "repetitions": args.repetitions,
            "operations": json_ops,
            "server_cpu_ms_per_operation": r.server_cpu_per_op * 1000.0,
            "load_generator_cpu_ms_per_operation": r.load_cpu_per_op * 1000.0,
            "server_kib_per_participant": r.per_participant_kib,
        },
        "frontend": { "raw_bytes": r.frontend_raw, "gzip_bytes": r.frontend_gzip },
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&json)?)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
