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
    pub media_keyframe_requests_sent: AtomicU64,
    pub media_unroutable: AtomicU64,
    pub meetings_created: AtomicU64,
    pub meetings_creation_limited: AtomicU64,
    pub meetings_expired: AtomicU64,
    pub meetings_ended: AtomicU64,
    pub connections_refused: AtomicU64,
    pub join_timeouts: AtomicU64,
    pub passcode_failures: AtomicU64,
    pub passcode_throttled: AtomicU64,
    pub store_writes: AtomicU64,
    pub store_bytes: AtomicU64,
    pub store_failures: AtomicU64,
    pub store_dropped_lines: AtomicU64,
    /// Meetings whose last write to the store failed (0 when all is well).
    pub store_failing: AtomicI64,
}

impl Metrics {
    /// Renders every figure, plus the number of live meetings.
    pub fn render(&self, meetings: usize) -> String {
        let g = |a: &AtomicI64| a.load(Ordering::Relaxed).to_string();
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        let rows: [(&str, &str, &str, String); 29] = [
            ("meetings", "gauge", "Live meetings.", meetings.to_string()),
            (
                "participants",
                "gauge",
                "Participants present in all meetings.",
                g(&self.participants),
            ),
            (
                "rooms",
                "gauge",
                "Breakout rooms defined in all meetings.",
                g(&self.rooms),
            ),
            (
                "connections",
                "gauge",
                "Open WebSocket connections.",
                g(&self.connections),
            ),
            (
                "messages_in_total",
                "counter",
                "Frames received from clients.",
                c(&self.messages_in),
            ),
            (
                "messages_out_total",
                "counter",
                "Frames queued for clients.",
                c(&self.messages_out),
            ),
            (
                "rejected_commands_total",
                "counter",
                "Commands the meeting refused.",
                c(&self.rejected_commands),
            ),
            (
                "protocol_errors_total",
                "counter",
                "Malformed, oversized or out-of-order frames.",
                c(&self.protocol_errors),
            ),
            (
                "rate_limited_total",
                "counter",
                "Frames dropped by the rate limit.",
                c(&self.rate_limited),
            ),
            (
                "slow_clients_dropped_total",
                "counter",
                "Clients dropped for not keeping up.",
                c(&self.slow_clients_dropped),
            ),
            (
                "media_peers",
                "gauge",
                "Open WebRTC connections.",
                g(&self.media_peers),
            ),
            (
                "media_tracks",
                "gauge",
                "Tracks being published.",
                g(&self.media_tracks),
            ),
            (
                "media_packets_forwarded_total",
                "counter",
                "RTP packets forwarded to receivers.",
                c(&self.media_packets_forwarded),
            ),
            (
                "media_keyframe_requests_relayed_total",
                "counter",
                "Receivers' keyframe requests passed on to publishers.",
                c(&self.media_keyframe_requests_relayed),
            ),
            (
                "media_keyframe_requests_sent_total",
                "counter",
                "Keyframe requests (PLI) the server sent to publishers.",
                c(&self.media_keyframe_requests_sent),
            ),
            (
                "media_unroutable_total",
                "counter",
                "Datagrams on the media port that belong to no connection.",
                c(&self.media_unroutable),
            ),
            (
                "meetings_created_total",
                "counter",
                "Meetings created.",
                c(&self.meetings_created),
            ),
            (
                "meetings_creation_limited_total",
                "counter",
                "Meeting creations refused by the per-address rate limit.",
                c(&self.meetings_creation_limited),
            ),
            (
                "meetings_expired_total",
                "counter",
                "Idle meetings deleted.",
                c(&self.meetings_expired),
            ),
            (
                "meetings_ended_total",
                "counter",
                "Meetings ended by their host.",
                c(&self.meetings_ended),
            ),
            (
                "connections_refused_total",
                "counter",
                "WebSocket connections refused by the connection caps.",
                c(&self.connections_refused),
            ),
            (
                "join_timeouts_total",
                "counter",
                "Connections closed for not joining in time.",
                c(&self.join_timeouts),
            ),
            (
                "passcode_failures_total",
                "counter",
                "Wrong passcodes given.",
                c(&self.passcode_failures),
            ),
            (
                "passcode_throttled_total",
                "counter",
                "Passcode tries refused because they came too fast.",
                c(&self.passcode_throttled),
            ),
            (
                "store_writes_total",
                "counter",
                "Write transactions to the store.",
                c(&self.store_writes),
            ),
            (
                "store_bytes_total",
                "counter",
                "Bytes of state and chat handed to the store.",
                c(&self.store_bytes),
            ),
            (
                "store_failures_total",
                "counter",
                "Write transactions to the store that failed.",
                c(&self.store_failures),
            ),
            (
                "store_dropped_lines_total",
                "counter",
                "Chat lines dropped after the store failed for too long.",
                c(&self.store_dropped_lines),
            ),
            (
                "store_failing",
                "gauge",
                "Meetings whose latest write to the store failed.",
                g(&self.store_failing),
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            let _ = writeln!(out, "# HELP plenary_{name} {help}");
            let _ = writeln!(out, "# TYPE plenary_{name} {kind}");
            let _ = writeln!(out, "plenary_{name} {value}");
        }
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

    /// Whether some meeting's state is not reaching the store.
    pub fn store_degraded(&self) -> bool {
        self.store_failing.load(Ordering::Relaxed) > 0
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
        assert!(text.contains("plenary_store_failing 0\n"));
    }
}
