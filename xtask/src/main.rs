//! Developer commands, so a fresh Debian machine with only the Rust toolchain needs two commands:
//!
//! - `cargo xtask run`   installs what is missing, builds, and serves on http://127.0.0.1:8080
//! - `cargo xtask test`  installs what is missing (Chromium too), then lints, builds and tests all
//! - `cargo xtask build` installs what is missing and builds the frontend and server only
//! - `cargo xtask bench` builds in release mode and prints the benchmark's figures
//!
//! Only the standard library is used, so this builds in seconds before anything else.

mod steps;
mod tools;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest.to_vec()),
        None => ("help", Vec::new()),
    };
    // `cargo xtask run -- --addr …`: the `--` only separates; the flags after it are passed on.
    let rest: Vec<String> = match rest.split_first() {
        Some((sep, after)) if sep == "--" => after.to_vec(),
        _ => rest,
    };
    let result = match command {
        "run" => steps::serve(&rest),
        "test" => steps::test(),
        "build" => steps::build(),
        "bench" => steps::bench(&rest),
        "help" | "--help" | "-h" => {
            println!("usage: cargo xtask <run [server flags…] | test | build | bench [flags…]>");
            println!("  run    install missing tools, build, serve on http://127.0.0.1:8080");
            println!("  test   install missing tools, fmt + clippy + build + every test");
            println!("  build  install missing tools, build frontend (dist/) and server");
            println!(
                "  bench  build in release, run the benchmarks, write target/bench/results.json"
            );
            Ok(())
        }
        other => Err(format!("unknown command `{other}`; try `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
