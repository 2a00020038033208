//! The one socket loop around the forwarding core: a single UDP socket for every participant of
//! every meeting, read with `recvmmsg` and written with `sendmmsg` (`udp.rs`), one timer for all
//! connections (the core's), and a bounded control channel from the meetings' actors. Signals
//! for participants go back to their meeting's actor, which owns their WebSocket: this loop
//! never writes a WebSocket frame. A new `MediaMap` is applied, and acknowledged, before the
//! actor tells anyone they moved. ICE-TCP connections (`tcp.rs`) feed the same loop and core.

use super::core::{Core, CoreConfig, MeetingKey, Output};
use super::demux::Remote;
use super::tcp::{self, TcpConns, TcpEvent};
use super::turn::IceSettings;
use super::udp::BatchIo;
use super::{MediaConfig, MediaError, MediaMap};
use crate::metrics::Metrics;
use bytes::BytesMut;
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ClientSignal, ServerSignal};
use rtc::crypto::{self, SignatureScheme};
use rtc::peer_connection::certificate::{CertificateParams, RTCCertificate};
use rtc::shared::TransportProtocol;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::net::{TcpListener, UdpSocket};
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
        let tcp_listener = match config.tcp_port {
            Some(port) => Some(tcp::bind(SocketAddr::new(config.bind, port)).map_err(no_port)?),
            None => None,
        };
        let tcp_candidate = match &tcp_listener {
            Some(l) => {
                let addr = l.local_addr().map_err(no_port)?;
                Some(SocketAddr::new(
                    config.announce.unwrap_or(addr.ip()),
                    addr.port(),
                ))
            }
            None => None,
        };
        let provider = crypto::default_provider()?;
        let certificate = RTCCertificate::generate(
            provider.crypto(),
            SignatureScheme::EcdsaP256Sha256,
            CertificateParams::new(vec!["plenary".to_owned()])
                .map_err(|e| MediaError::Internal(e.to_string()))?,
        )?;
        let core = Core::new(
            CoreConfig {
                candidate,
                tcp_candidate,
                offer_udp: config.offer_udp,
                certificate,
                selection: config.selection,
            },
            metrics,
        );
        let (tx, rx) = mpsc::channel(CONTROL_CAPACITY);
        let ice = config.ice.clone();
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
                    let (tcp_tx, tcp_events) = mpsc::channel(tcp::EVENT_QUEUE);
                    if let Some(listener) = tcp_listener {
                        match TcpListener::from_std(listener) {
                            Ok(listener) => {
                                tokio::spawn(tcp::accept(listener, tcp_tx));
                            }
                            Err(e) => tracing::error!(error = %e, "ICE-TCP listener unusable"),
                        }
                    }
                    match UdpSocket::from_std(std_socket) {
                        Ok(socket) => {
                            let state = Loop {
                                core,
                                io: BatchIo::default(),
                                socket,
                                out: Vec::with_capacity(super::udp::BATCH),
                                signals: HashMap::new(),
                                ice,
                                tcp: TcpConns::default(),
                            };
                            run(state, rx, tcp_events).await;
                        }
                        Err(e) => tracing::error!(error = %e, "media socket unusable"),
                    }
                });
            })
            .map_err(|e| MediaError::Internal(e.to_string()))?;
        tracing::info!(%local, %candidate, tcp = ?tcp_candidate, "media socket open");
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

/// The loop's state: the core and everything it writes to.
struct Loop {
    core: Core,
    io: BatchIo,
    socket: UdpSocket,
    out: Vec<(SocketAddr, BytesMut)>,
    signals: HashMap<MeetingKey, mpsc::UnboundedSender<(ParticipantId, ServerSignal)>>,
    ice: IceSettings,
    tcp: TcpConns,
}

/// The loop: reads, feeds the core, writes what it gives back, until every handle is gone.
async fn run(
    mut state: Loop,
    mut rx: mpsc::Receiver<Control>,
    mut tcp_events: mpsc::Receiver<TcpEvent>,
) {
    loop {
        state.drain().await;
        let timeout = state.core.poll_timeout();
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
                state.apply(control).await;
            }
            readable = state.socket.readable() => {
                if readable.is_err() {
                    continue;
                }
                match state.io.recv(&state.socket) {
                    Ok(batch) => {
                        let now = Instant::now();
                        // What a few datagrams make goes out before the rest of the batch is
                        // read: a whole batch first would hold the first packet back for as
                        // long as 64 packets to 20 receivers take.
                        for (i, (from, data)) in batch.into_iter().enumerate() {
                            state.core.handle_datagram(now, Remote::udp(from), data);
                            if i % DRAIN_EVERY == DRAIN_EVERY - 1 {
                                state.drain().await;
                            }
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "media socket read failed"),
                }
            }
            Some(event) = tcp_events.recv() => {
                if let Some((from, data)) = state.tcp.event(event)
                    && !state.core.handle_datagram(Instant::now(), from, data)
                {
                    // Nobody's: a stranger or a connection already gone.
                    state.tcp.close(from.addr);
                }
            }
            () = timer => state.core.handle_timeout(Instant::now()),
        }
    }
    tracing::info!("media loop stopped");
}

impl Loop {
    async fn apply(&mut self, control: Control) {
        let now = Instant::now();
        match control {
            Control::Register {
                meeting,
                signals: tx,
            } => {
                self.signals.insert(meeting, tx);
            }
            Control::Map {
                meeting,
                map,
                applied,
            } => {
                self.core.handle_map(meeting, map, now);
                // Re-pointed before anyone hears they moved: the routes are in place now.
                self.drain().await;
                let _ = applied.send(());
            }
            Control::Signal {
                meeting,
                who,
                signal,
            } => self.core.handle_signal(meeting, who, signal, now),
            Control::Reconnected { meeting, who } => self.core.handle_reconnected(meeting, who),
            Control::Forget { meeting } => {
                self.core.forget_meeting(meeting, now);
                self.signals.remove(&meeting);
            }
        }
    }

    /// Sends everything the core has, in batches, and hands signals to their meetings.
    async fn drain(&mut self) {
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Transmit { to, data } if to.transport == TransportProtocol::TCP => {
                    self.tcp.send(to.addr, data);
                }
                Output::Transmit { to, data } => {
                    self.out.push((to.addr, data));
                    if self.out.len() >= super::udp::BATCH {
                        self.flush().await;
                    }
                }
                Output::Signal {
                    meeting,
                    who,
                    mut signal,
                } => {
                    if let ServerSignal::Offer { ice, .. } = &mut signal {
                        *ice = self.ice.config_for(who, unix_now());
                    }
                    if let Some(tx) = self.signals.get(&meeting) {
                        let _ = tx.send((who, signal));
                    }
                }
            }
        }
        self.flush().await;
    }

    async fn flush(&mut self) {
        if self.out.is_empty() {
            return;
        }
        if let Err(e) = self.io.send(&self.socket, &self.out).await {
            tracing::debug!(error = %e, "media socket write failed");
        }
        self.out.clear();
    }
}

/// Seconds since the Unix epoch (TURN credentials expire in wall-clock time).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
