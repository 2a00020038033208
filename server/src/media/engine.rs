//! The one socket loop around the forwarding core: a single UDP socket for every participant of
//! every meeting, read with `recvmmsg` and written with `sendmmsg` (`udp.rs`), one timer for all
//! connections (the core's), and a bounded control channel from the meetings' actors. Signals
//! for participants go back to their meeting's actor, which owns their WebSocket: this loop
//! never writes a WebSocket frame. A new `MediaMap` is applied, and acknowledged, before the
//! actor tells anyone they moved.

use super::core::{Core, CoreConfig, MeetingKey, Output};
use super::udp::BatchIo;
use super::{MediaConfig, MediaError, MediaMap};
use crate::metrics::Metrics;
use bytes::BytesMut;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ClientSignal, ServerSignal};
use rtc::crypto::{self, SignatureScheme};
use rtc::peer_connection::certificate::{CertificateParams, RTCCertificate};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// Control messages waiting for the media loop, at most (senders wait beyond that).
pub const CONTROL_CAPACITY: usize = 4096;

/// Datagrams read between two sends of what they produced.
const DRAIN_EVERY: usize = 4;

/// Signals the loop has for one meeting's participants.
pub type Signals = mpsc::UnboundedReceiver<(ParticipantId, ServerSignal)>;

enum Control {
    Register {
        meeting: MeetingKey,
        signals: mpsc::UnboundedSender<(ParticipantId, ServerSignal)>,
    },
    Map {
        meeting: MeetingKey,
        map: MediaMap,
        applied: oneshot::Sender<()>,
    },
    Signal {
        meeting: MeetingKey,
        who: ParticipantId,
        signal: ClientSignal,
    },
    Reconnected {
        meeting: MeetingKey,
        who: ParticipantId,
    },
    Forget {
        meeting: MeetingKey,
    },
}

/// The server's media: a handle on the loop. Cheap to clone.
#[derive(Clone)]
pub struct Media {
    tx: mpsc::Sender<Control>,
    next: Arc<AtomicU64>,
    addr: SocketAddr,
}

impl Media {
    /// Binds the media socket and starts the loop (on the current Tokio runtime).
    pub fn start(config: &MediaConfig, metrics: Arc<Metrics>) -> Result<Media, MediaError> {
        let no_port = |e: std::io::Error| MediaError::NoPort(e.to_string());
        let std_socket = std::net::UdpSocket::bind(SocketAddr::new(config.bind, config.port))
            .map_err(no_port)?;
        std_socket.set_nonblocking(true).map_err(no_port)?;
        match super::udp::enlarge_buffers(&std_socket) {
            Ok((recv, send)) => tracing::debug!(recv, send, "media socket buffers"),
            Err(e) => tracing::warn!(error = %e, "media socket buffers left as they were"),
        }
        let local = std_socket.local_addr().map_err(no_port)?;
        let candidate = SocketAddr::new(config.announce.unwrap_or(local.ip()), local.port());
        let provider = crypto::default_provider()?;
        let certificate = RTCCertificate::generate(
            provider.crypto(),
            SignatureScheme::EcdsaP256Sha256,
            CertificateParams::new(vec!["plenary".to_owned()])
                .map_err(|e| MediaError::Internal(e.to_string()))?,
        )?;
        let core = Core::new(
            CoreConfig {
                local,
                candidate,
                certificate,
            },
            metrics,
        );
        let (tx, rx) = mpsc::channel(CONTROL_CAPACITY);
        // The loop has a thread (and a core) of its own, with a single-threaded runtime: nothing
        // else's work delays forwarding, and it ends when the last handle is dropped.
        std::thread::Builder::new()
            .name("plenary-media".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "media loop cannot start");
                        return;
                    }
                };
                runtime.block_on(async move {
                    match UdpSocket::from_std(std_socket) {
                        Ok(socket) => run(socket, core, rx).await,
                        Err(e) => tracing::error!(error = %e, "media socket unusable"),
                    }
                });
            })
            .map_err(|e| MediaError::Internal(e.to_string()))?;
        tracing::info!(%local, %candidate, "media socket open");
        Ok(Media {
            tx,
            next: Arc::new(AtomicU64::new(1)),
            addr: local,
        })
    }

    /// The media socket's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A meeting's own handle, and where its participants' signals arrive.
    pub async fn meeting(&self) -> (MeetingMedia, Signals) {
        let meeting = self.next.fetch_add(1, Ordering::Relaxed);
        let (signals_tx, signals) = mpsc::unbounded_channel();
        let _ = self
            .tx
            .send(Control::Register {
                meeting,
                signals: signals_tx,
            })
            .await;
        (
            MeetingMedia {
                inner: Some((meeting, self.tx.clone())),
            },
            signals,
        )
    }
}

/// One meeting's side of the media: tells the loop who may receive whom and passes on its
/// participants' signalling. A meeting without media (`none`) ignores it all. Dropping it
/// closes the meeting's connections.
pub struct MeetingMedia {
    inner: Option<(MeetingKey, mpsc::Sender<Control>)>,
}

impl MeetingMedia {
    /// Media that does nothing (a server started without media).
    pub fn none() -> MeetingMedia {
        MeetingMedia { inner: None }
    }

