//! The three commands, as sequences of steps. Each step prints what it runs and how long it took.

use crate::tools::{self, cargo, root, run, tool_path};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Builds the frontend into `dist/` with Trunk, offline.
fn build_frontend() -> Result<(), String> {
    let start = Instant::now();
    // Trunk runs offline: every crate must already be in the local registry.
    run(cargo().arg("fetch").current_dir(root()))?;
    run(Command::new("trunk")
        .args(["build", "--release"])
        .current_dir(root())
        .env("PATH", tool_path())
        .env("NO_COLOR", "true"))?;
    println!(
        "xtask: frontend built into dist/ in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn build_server() -> Result<(), String> {
    run(cargo()
        .args([
            "build",
            "--release",
            "-p",
            "plenary-server",
            "--bin",
            "plenary",
        ])
        .current_dir(root()))
}

/// `cargo xtask build`.
pub fn build() -> Result<(), String> {
    tools::ensure_build_tools()?;
    build_frontend()?;
    build_server()
}

/// `cargo xtask bench [flags…]`: release builds, then the bench binary with the server pinned
/// to core 0 and the load generator to core 1 when `taskset` is there (flags go to the bench).
pub fn bench(extra: &[String]) -> Result<(), String> {
    build()?;
    // The browser timings need Chromium.
    tools::ensure_chromium()?;
    run(cargo()
        .args([
            "build",
            "--release",
            "-p",
            "plenary-e2e",
            "--bin",
            "plenary-bench",
        ])
        .current_dir(root()))?;
    let bench_bin = root().join("target/release/plenary-bench");
    let pinned = Command::new("taskset")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut cmd = if pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", "1"])
            .arg(&bench_bin)
            .args(["--server-core", "0"]);
        c
    } else {
        println!("xtask: taskset not found; server and load generator share the cores");
        Command::new(&bench_bin)
    };
    run(cmd
        .arg("--server")
        .arg(root().join("target/release/plenary"))
        .arg("--dist")
        .arg(root().join("dist"))
        .args(extra)
        .current_dir(root()))
}

/// `cargo xtask run [flags…]`: build, then serve (flags go to the server).
pub fn run_cmd_args(extra: &[String]) -> Vec<String> {
    let mut args = vec![
        "--dist".to_owned(),
        root().join("dist").to_string_lossy().into_owned(),
    ];
    if !extra.iter().any(|a| a.starts_with("--data-dir")) {
        args.push("--data-dir".into());
        args.push(root().join("data").to_string_lossy().into_owned());
    }
    args.extend(extra.iter().cloned());
    args
}

pub fn serve(extra: &[String]) -> Result<(), String> {
    build()?;
    let binary = root().join("target").join("release").join("plenary");
    println!("xtask: starting the server; open the URL it prints (default http://127.0.0.1:8080)");
    run(Command::new(binary).args(run_cmd_args(extra)))
}

/// Totals of `cargo test`'s "test result:" lines.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Tally {
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(label), Some(number)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = number.parse::<u64>() else {
                continue;
            };
            match label {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// Runs `cargo test --workspace`, echoing its output and adding up its results.
fn cargo_test() -> Result<Tally, String> {
    let dist = root().join("dist");
    let mut child = cargo()
        // Every test binary runs even when one fails, so one report shows every failure.
        .args(["test", "--workspace", "--no-fail-fast", "--color", "never"])
        .current_dir(root())
        .env("PLENARY_DIST", &dist)
        .env("PLENARY_CHROMIUM", "/usr/bin/chromium")
        .env("PLENARY_CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start cargo test: {e}"))?;
    let mut tally = Tally::default();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            tally.add_line(&line);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() && tally.failed == 0 {
        // A build failure or crash: no test counted it, so count it here.
        tally.failed += 1;
    }
    Ok(tally)
}

/// `cargo xtask test`.
pub fn test() -> Result<(), String> {
    let start = Instant::now();
    tools::ensure_build_tools()?;
    tools::ensure_test_packages()?;
    let root = root();
    run(cargo()
        .args(["fmt", "--all", "--", "--check"])
        .current_dir(&root))?;
    run(cargo()
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(&root))?;
    run(cargo()
        .args([
            "clippy",
            "-p",
            "plenary-frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(&root))?;
    build_frontend()?;
    let tally = cargo_test()?;
    println!(
        "xtask: everything took {:.1}s",
        start.elapsed().as_secs_f64()
    );
    println!(
        "summary: {} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.ignored
    );
    if tally.failed == 0 {
        Ok(())
    } else {
        Err(format!("{} test(s) failed", tally.failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_adds_up_cargo_test_summaries() {
        let mut t = Tally::default();
        t.add_line("test result: ok. 17 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s");
        t.add_line(
            "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out",
        );
        t.add_line("running 5 tests");
        assert_eq!(
            t,
            Tally {
                passed: 20,
                failed: 2,
                ignored: 1
            }
        );
    }

    #[test]
    fn run_passes_dist_and_data_dir_unless_given() {
        let args = run_cmd_args(&["--addr".into(), "127.0.0.1:9000".into()]);
        assert!(args.contains(&"--data-dir".to_owned()));
        assert!(args.ends_with(&["--addr".to_owned(), "127.0.0.1:9000".to_owned()]));
        let args = run_cmd_args(&["--data-dir=/tmp/x".into()]);
        assert_eq!(
            args.iter().filter(|a| a.starts_with("--data-dir")).count(),
            1
        );
    }
}
