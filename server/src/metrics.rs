//! Counters and gauges for `/metrics`, in Prometheus' text format. Plain atomics: every actor and
//! connection updates them without locks.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Process-wide figures.
#[derive(Default, Debug)]
pub struct Metrics {
    pub participants: AtomicI64,
    pub rooms: AtomicI64,
    pub connections: AtomicI64,
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub rejected_commands: AtomicU64,
    pub protocol_errors: AtomicU64,
    pub rate_limited: AtomicU64,
    pub slow_clients_dropped: AtomicU64,
    pub media_peers: AtomicI64,
    pub media_tracks: AtomicI64,
    pub media_packets_forwarded: AtomicU64,
    pub media_keyframe_requests_relayed: AtomicU64,
}

impl Metrics {
    /// Renders every figure, plus the number of live meetings.
    pub fn render(&self, meetings: usize) -> String {
        let mut out = String::new();
        let mut line = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP plenary_{name} {help}");
            let _ = writeln!(out, "# TYPE plenary_{name} {kind}");
            let _ = writeln!(out, "plenary_{name} {value}");
        };
        let g = |a: &AtomicI64| a.load(Ordering::Relaxed).to_string();
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        line("meetings", "gauge", "Live meetings.", meetings.to_string());
        line(
            "participants",
            "gauge",
            "Participants present in all meetings.",
            g(&self.participants),
        );
        line(
            "rooms",
            "gauge",
            "Breakout rooms defined in all meetings.",
            g(&self.rooms),
        );
        line(
            "connections",
            "gauge",
            "Open WebSocket connections.",
            g(&self.connections),
        );
        line(
            "messages_in_total",
            "counter",
            "Frames received from clients.",
            c(&self.messages_in),
        );
        line(
            "messages_out_total",
            "counter",
            "Frames queued for clients.",
            c(&self.messages_out),
        );
        line(
            "rejected_commands_total",
            "counter",
            "Commands the meeting refused.",
            c(&self.rejected_commands),
        );
        line(
            "protocol_errors_total",
            "counter",
            "Malformed, oversized or out-of-order frames.",
            c(&self.protocol_errors),
        );
        line(
            "rate_limited_total",
            "counter",
            "Frames dropped by the rate limit.",
            c(&self.rate_limited),
        );
        line(
            "slow_clients_dropped_total",
            "counter",
            "Clients dropped for not keeping up.",
            c(&self.slow_clients_dropped),
        );
        line(
            "media_peers",
            "gauge",
            "Open WebRTC connections.",
            g(&self.media_peers),
        );
        line(
            "media_tracks",
            "gauge",
            "Tracks being published.",
            g(&self.media_tracks),
        );
        line(
            "media_packets_forwarded_total",
            "counter",
            "RTP packets forwarded to receivers.",
            c(&self.media_packets_forwarded),
        );
        line(
            "media_keyframe_requests_relayed_total",
            "counter",
            "Receivers' keyframe requests passed on to publishers.",
            c(&self.media_keyframe_requests_relayed),
        );
        out
    }

    /// Adds `delta` to a gauge.
    pub fn shift(gauge: &AtomicI64, delta: i64) {
        if delta != 0 {
            gauge.fetch_add(delta, Ordering::Relaxed);
        }
    }

    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        Metrics::bump(&m.messages_in);
        Metrics::shift(&m.participants, 3);
        let text = m.render(2);
        assert!(text.contains("plenary_meetings 2\n"));
        assert!(text.contains("plenary_participants 3\n"));
        assert!(text.contains("plenary_messages_in_total 1\n"));
        assert!(text.contains("# TYPE plenary_rooms gauge\n"));
    }
}
