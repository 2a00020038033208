//! Writes one meeting to the store without ever making its actor wait. The actor stages the
//! newest state (at most every `STATE_EVERY`, and only after a change) and every chat line as it
//! is said; one writer task per meeting takes whatever is staged and writes it in one
//! transaction, then pauses `STATE_EVERY`, so a burst of changes or talk costs a write every
//! 200 ms at most, and writes can never land out of order. A failed write is logged, counted and
//! shown in `/healthz`; its batch is kept and tried again (newer state wins, chat lines are all
//! kept). `flush` waits until everything staged so far is on disk.

use crate::metrics::Metrics;
use crate::store::{Batch, ChatRow, MeetingRecord, Store};
use plenary_shared::ids::MeetingId;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};

/// The shortest time between two writes of one meeting.
pub const STATE_EVERY: Duration = Duration::from_millis(200);
/// How long to wait before trying a failed write again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Chat lines kept for a store that keeps failing (about 15 minutes of a busy meeting); beyond
/// it the oldest are dropped, logged and counted.
pub const MAX_PENDING_LINES: usize = 50_000;

#[derive(Default)]
struct Pending {
    batch: Batch,
    /// Flushes waiting for everything staged before them.
    waiters: Vec<oneshot::Sender<()>>,
    /// The writer should stop once nothing is pending.
    closing: bool,
    /// The writer should drop what is pending and stop at once, then answer.
    discard: Option<oneshot::Sender<()>>,
}

/// The actor's side of a meeting's writer task.
pub struct Persister {
    pending: Arc<Mutex<Pending>>,
    wake: Arc<Notify>,
}

impl Persister {
    /// Starts the writer task for one meeting.
    pub fn start(store: Store, id: MeetingId, metrics: Arc<Metrics>) -> Persister {
        let pending: Arc<Mutex<Pending>> = Arc::default();
        let wake = Arc::new(Notify::new());
        tokio::spawn(write_loop(
            store,
            id,
            metrics,
            pending.clone(),
            wake.clone(),
        ));
        Persister { pending, wake }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Pending) -> T) -> T {
        let out = f(&mut self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        self.wake.notify_one();
        out
    }

    /// Stages this state as the newest.
    pub fn state(&self, record: MeetingRecord) {
        self.with(|p| p.batch.state = Some(record));
    }

    /// Stages one chat line.
    pub fn chat(&self, row: ChatRow) {
        self.with(|p| p.batch.chat.push(row));
    }

    /// Drops the oldest staged chat lines beyond `MAX_PENDING_LINES`; returns how many went.
    fn trim(pending: &mut Pending) -> usize {
        let over = pending.batch.chat.len().saturating_sub(MAX_PENDING_LINES);
        pending.batch.chat.drain(..over);
        over
    }

    /// Resolves once everything staged so far is written (or the writer is gone).
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        self.with(|p| p.waiters.push(ack));
        let _ = done.await;
    }

    /// Drops whatever is staged and stops the writer; resolves once it can write no more (so the
    /// meeting can be deleted without a late write bringing it back).
    pub async fn discard(self) {
        let (ack, done) = oneshot::channel();
        self.with(|p| p.discard = Some(ack));
        let _ = done.await;
    }
}

impl Drop for Persister {
    /// The writer finishes what is staged, then stops.
    fn drop(&mut self) {
        self.with(|p| p.closing = true);
    }
}

async fn write_loop(
    store: Store,
    id: MeetingId,
    metrics: Arc<Metrics>,
    pending: Arc<Mutex<Pending>>,
    wake: Arc<Notify>,
) {
    let mut failing = false;
    loop {
        let (batch, waiters, closing) = {
            let mut p = pending.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(ack) = p.discard.take() {
                *p = Pending::default();
                let _ = ack.send(());
                break;
            }
            (
                std::mem::take(&mut p.batch),
                std::mem::take(&mut p.waiters),
                p.closing,
            )
        };
        let empty = batch.state.is_none() && batch.chat.is_empty();
        if empty {
            for w in waiters {
                let _ = w.send(());
            }
            if closing {
                break;
            }
            wake.notified().await;
            continue;
        }
        match store.write(&id, &batch).await {
            Ok(bytes) => {
                Metrics::bump(&metrics.store_writes);
                metrics
                    .store_bytes
                    .fetch_add(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::Relaxed);
                if failing {
                    failing = false;
                    Metrics::shift(&metrics.store_failing, -1);
                    tracing::info!(meeting = %id, "writing to the store works again");
                }
                for w in waiters {
                    let _ = w.send(());
                }
                tokio::time::sleep(STATE_EVERY).await;
            }
            Err(e) => {
                Metrics::bump(&metrics.store_failures);
                if !failing {
                    failing = true;
                    Metrics::shift(&metrics.store_failing, 1);
                }
                tracing::error!(meeting = %id, error = %e, "could not write meeting; will retry");
                // Put the batch back under anything staged meanwhile: newer state wins, and the
                // chat lines keep their order.
                {
                    let mut p = pending.lock().unwrap_or_else(PoisonError::into_inner);
                    if p.batch.state.is_none() {
                        p.batch.state = batch.state;
                    }
                    let newer = std::mem::take(&mut p.batch.chat);
                    p.batch.chat = batch.chat;
                    p.batch.chat.extend(newer);
                    p.waiters.splice(0..0, waiters);
                    let dropped = Persister::trim(&mut p);
                    if dropped > 0 {
                        metrics
                            .store_dropped_lines
                            .fetch_add(dropped as u64, Ordering::Relaxed);
                        tracing::error!(meeting = %id, dropped, "the store has failed too long; oldest unsaved chat lines dropped");
                    }
                }
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
    if failing {
        Metrics::shift(&metrics.store_failing, -1);
    }
}
