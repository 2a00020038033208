//! Part 5 of the bench, trust and lifecycle: disk bytes and writes per chat line, a creation
//! flood against a meeting in progress, passcode guesses a minute from one address, and a large
//! rotation. Prints its table and gives its JSON.

use crate::report::ms;
use crate::{Args, start_server};
use plenary_e2e::Result;
use plenary_e2e::lifecycle_bench::{self, ChatCost, Flood, RotationCost};
use serde_json::{Value, json};
use std::path::Path;

pub struct Lifecycle {
    pub small: ChatCost,
    pub planned: ChatCost,
    pub flood: Flood,
    pub guesses_per_minute: u64,
    pub rotations: Vec<RotationCost>,
}

/// Runs every measurement, each on a server of its own.
pub async fn run(args: &Args, data: &Path) -> Result<Lifecycle> {
    let chat_secs = if args.repetitions < 5 { 2 } else { 10 };
    let (server, addr) = start_server(args, &data.join("chat"))?;
    let small = lifecycle_bench::chat_cost(addr, server.pid(), None, 50, chat_secs).await?;
    let plan = Some(lifecycle_bench::big_plan(1000));
    let planned = lifecycle_bench::chat_cost(addr, server.pid(), plan, 50, chat_secs).await?;
    drop(server);
    let (_server, addr) = start_server(args, &data.join("flood"))?;
    let flood = lifecycle_bench::creation_flood(addr, 8, chat_secs / 2 + 1).await?;
    let (_server, addr) = start_server(args, &data.join("passcode"))?;
    let guess_secs = if args.repetitions < 5 { 3 } else { 60 };
    let guesses = lifecycle_bench::passcode_guesses(addr, guess_secs).await?;
    let guesses_per_minute = guesses * 60 / guess_secs;
    let (server, addr) = start_server(args, &data.join("rotation"))?;
    let mut rotations = Vec::new();
    let sizes: &[usize] = if args.repetitions < 5 {
        &[20]
    } else {
        &[200, 999]
    };
    for &people in sizes {
        let size = u32::try_from((people / 2).max(2)).unwrap_or(2);
        rotations.push(lifecycle_bench::rotation_cost(addr, server.pid(), people, size, 50).await?);
    }
    Ok(Lifecycle {
        small,
        planned,
        flood,
        guesses_per_minute,
        rotations,
    })
}

fn writes(c: &ChatCost) -> String {
    c.writes_per_sec.map_or("n/a".into(), |w| format!("{w:.1}"))
}

impl Lifecycle {
    pub fn print(&self) {
        println!("\n### 5. Trust and lifecycle\n");
        println!(
            "| chat at 50 lines/s from one client | disk bytes per line | store writes/s | echo p50 / p99 ms |"
        );
        println!("|---|---|---|---|");
        for (name, c) in [
            ("small meeting", &self.small),
            ("meeting with a 1,000-person plan", &self.planned),
        ] {
            println!(
                "| {name} | {:.0} | {} | {:.2} / {:.2} |",
                c.disk_bytes_per_line,
                writes(c),
                ms(c.echo_p50),
                ms(c.echo_p99)
            );
        }
        let f = &self.flood;
        println!(
            "\ncreation flood from one address ({} tries in {:.1} s: {} created, {} refused with 429): \
             a host's chat round trip meanwhile p50 {:.2} ms, p99 {:.2} ms (before the flood p50 {:.2} ms)",
            f.attempts,
            f.seconds,
            f.created,
            f.refused,
            ms(f.echo_p50),
            ms(f.echo_p99),
            ms(f.echo_before_p50)
        );
        println!(
            "passcode guesses from one address at the fastest pace the server allows: {} in the first minute",
            self.guesses_per_minute
        );
        for r in &self.rotations {
            println!(
                "rotation of {} people, 50 rounds: {:.0} ms until the first round, {:.0} ms server CPU; \
                 meanwhile /healthz at worst {:.1} ms, another meeting's chat at worst {:.1} ms",
                r.people,
                ms(r.command),
                r.server_cpu * 1000.0,
                ms(r.healthz_max),
                ms(r.other_meeting_max)
            );
        }
    }

    pub fn json(&self) -> Value {
        let chat = |c: &ChatCost| {
            json!({
                "lines": c.lines,
                "disk_bytes_per_line": c.disk_bytes_per_line,
                "store_writes_per_sec": c.writes_per_sec,
                "echo_p50_ms": ms(c.echo_p50),
                "echo_p99_ms": ms(c.echo_p99),
            })
        };
        json!({
            "chat_small": chat(&self.small),
            "chat_planned_1000": chat(&self.planned),
            "creation_flood": {
                "attempts": self.flood.attempts,
                "created": self.flood.created,
                "refused": self.flood.refused,
                "echo_p50_ms": ms(self.flood.echo_p50),
                "echo_p99_ms": ms(self.flood.echo_p99),
            },
            "passcode_guesses_per_minute": self.guesses_per_minute,
            "rotations": self.rotations.iter().map(|r| json!({
                "people": r.people,
                "command_ms": ms(r.command),
                "server_cpu_ms": r.server_cpu * 1000.0,
                "healthz_max_ms": ms(r.healthz_max),
                "other_meeting_max_ms": ms(r.other_meeting_max),
            })).collect::<Vec<_>>(),
        })
    }
}