    /// Re-points forwarding to `map`; resolves once the loop has applied it.
    pub async fn update(&self, map: &MediaMap) {
        let Some((meeting, tx)) = &self.inner else {
            return;
        };
        let (applied, done) = oneshot::channel();
        let control = Control::Map {
            meeting: *meeting,
            map: map.clone(),
            applied,
        };
        if tx.send(control).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Signalling from `who`.
    pub async fn signal(&self, who: ParticipantId, signal: ClientSignal) {
        if let Some((meeting, tx)) = &self.inner {
            let _ = tx
                .send(Control::Signal {
                    meeting: *meeting,
                    who,
                    signal,
                })
                .await;
        }
    }

    /// `who` has a new signalling connection (an offer they missed goes again).
    pub async fn reconnected(&self, who: ParticipantId) {
        if let Some((meeting, tx)) = &self.inner {
            let _ = tx
                .send(Control::Reconnected {
                    meeting: *meeting,
                    who,
                })
                .await;
        }
    }
}

impl Drop for MeetingMedia {
    fn drop(&mut self) {
        if let Some((meeting, tx)) = self.inner.take()
            && tx.try_send(Control::Forget { meeting }).is_err()
        {
            // The loop is full or gone; forget it from a task so it is not left behind.
            tokio::spawn(async move {
                let _ = tx.send(Control::Forget { meeting }).await;
            });
        }
    }
}

/// The loop: reads, feeds the core, writes what it gives back, until every handle is gone.
async fn run(socket: UdpSocket, mut core: Core, mut rx: mpsc::Receiver<Control>) {
    let mut io = BatchIo::default();
    let mut signals: HashMap<MeetingKey, mpsc::UnboundedSender<(ParticipantId, ServerSignal)>> =
        HashMap::new();
    let mut out: Vec<(SocketAddr, BytesMut)> = Vec::with_capacity(super::udp::BATCH);
    loop {
        drain(&mut core, &mut io, &socket, &mut out, &signals).await;
        let timeout = core.poll_timeout();
        let timer = async {
            match timeout {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            biased;
            control = rx.recv() => {
                let Some(control) = control else { break };
                apply(&mut core, &mut signals, control, &mut io, &socket, &mut out).await;
            }
            readable = socket.readable() => {
                if readable.is_err() {
                    continue;
                }
                match io.recv(&socket) {
                    Ok(batch) => {
                        let now = Instant::now();
                        // What a few datagrams make goes out before the rest of the batch is
                        // read: a whole batch first would hold the first packet back for as
                        // long as 64 packets to 20 receivers take.
                        for (i, (from, data)) in batch.into_iter().enumerate() {
                            core.handle_datagram(now, from, data);
                            if i % DRAIN_EVERY == DRAIN_EVERY - 1 {
                                drain(&mut core, &mut io, &socket, &mut out, &signals).await;
                            }
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "media socket read failed"),
                }
            }
            () = timer => core.handle_timeout(Instant::now()),
        }
    }
    tracing::info!("media loop stopped");
}

async fn apply(
    core: &mut Core,
    signals: &mut HashMap<MeetingKey, mpsc::UnboundedSender<(ParticipantId, ServerSignal)>>,
    control: Control,
    io: &mut BatchIo,
    socket: &UdpSocket,
    out: &mut Vec<(SocketAddr, BytesMut)>,
) {
    let now = Instant::now();
    match control {
        Control::Register {
            meeting,
            signals: tx,
        } => {
            signals.insert(meeting, tx);
        }
        Control::Map {
            meeting,
            map,
            applied,
        } => {
            core.handle_map(meeting, map, now);
            // Re-pointed before anyone hears they moved: the routes are in place now.
            drain(core, io, socket, out, signals).await;
            let _ = applied.send(());
        }
        Control::Signal {
            meeting,
            who,
            signal,
        } => core.handle_signal(meeting, who, signal, now),
        Control::Reconnected { meeting, who } => core.handle_reconnected(meeting, who),
        Control::Forget { meeting } => {
            core.forget_meeting(meeting, now);
            signals.remove(&meeting);
        }
    }
}

/// Sends everything the core has, in batches, and hands signals to their meetings.
async fn drain(
    core: &mut Core,
    io: &mut BatchIo,
    socket: &UdpSocket,
    out: &mut Vec<(SocketAddr, BytesMut)>,
    signals: &HashMap<MeetingKey, mpsc::UnboundedSender<(ParticipantId, ServerSignal)>>,
) {
    while let Some(output) = core.poll_output() {
        match output {
            Output::Transmit { to, data } => {
                out.push((to, data));
                if out.len() >= super::udp::BATCH {
                    flush(io, socket, out).await;
                }
            }
            Output::Signal {
                meeting,
                who,
                signal,
            } => {
                if let Some(tx) = signals.get(&meeting) {
                    let _ = tx.send((who, signal));
                }
            }
        }
    }
    flush(io, socket, out).await;
}

async fn flush(io: &mut BatchIo, socket: &UdpSocket, out: &mut Vec<(SocketAddr, BytesMut)>) {
    if out.is_empty() {
        return;
    }
    if let Err(e) = io.send(socket, out).await {
        tracing::debug!(error = %e, "media socket write failed");
    }
    out.clear();
}
