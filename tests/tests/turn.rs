//! TURN credentials against a real coturn: what the server hands a participant (in its media
//! offer, the coturn `use-auth-secret` scheme) gets a relay allocation; the same made with an
//! expiry in the past, or under another secret, is refused. The allocation is made by
//! webrtc-rs's sans-IO TURN client over a loopback UDP socket.

use plenary_e2e::turn::Coturn;
use plenary_e2e::{DEADLINE, HarnessError, Result};
use plenary_server::media::turn::{Turn, credentials};
use plenary_shared::ids::ParticipantId;
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use rtc::turn::client::{Client, ClientConfig, Event};
use std::net::UdpSocket;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Tries one Allocate with `username`/`password`: the relayed address, or coturn's refusal.
fn allocate(
    coturn: &Coturn,
    username: &str,
    password: &str,
) -> Result<std::result::Result<String, String>> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(Duration::from_millis(100)))?;
    let local = socket.local_addr()?;
    let provider =
        rtc::crypto::default_provider().map_err(|e| HarnessError::Other(format!("crypto: {e}")))?;
    let mut client = Client::new(
        ClientConfig {
            turn_serv_addr: coturn.addr.to_string(),
            local_addr: local,
            transport_protocol: TransportProtocol::UDP,
            username: username.to_owned(),
            password: password.to_owned(),
            realm: coturn.realm.clone(),
            rto_in_ms: 200,
            ..Default::default()
        },
        provider,
    )
    .map_err(|e| HarnessError::Other(format!("TURN client: {e}")))?;
    client
        .allocate(Instant::now())
        .map_err(|e| HarnessError::Other(format!("allocate: {e}")))?;
    let start = Instant::now();
    let mut buf = [0u8; 2048];
    loop {
        while let Some(out) = client.poll_write() {
            socket.send_to(&out.message, out.transport.peer_addr)?;
        }
        while let Some(event) = client.poll_event() {
            match event {
                Event::AllocateResponse(_, relayed) => return Ok(Ok(relayed.to_string())),
                Event::AllocateError(_, e) => return Ok(Err(e.to_string())),
                Event::TransactionTimeout(_) => return Ok(Err("no answer".into())),
                _ => {}
            }
        }
        if start.elapsed() > DEADLINE {
            return Err(HarnessError::Timeout("coturn's answer to Allocate".into()));
        }
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                let msg = TaggedBytesMut {
                    now: Instant::now(),
                    transport: TransportContext {
                        local_addr: local,
                        peer_addr: from,
                        ecn: None,
                        transport_protocol: TransportProtocol::UDP,
                    },
                    message: bytes::BytesMut::from(&buf[..n]),
                };
                let _ = client.handle_read(msg);
            }
            // A read timeout lets the client's own retransmission timer run.
            Err(_) => {
                let _ = client.handle_timeout(Instant::now());
            }
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[test]
fn coturn_takes_the_servers_credentials_and_refuses_expired_or_forged_ones() -> Result<()> {
    let coturn = Coturn::start("test-secret-1")?;
    let turn = Turn {
        urls: vec![coturn.url()],
        secret: coturn.secret.clone(),
        ttl: Duration::from_secs(600),
    };
    let who = ParticipantId(7);

    let good = credentials(&turn, who, unix_now() + 600);
    let relayed = allocate(&coturn, &good.username, &good.credential)?;
    assert!(
        relayed.as_ref().is_ok_and(|a| a.starts_with("127.0.0.1:")),
        "a fresh credential gets a relay: {relayed:?}"
    );

    let expired = credentials(&turn, who, unix_now() - 60);
    let refused = allocate(&coturn, &expired.username, &expired.credential)?;
    assert!(
        refused.is_err(),
        "an expired credential is refused: {refused:?}"
    );

    let forged = Turn {
        secret: "not-the-secret".into(),
        ..turn.clone()
    };
    let forged = credentials(&forged, who, unix_now() + 600);
    let refused = allocate(&coturn, &forged.username, &forged.credential)?;
    assert!(
        refused.is_err(),
        "another secret's credential is refused: {refused:?}"
    );
    Ok(())
}
