//! The benchmark, scaled down to seconds, so `cargo xtask bench` cannot rot: the real bench
//! binary runs the real server binary with 20 participants for the fan-out, one small step of
//! each forwarding series (SFU and null relay, audio and video), one browser run, short
//! lifecycle measurements, a plenary of 8, and writes its JSON.

use plenary_e2e::{HarnessError, Result, workspace_dir};

#[test]
fn the_benchmark_runs_end_to_end_at_small_scale() -> Result<()> {
    let server = workspace_dir().join("target/debug/plenary");
    if !server.is_file() {
        return Err(HarnessError::Other(format!(
            "{} is missing: run `cargo test --workspace` (or `cargo xtask test`), which builds it",
            server.display()
        )));
    }
    let out = std::env::temp_dir().join(format!("plenary-bench-smoke-{}.json", std::process::id()));
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_plenary-bench"))
        .arg("--server")
        .arg(&server)
        .args(["--participants", "20", "--rooms", "4", "--repetitions", "2"])
        .args([
            "--audio-peers",
            "3",
            "--video-peers",
            "2",
            "--window-ms",
            "1000",
        ])
        .args(["--browser-runs", "1"])
        .args(["--plenary-people", "8"])
        .arg("--out")
        .arg(&out)
        .output()?;
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "bench failed: {stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("| open all rooms |"), "{stdout}");
    assert!(stdout.contains("| SFU audio | 3 |"), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    let ops = json["fanout"]["operations"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(ops, 4, "{json}");
    let cpu = json["fanout"]["server_cpu_ms_per_operation"]
        .as_object()
        .map(|o| o.len());
    assert_eq!(cpu, Some(3), "{json}");
    assert!(json["frontend"]["gzip_bytes"].is_u64());
    // SFU and null relay, audio and video: each ran its step and something was forwarded.
    let series = json["forwarding"]["series"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(series.len(), 4, "{json}");
    for s in &series {
        let pps = s["steps"][0]["forwarded_pps"].as_f64().unwrap_or(0.0);
        assert!(pps > 0.0, "nothing forwarded: {s}");
    }
    for timing in ["join_to_frame_ms", "move_to_frame_ms"] {
        let runs = json["browser"][timing].as_array().map(Vec::len);
        assert_eq!(runs, Some(1), "{json}");
    }
    let lifecycle = &json["lifecycle"];
    assert!(
        lifecycle["chat_small"]["disk_bytes_per_line"].is_f64(),
        "{json}"
    );
    assert!(
        lifecycle["creation_flood"]["refused"].as_u64() > Some(0),
        "{json}"
    );
    assert!(
        lifecycle["passcode_guesses_per_minute"].as_u64() > Some(0),
        "{json}"
    );
    assert_eq!(
        lifecycle["rotations"].as_array().map(Vec::len),
        Some(1),
        "{json}"
    );
    // The plenary: 8 people, 3 of them speaking; each got every other video and at most 3
    // voices (exactly 3 for the silent, 2 for a speaker).
    let step = &json["plenary"]["steps"][0];
    assert_eq!(step["people"].as_u64(), Some(8), "{json}");
    assert_eq!(step["video_streams"].as_u64(), Some(7), "{json}");
    assert_eq!(step["audio_streams"].as_u64(), Some(3), "{json}");
    assert!(step["forwarded_pps"].as_f64() > Some(0.0), "{json}");
    let _ = std::fs::remove_file(&out);
    Ok(())
}
