//! ICE-TCP: media for browsers whose network blocks UDP. The server offers a passive TCP
//! candidate (RFC 6544) on one listening port; a browser connects out to it and sends STUN, DTLS,
//! SRTP and RTCP as RFC 4571 frames (a 16-bit length, then the datagram). This module is only
//! the I/O: each connection has a reader task, which turns frames into `TcpEvent`s for the
//! media loop, and a writer task fed by a bounded queue. The loop hands the frames to the same
//! core as UDP datagrams, told apart by transport in `demux.rs`.
//!
//! Bounds: at most `MAX_CONNECTIONS` connections; a connection that sends nothing within
//! `FIRST_FRAME_TIMEOUT`, or whose first frame belongs to no media connection, is closed; a
//! receiver whose TCP path falls behind by `WRITE_QUEUE` frames loses packets, as it would over
//! UDP, instead of holding up the loop.

use super::demux::Remote;
use bytes::BytesMut;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
#[cfg(test)]
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// ICE-TCP connections the server keeps at once.
pub const MAX_CONNECTIONS: usize = 4096;

/// How long a new connection may stay silent.
pub const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// Frames queued for one connection's writer.
pub const WRITE_QUEUE: usize = 512;

/// Frames from all connections waiting for the loop.
pub const EVENT_QUEUE: usize = 1024;

/// What the connections tell the loop.
pub enum TcpEvent {
    Opened { from: SocketAddr, conn: Conn },
    Frame { from: SocketAddr, data: BytesMut },
    Closed { from: SocketAddr },
}

/// The loop's handle on one connection: dropping it closes the connection.
pub struct Conn {
    tx: mpsc::Sender<BytesMut>,
    reader: AbortHandle,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Every open ICE-TCP connection, as the loop keeps them.
#[derive(Default)]
pub struct TcpConns {
    conns: HashMap<SocketAddr, Conn>,
}

impl TcpConns {
    /// Takes in what a connection said; returns a frame for the core.
    pub fn event(&mut self, event: TcpEvent) -> Option<(Remote, BytesMut)> {
        match event {
            TcpEvent::Opened { from, conn } => {
                if self.conns.len() >= MAX_CONNECTIONS {
                    tracing::warn!(%from, "too many ICE-TCP connections; refused");
                } else {
                    self.conns.insert(from, conn);
                }
                None
            }
            TcpEvent::Frame { from, data } => self
                .conns
                .contains_key(&from)
                .then(|| (Remote::tcp(from), data)),
            TcpEvent::Closed { from } => {
                self.conns.remove(&from);
                None
            }
        }
    }

    /// Queues a frame for `to`; dropped if its connection is gone or far behind.
    pub fn send(&mut self, to: SocketAddr, data: BytesMut) {
        if let Some(conn) = self.conns.get(&to)
            && conn.tx.try_send(data).is_err()
        {
            tracing::trace!(%to, "ICE-TCP writer behind; packet dropped");
        }
    }

    /// Closes the connection from `from` (its first frame was for nobody).
    pub fn close(&mut self, from: SocketAddr) {
        self.conns.remove(&from);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.conns.len()
    }
}

/// Accepts connections until the loop is gone.
pub async fn accept(listener: TcpListener, events: mpsc::Sender<TcpEvent>) {
    loop {
        let (stream, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::debug!(error = %e, "ICE-TCP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if events.is_closed() {
            return;
        }
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        tokio::spawn(write_frames(write, rx));
        let reader = tokio::spawn(read_frames(read, from, events.clone()));
        let conn = Conn {
            tx,
            reader: reader.abort_handle(),
        };
        if events.send(TcpEvent::Opened { from, conn }).await.is_err() {
            return;
        }
    }
}

/// Reads RFC 4571 frames and passes them on, until the connection ends.
async fn read_frames(
    mut read: tokio::net::tcp::OwnedReadHalf,
    from: SocketAddr,
    events: mpsc::Sender<TcpEvent>,
) {
    let mut first = true;
    loop {
        let mut len = [0u8; 2];
        let got = if first {
            match tokio::time::timeout(FIRST_FRAME_TIMEOUT, read.read_exact(&mut len)).await {
                Ok(got) => got,
                Err(_) => break,
            }
        } else {
            read.read_exact(&mut len).await
        };
        if got.is_err() {
            break;
        }
        first = false;
        let mut data = BytesMut::zeroed(usize::from(u16::from_be_bytes(len)));
        if read.read_exact(&mut data).await.is_err() {
            break;
        }
        if data.is_empty() {
            continue;
        }
        if events.send(TcpEvent::Frame { from, data }).await.is_err() {
            return;
        }
    }
    let _ = events.send(TcpEvent::Closed { from }).await;
}

/// Writes queued datagrams as frames; ends when the loop drops the connection.
async fn write_frames(
    mut write: tokio::net::tcp::OwnedWriteHalf,
    mut rx: mpsc::Receiver<BytesMut>,
) {
    let mut buf = Vec::with_capacity(16 * 1024);
    while let Some(first) = rx.recv().await {
        buf.clear();
        let mut next = Some(first);
        // What is queued goes out in one write.
        while let Some(data) = next {
            match u16::try_from(data.len()) {
                Ok(len) => {
                    buf.extend_from_slice(&len.to_be_bytes());
                    buf.extend_from_slice(&data);
                }
                Err(_) => tracing::debug!(len = data.len(), "datagram too large for a frame"),
            }
            next = if buf.len() < 64 * 1024 {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if write.write_all(&buf).await.is_err() {
            return;
        }
    }
    let _ = write.shutdown().await;
}

/// Binds the ICE-TCP listener.
pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Connects to an ICE-TCP listener, for tests: frames out and in.
#[cfg(test)]
pub async fn frame(stream: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(data.len()).map_err(std::io::Error::other)?;
    stream.write_all(&len.to_be_bytes()).await?;
    stream.write_all(data).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_arrive_whole_and_replies_go_back_framed() {
        let listener =
            TcpListener::from_std(bind("127.0.0.1:0".parse().expect("addr")).expect("bind"))
                .expect("listener");
        let addr = listener.local_addr().expect("addr");
        let (tx, mut rx) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(accept(listener, tx));
        let mut client = TcpStream::connect(addr).await.expect("connect");
        let mut conns = TcpConns::default();
        let Some(opened) = rx.recv().await else {
            panic!("no connection event");
        };
        assert!(conns.event(opened).is_none());
        assert_eq!(conns.len(), 1);
        // Two frames written in pieces arrive as two whole datagrams.
        frame(&mut client, b"hello").await.expect("write");
        frame(&mut client, &[7u8; 1200]).await.expect("write");
        let mut got = Vec::new();
        while got.len() < 2 {
            let Some(event) = rx.recv().await else { break };
            if let Some((remote, data)) = conns.event(event) {
                assert_eq!(remote, Remote::tcp(client.local_addr().expect("addr")));
                got.push(data);
            }
        }
        assert_eq!(&got[0][..], b"hello");
        assert_eq!(got[1].len(), 1200);
        // A reply is framed.
        conns.send(
            client.local_addr().expect("addr"),
            BytesMut::from(&b"back"[..]),
        );
        let mut head = [0u8; 6];
        client.read_exact(&mut head).await.expect("read");
        assert_eq!(&head, b"\x00\x04back");
        // Closing it on the loop's side ends the connection.
        conns.close(client.local_addr().expect("addr"));
        let mut rest = Vec::new();
        let n = client.read_to_end(&mut rest).await.expect("eof");
        assert_eq!(n, 0);
    }
}
