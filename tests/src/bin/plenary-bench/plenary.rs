//! Part 6 of the bench, the big plenary: one main session grown step by step (on a server of
//! its own, with its default selection: 3 voices, 25 videos) until loss passes 0.5 %. Prints
//! its table against the targets and gives its JSON.

use crate::report::ms;
use crate::{Args, start_server};
use plenary_e2e::Result;
use plenary_e2e::plenary_bench::{self, PlenaryStep, THUMBNAILS};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

pub struct Plenary {
    pub steps: Vec<PlenaryStep>,
}

/// Runs the steps of `args.plenary_people` in turn, stopping after the first over the limit
/// (run twice before it counts: one noisy moment must not end the series).
pub async fn run(args: &Args, data: &Path) -> Result<Plenary> {
    let (server, addr) = start_server(args, data)?;
    let pid = Some(server.pid());
    let mut steps = Vec::new();
    println!("\n(plenary steps)");
    for &people in &args.plenary_people {
        let mut step = plenary_bench::plenary_step(addr, pid, people, args.window).await?;
        print_step(&step);
        if !step.within_limits() {
            let again = plenary_bench::plenary_step(addr, pid, people, args.window).await?;
            print_step(&again);
            if again.within_limits() {
                step = again;
            }
        }
        let over = !step.within_limits();
        steps.push(step);
        if over {
            break;
        }
    }
    Ok(Plenary { steps })
}

/// One step as a row of the table (printed as each step ends, and in the table at the end).
fn row(s: &PlenaryStep) -> String {
    format!(
        "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} / {} | {:.2} | {:.0} | {} |",
        s.people,
        s.forwarded_pps,
        s.loss * 100.0,
        s.server_cores,
        s.server_millicores_per_receiver,
        s.load_cores,
        s.audio_streams,
        s.video_streams,
        s.down_mbit,
        ms(s.last_join),
        s.incomplete
    )
}

fn print_step(s: &PlenaryStep) {
    println!("plenary step {}", row(s));
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "missed" }
}

impl Plenary {
    /// The largest step within the loss limit.
    fn capacity(&self) -> Option<&PlenaryStep> {
        self.steps.iter().rfind(|s| s.within_limits())
    }

    pub fn print(&self) {
        println!("\n### 6. Big plenary: 3 speakers, the rest silent, 25 thumbnails each\n");
        println!(
            "(a step is over the limit with loss above 0.5 % or a receiver that never got all it should)\n"
        );
        println!(
            "| people | pkt/s forwarded | loss % | server cores | mcore/receiver | load cores | audio/video streams | Mbit/s down | N-th join ms | receivers short |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for s in &self.steps {
            println!("{}", row(s));
        }
        let Some(cap) = self.capacity() else {
            println!("\nno step stayed within 0.5 % loss");
            return;
        };
        let worst_per_receiver = self
            .steps
            .iter()
            .map(|s| s.server_millicores_per_receiver)
            .fold(0.0, f64::max);
        let per_core = if worst_per_receiver > 0.0 {
            1000.0 / worst_per_receiver
        } else {
            0.0
        };
        // Who ran out of core at the first step past the limit (or the last step run).
        let past = self
            .steps
            .iter()
            .find(|s| !s.within_limits())
            .or(self.steps.last());
        let bound = match past.map(|s| (s.server_cores >= 0.9, s.load_bound())) {
            Some((true, true)) => {
                "; past it, the server and the load generator both used their whole core"
            }
            Some((true, false)) => "; past it, the server used its whole core",
            Some((false, true)) => {
                "; past it, the load generator's one core was the limit, not the server"
            }
            _ => "",
        };
        println!(
            "\nlargest N within 0.5 % loss: {} (target ≥ 300: {}){bound}",
            cap.people,
            met(cap.people >= 300),
        );
        println!(
            "server CPU per receiver at most {worst_per_receiver:.2} mcore: one full server core would carry about {per_core:.0} receivers"
        );
        println!(
            "per receiver: ≤ {} audio (target ≤ 3: {}), ≤ {} video (target ≤ {THUMBNAILS}: {}), {:.2} Mbit/s down (target ≤ 2.5: {})",
            cap.audio_streams,
            met(cap.audio_streams <= 3),
            cap.video_streams,
            met(cap.video_streams <= THUMBNAILS),
            cap.down_mbit,
            met(cap.down_mbit <= 2.5)
        );
        println!(
            "the N-th joins in {:.0} ms to a first frame (target ≤ 1 s: {})",
            ms(cap.last_join),
            met(cap.last_join <= Duration::from_secs(1))
        );
    }

    pub fn json(&self) -> Value {
        json!({
            "steps": self.steps.iter().map(|s| json!({
                "people": s.people,
                "forwarded_pps": s.forwarded_pps,
                "loss": s.loss,
                "server_cores": s.server_cores,
                "server_millicores_per_receiver": s.server_millicores_per_receiver,
                "load_cores": s.load_cores,
                "audio_streams": s.audio_streams,
                "video_streams": s.video_streams,
                "down_mbit": s.down_mbit,
                "last_join_ms": ms(s.last_join),
                "receivers_short": s.incomplete,
            })).collect::<Vec<_>>(),
            "capacity": self.capacity().map(|s| s.people),
        })
    }
}
