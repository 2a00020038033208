//! Batched datagram I/O on the one media socket: `recvmmsg` reads up to `BATCH` datagrams in one
//! system call, `sendmmsg` writes up to `BATCH` (to as many addresses) in one. Both through
//! `nix`'s safe wrappers, so this module needs no `unsafe` of its own. Received datagrams are
//! cut out of one buffer per batch (`BytesMut::split_to`), so reading allocates once per batch,
//! not once per packet.

use bytes::BytesMut;
use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg};
use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams per system call.
pub const BATCH: usize = 64;
/// Room for one datagram (a media packet is at most about 1,200 bytes; STUN and DTLS less).
pub const DATAGRAM: usize = 2048;

/// The socket buffers asked for in each direction. One socket carries everyone's media, so
/// the kernel's default (about 200 KiB) fills in a few milliseconds of a burst — while the loop
/// is busy with a handshake, say — and what arrives then is dropped (a lost DTLS flight costs a
/// second's retransmission). Jitsi and LiveKit ask for megabytes too; Linux grants at most
/// `net.core.rmem_max` / `wmem_max`.
pub const SOCKET_BUFFER: usize = 8 << 20;

/// Asks for `SOCKET_BUFFER` bytes of buffer each way; returns what the kernel granted (it
/// reports twice what it keeps for data).
pub fn enlarge_buffers(socket: &std::net::UdpSocket) -> io::Result<(usize, usize)> {
    use nix::sys::socket::{getsockopt, setsockopt, sockopt};
    setsockopt(socket, sockopt::RcvBuf, &SOCKET_BUFFER).map_err(to_io)?;
    setsockopt(socket, sockopt::SndBuf, &SOCKET_BUFFER).map_err(to_io)?;
    Ok((
        getsockopt(socket, sockopt::RcvBuf).map_err(to_io)?,
        getsockopt(socket, sockopt::SndBuf).map_err(to_io)?,
    ))
}

/// The reusable headers of both directions.
pub struct BatchIo {
    recv: MultiHeaders<SockaddrStorage>,
    send: MultiHeaders<SockaddrStorage>,
}

impl Default for BatchIo {
    fn default() -> Self {
        BatchIo {
            recv: MultiHeaders::preallocate(BATCH, None),
            send: MultiHeaders::preallocate(BATCH, None),
        }
    }
}

fn to_io(e: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

impl BatchIo {
    /// Reads what is waiting (at most `BATCH` datagrams) without blocking; an empty result
    /// means nothing was waiting.
    pub fn recv(&mut self, socket: &UdpSocket) -> io::Result<Vec<(SocketAddr, BytesMut)>> {
        let mut buffer = BytesMut::zeroed(BATCH * DATAGRAM);
        let mut lengths: Vec<(usize, Option<SocketAddr>)> = Vec::with_capacity(BATCH);
        let fd = socket.as_raw_fd();
        let headers = &mut self.recv;
        let read = socket.try_io(Interest::READABLE, || {
            let mut slices: Vec<[IoSliceMut<'_>; 1]> = buffer
                .chunks_mut(DATAGRAM)
                .map(|chunk| [IoSliceMut::new(chunk)])
                .collect();
            let results = recvmmsg(fd, headers, slices.iter_mut(), MsgFlags::MSG_DONTWAIT, None)
                .map_err(to_io)?;
            for msg in results {
                let from = msg.address.and_then(|a| {
                    a.as_sockaddr_in()
                        .map(|v4| SocketAddr::from(std::net::SocketAddrV4::from(*v4)))
                        .or_else(|| {
                            a.as_sockaddr_in6()
                                .map(|v6| SocketAddr::from(std::net::SocketAddrV6::from(*v6)))
                        })
                });
                lengths.push((msg.bytes, from));
            }
            Ok(())
        });
        match read {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Vec::new()),
            Err(e) => return Err(e),
        }
        let mut out = Vec::with_capacity(lengths.len());
        for (len, from) in lengths {
            let mut datagram = buffer.split_to(DATAGRAM);
            datagram.truncate(len);
            if let Some(from) = from {
                out.push((from, datagram));
            }
        }
        Ok(out)
    }

    /// Sends `datagrams` (at most `BATCH`), waiting while the socket's buffer is full. Returns
    /// how many went; one the network refuses (an unreachable address) is skipped.
    pub async fn send(
        &mut self,
        socket: &UdpSocket,
        datagrams: &[(SocketAddr, BytesMut)],
    ) -> io::Result<usize> {
        let mut done = 0;
        while done < datagrams.len() {
            let rest = &datagrams[done..datagrams.len().min(done + BATCH)];
            let fd = socket.as_raw_fd();
            let headers = &mut self.send;
            let sent = socket.try_io(Interest::WRITABLE, || {
                let slices: Vec<[IoSlice<'_>; 1]> =
                    rest.iter().map(|(_, d)| [IoSlice::new(d)]).collect();
                let addrs: Vec<Option<SockaddrStorage>> = rest
                    .iter()
                    .map(|(a, _)| Some(SockaddrStorage::from(*a)))
                    .collect();
                let results = sendmmsg(fd, headers, slices.iter(), &addrs, [], MsgFlags::empty())
                    .map_err(to_io)?;
                Ok(results.count())
            });
            match sent {
                Ok(0) => done += 1,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => socket.writable().await?,
                Err(e) => {
                    tracing::debug!(error = %e, to = %rest[0].0, "media datagram not sent");
                    done += 1;
                }
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batches_go_out_and_come_back_whole() -> io::Result<()> {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let (to, from) = (b.local_addr()?, a.local_addr()?);
        let mut io_a = BatchIo::default();
        let mut io_b = BatchIo::default();
        let datagrams: Vec<(SocketAddr, BytesMut)> = (0..150u16)
            .map(|i| (to, BytesMut::from(&format!("datagram {i}")[..])))
            .collect();
        assert_eq!(io_a.send(&a, &datagrams).await?, 150);
        let mut got = Vec::new();
        while got.len() < 150 {
            b.readable().await?;
            for (addr, data) in io_b.recv(&b)? {
                assert_eq!(addr, from);
                got.push(String::from_utf8_lossy(&data).into_owned());
            }
        }
        assert_eq!(got[0], "datagram 0");
        assert_eq!(got[149], "datagram 149");
        assert!(io_b.recv(&b)?.is_empty(), "nothing more");
        Ok(())
    }

    #[test]
    fn buffers_grow_past_the_default() -> io::Result<()> {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
        let before = nix::sys::socket::getsockopt(&socket, nix::sys::socket::sockopt::RcvBuf)
            .map_err(to_io)?;
        let (recv, send) = enlarge_buffers(&socket)?;
        // Linux caps the request at rmem_max; asked for more than the default, it gives more
        // unless rmem_max is the default itself.
        let max: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        if max > before {
            assert!(recv > before, "receive buffer {before} -> {recv}");
        }
        assert!(send > 0);
        Ok(())
    }
}
