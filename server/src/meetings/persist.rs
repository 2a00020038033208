//! Writes one meeting's state to the store as it changes. A single task per meeting does every
//! write, always of the newest state (a burst of changes coalesces into one write), so writes can
//! never land out of order; `flush` waits until the newest state is on disk.

use crate::store::{MeetingRecord, Store};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// The actor's side of a meeting's writer task.
pub struct Persister {
    latest: watch::Sender<(u64, Option<Arc<MeetingRecord>>)>,
    flushes: mpsc::Sender<oneshot::Sender<()>>,
    version: u64,
}

impl Persister {
    /// Starts the writer task for one meeting.
    pub fn start(store: Store) -> Persister {
        let (latest, mut rx) = watch::channel((0u64, None::<Arc<MeetingRecord>>));
        let (flushes, mut flush_rx) = mpsc::channel::<oneshot::Sender<()>>(16);
        tokio::spawn(async move {
            let mut written = 0u64;
            loop {
                let flush = tokio::select! {
                    changed = rx.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        None
                    }
                    ack = flush_rx.recv() => match ack {
                        Some(ack) => Some(ack),
                        None => break,
                    },
                };
                let (version, record) = rx.borrow_and_update().clone();
                if version > written
                    && let Some(record) = record
                {
                    match store.save(&record).await {
                        Ok(()) => written = version,
                        Err(e) => {
                            tracing::error!(meeting = %record.id, error = %e, "could not save meeting")
                        }
                    }
                }
                if let Some(ack) = flush {
                    let _ = ack.send(());
                }
            }
        });
        Persister {
            latest,
            flushes,
            version: 0,
        }
    }

    /// Queues this state as the newest.
    pub fn save(&mut self, record: MeetingRecord) {
        self.version += 1;
        self.latest
            .send_replace((self.version, Some(Arc::new(record))));
    }

    /// Resolves once the newest state is written (or the writer is gone).
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.flushes.send(ack).await.is_ok() {
            let _ = done.await;
        }
    }
}
