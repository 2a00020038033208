//! The SFU with `webrtc`-crate clients on loopback, no browser: six publishers in the main
//! session hear and see each other; split into two rooms, each receives only its roommates; a
//! moved publisher's media flips rooms within 500 ms; a host-muted publisher's audio stops
//! arriving while their video goes on; and 100 join/leave cycles leave no connection, task or
//! socket behind; twenty participants share the server's one media port.

use plenary_e2e::client::Client;
use plenary_e2e::media::{MediaPeer, SILENT, SPEAKING, until};
use plenary_e2e::support::{host, open_manual_rooms, wait_for_metric, wait_for_metric_above};
use plenary_e2e::traffic::Traffic;
use plenary_e2e::{Result, TestServer};
use plenary_shared::ids::ParticipantId;
use plenary_shared::media::{ClientSignal, MediaProblem, ServerSignal};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BreakoutOptions, Place};
use plenary_shared::protocol::{ClientMsg, ProtocolError, ServerMsg};
use std::collections::BTreeSet;
use std::time::Duration;

/// Enough packets (20 ms apart) that a flow is plainly running.
const FLOWING: u64 = 10;
const LIMIT: Duration = Duration::from_secs(10);

/// Everyone in `group` but `me`.
fn roommates(group: &[MediaPeer], me: ParticipantId) -> Vec<&MediaPeer> {
    group.iter().filter(|o| o.id != me).collect()
}

/// Waits until `to` has had `FLOWING` packets of this kind from every one of `from`.
async fn flowing(to: &MediaPeer, from: &[&MediaPeer], audio: bool) -> Result<Duration> {
    let ids: Vec<ParticipantId> = from.iter().map(|p| p.id).collect();
    until(
        &format!(
            "{} receiving {} from {ids:?}",
            to.id,
            if audio { "audio" } else { "video" }
        ),
        LIMIT,
        || ids.iter().all(|f| to.received.count(*f, audio) >= FLOWING),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_follows_the_rooms_and_the_host_mute() -> Result<()> {
    // Every voice to everyone: this is about who may receive whom, not the selection.
    let server = TestServer::start_all_to_all().await?;
    let m = server.create_meeting().await?;
    let mut h = Client::connect(server.addr, &m.meeting).await?;
    h.join_on("Host", host(&m)).await?;
    let mut peers = Vec::new();
    for i in 0..5 {
        peers.push(MediaPeer::join(server.addr, &m.meeting, &format!("Pub {i}")).await?);
    }
    // The last one also shares a screen.
    peers.push(MediaPeer::join_sharing(server.addr, &m.meeting, "Pub 5").await?);
    let sharer = peers[5].id;
    // Main session: everyone gets everyone's audio and video, and the shared screen.
    for p in &peers {
        let others: Vec<&MediaPeer> = peers.iter().filter(|o| o.id != p.id).collect();
        flowing(p, &others, true).await?;
        flowing(p, &others, false).await?;
        assert_eq!(p.failure(), None);
        if p.id != sharer {
            until("the shared screen", LIMIT, || {
                p.received.screen(sharer) >= FLOWING
            })
            .await?;
        }
    }

    // Two rooms: publishers 0–2 and 3–5.
    let groups: Vec<Vec<ParticipantId>> = peers
        .chunks(3)
        .map(|g| g.iter().map(|p| p.id).collect())
        .collect();
    let options = BreakoutOptions {
        move_automatically: true,
        ..BreakoutOptions::default()
    };
    let rooms = open_manual_rooms(&mut h, &groups, options).await?;
    let in_room = |v: &plenary_shared::meeting::view::MeetingView, who: ParticipantId, i: usize| {
        v.participant(who).map(|x| x.place) == Some(Place::Room { room: rooms[i] })
    };
    let ids: Vec<ParticipantId> = peers.iter().map(|p| p.id).collect();
    h.until_view("everyone in their room", |v| {
        ids.iter().enumerate().all(|(i, id)| in_room(v, *id, i / 3))
    })
    .await?;
    let (a, b) = peers.split_at(3);
    // The SFU re-points forwarding when it hears of the rooms, which may be a moment after the
    // host does: wait until nothing comes across any more (a packet sent before still may), then
    // count afresh: from here on, nothing may cross.
    let crossing: Vec<(&MediaPeer, &MediaPeer)> = a
        .iter()
        .flat_map(|p| b.iter().flat_map(move |o| [(p, o), (o, p)]))
        .collect();
    stopped(&crossing, (&a[0], &a[1])).await?;
    for p in &peers {
        p.received.reset();
    }
    for (group, other) in [(a, b), (b, a)] {
        for p in group {
            flowing(p, &roommates(group, p.id), true).await?;
            flowing(p, &roommates(group, p.id), false).await?;
            for o in other {
                assert_eq!(
                    (p.received.count(o.id, true), p.received.count(o.id, false)),
                    (0, 0),
                    "{} got media from {} in the other room",
                    p.id,
                    o.id
                );
                assert_eq!(p.received.screen(o.id), 0, "{} saw {}'s screen", p.id, o.id);
            }
        }
    }
    // The sharer's roommates still see the screen.
    let seen = peers[3].received.screen(sharer);
    until("the screen in the sharer's room", LIMIT, || {
        peers[3].received.screen(sharer) >= seen + FLOWING
    })
    .await?;

    // Move publisher 0 to the second room: within 500 ms its new roommates get it, it gets
    // them, and its old roommates stop getting it.
    let moved = &peers[0];
    let before_old = peers[1].received.count(moved.id, false);
    let t = std::time::Instant::now();
    h.command(Command::MoveParticipant {
        participant: moved.id,
        to: Place::Room { room: rooms[1] },
    })
    .await?;
    let base_new = peers[3].received.count(moved.id, false);
    let base_moved = moved.received.count(peers[3].id, false);
    until("the new room receiving the moved publisher", LIMIT, || {
        peers[3].received.count(moved.id, false) > base_new
            && moved.received.count(peers[3].id, false) > base_moved
    })
    .await?;
    let flipped = t.elapsed();
    assert!(
        flipped <= Duration::from_millis(500),
        "the move took {flipped:?} to reach the new room"
    );
    // The old roommate: what it got from the moved publisher stops growing. Proof that time
    // passed: it keeps getting its remaining roommate's video meanwhile.
    flowing(&peers[1], &[&peers[2]], false).await?;
    let settled = peers[1].received.count(moved.id, false);
    let base_other = peers[1].received.count(peers[2].id, false);
    until("more video in the old room", LIMIT, || {
        peers[1].received.count(peers[2].id, false) >= base_other + FLOWING
    })
    .await?;
    assert_eq!(
        peers[1].received.count(moved.id, false),
        settled,
        "the old room still receives the moved publisher"
    );
    assert!(settled >= before_old);
    println!("move to first packet in the new room: {flipped:?}");

    // Host mute: publisher 4's audio stops arriving at its roommates, its video does not.
    let muted = &peers[4];
    h.command(Command::Mute {
        participant: muted.id,
    })
    .await?;
    h.until_view("muted", |v| {
        v.participant(muted.id).is_some_and(|p| p.muted)
    })
    .await?;
    let listener = &peers[3];
    let video0 = listener.received.count(muted.id, false);
    until("video after the mute", LIMIT, || {
        listener.received.count(muted.id, false) >= video0 + FLOWING
    })
    .await?;
    let audio_then = listener.received.count(muted.id, true);
    let video1 = listener.received.count(muted.id, false);
    let other_audio = listener.received.count(peers[5].id, true);
    until("more video after the mute", LIMIT, || {
        listener.received.count(muted.id, false) >= video1 + FLOWING
            && listener.received.count(peers[5].id, true) >= other_audio + FLOWING
    })
    .await?;
    assert_eq!(
        listener.received.count(muted.id, true),
        audio_then,
        "a host-muted publisher's audio still arrives"
    );

    // A receiver's keyframe requests reach the SFU and are passed on to the publishers.
    listener.ask_for_keyframes().await?;
    wait_for_metric_above(&server, "plenary_media_keyframe_requests_relayed_total", 0).await?;

    // Hop: publisher 1 (room A, with 2), made co-host, visits room B. It gets room B's media,
    // room B gets it, and 2 stops getting it.
    let (visitor, left_behind, host_room) = (&peers[1], &peers[2], &peers[3]);
    h.command(Command::MakeCoHost {
        participant: visitor.id,
    })
    .await?;
    visitor
        .until_view("co-host", |v| {
            v.participant(visitor.id)
                .is_some_and(|p| p.role == plenary_shared::meeting::Role::CoHost)
        })
        .await?;
    let (base_in, base_out) = (
        visitor.received.count(host_room.id, false),
        host_room.received.count(visitor.id, false),
    );
    visitor
        .command(Command::JoinRoom { room: rooms[1] })
        .await?;
    until("the visitor and room B receiving each other", LIMIT, || {
        visitor.received.count(host_room.id, false) > base_in
            && host_room.received.count(visitor.id, false) > base_out
    })
    .await?;
    stopped(&[(left_behind, visitor)], (host_room, &peers[4])).await?;
    // Return: back in the main session, where only the host (without media) is; room B stops
    // getting it.
    visitor.command(Command::ReturnToMain).await?;
    stopped(&[(host_room, visitor)], (host_room, &peers[4])).await?;
    Ok(())
}

/// Everything `to` got from `from`: audio, video and screen.
fn all_from(to: &MediaPeer, from: &MediaPeer) -> u64 {
    let r = &to.received;
    r.count(from.id, true) + r.count(from.id, false) + r.screen(from.id)
}

/// Waits until each `(to, from)` pair's `to` no longer gets anything from its `from`: over one
/// window in which `clock.0` gets `FLOWING` more video packets from `clock.1` (proof that time
/// passed), nothing more comes across any pair (a pair that keeps getting media fails).
async fn stopped(
    pairs: &[(&MediaPeer, &MediaPeer)],
    clock: (&MediaPeer, &MediaPeer),
) -> Result<()> {
    let start = std::time::Instant::now();
    let (watcher, ticker) = clock;
    loop {
        let before: Vec<u64> = pairs.iter().map(|(to, from)| all_from(to, from)).collect();
        let tick = watcher.received.count(ticker.id, false);
        until("video on the clock pair", LIMIT, || {
            watcher.received.count(ticker.id, false) >= tick + FLOWING
        })
        .await?;
        let still = pairs
            .iter()
            .zip(&before)
            .find(|((to, from), n)| all_from(to, from) != **n);
        let Some(((to, from), _)) = still else {
            return Ok(());
        };
        assert!(
            start.elapsed() < LIMIT,
            "{} still gets {}'s media",
            to.id,
            from.id
        );
    }
}

/// Twenty participants, each publishing audio (stamped with its level) and video, connect
/// through one server port: every offer names the same single port; everyone sees the other
/// nineteen, hears the two who speak and nobody silent, and is told who speaks; when the host
/// mutes one speaker, nobody hears them any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_participants_share_one_server_port() -> Result<()> {
    let server = TestServer::start().await?;
    let m = server.create_meeting().await?;
    let mut h = Client::connect(server.addr, &m.meeting).await?;
    h.join_on("Host", host(&m)).await?;
    // Ten packets a second per source keeps twenty clients in this process light.
    let traffic = |epoch| Traffic {
        interval: Duration::from_millis(100),
        ..Traffic::test(epoch)
    };
    let epoch = std::time::Instant::now();
    let mut peers = Vec::new();
    for i in 0..20 {
        let name = format!("Pupil {i}");
        let p = MediaPeer::join_with(server.addr, &m.meeting, &name, traffic(epoch)).await?;
        p.set_level(Some(if i < 2 { SPEAKING } else { SILENT }));
        peers.push(p);
    }
    let speakers: Vec<ParticipantId> = peers[..2].iter().map(|p| p.id).collect();
    // While the first few were still joining, everyone heard everyone (voices few enough for
    // the slots): once all twenty publish both tracks, count afresh.
    wait_for_metric(&server, "plenary_media_tracks 40").await?;
    for p in &peers {
        p.received.reset();
    }
    for p in &peers {
        let others = roommates(&peers, p.id);
        until(
            &format!("{} seeing all 19 and hearing the speakers", p.id),
            LIMIT * 3,
            || {
                others.iter().all(|o| {
                    let heard = !speakers.contains(&o.id) || p.received.count(o.id, true) >= 3;
                    heard && p.received.count(o.id, false) >= 3
                })
            },
        )
        .await?;
        assert_eq!(p.failure(), None);
        for o in others.iter().filter(|o| !speakers.contains(&o.id)) {
            assert_eq!(
                p.received.count(o.id, true),
                0,
                "{} heard silent {}",
                p.id,
                o.id
            );
        }
        let told = p.speakers();
        assert!(
            told.1.iter().all(|w| speakers.contains(w)),
            "{} told {told:?}",
            p.id
        );
        assert!(
            told.0.is_some_and(|a| speakers.contains(&a)),
            "{} told {told:?}",
            p.id
        );
    }
    let ports: BTreeSet<u16> = peers.iter().flat_map(MediaPeer::candidate_ports).collect();
    assert_eq!(ports.len(), 1, "the server offered ports {ports:?}");
    for p in &peers {
        assert_eq!(
            p.candidate_ports(),
            ports,
            "{} was offered other ports",
            p.id
        );
    }
    wait_for_metric(&server, "plenary_media_peers 20").await?;
    // The host mutes speaker 0, who goes on talking: once the others hear speaker 1 go on,
    // speaker 0's voice stops growing anywhere.
    h.command(Command::Mute {
        participant: speakers[0],
    })
    .await?;
    h.until_view("muted", |v| {
        v.participant(speakers[0]).is_some_and(|p| p.muted)
    })
    .await?;
    let listener = &peers[5];
    until("speaker 0 out of the audible set", LIMIT, || {
        !listener.speakers().1.contains(&speakers[0])
    })
    .await?;
    let then = listener.received.count(speakers[0], true);
    let other = listener.received.count(speakers[1], true);
    until("more of speaker 1", LIMIT, || {
        listener.received.count(speakers[1], true) >= other + FLOWING
    })
    .await?;
    assert_eq!(
        listener.received.count(speakers[0], true),
        then,
        "the muted speaker is heard"
    );
    Ok(())
}

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_joins_and_leaves_leave_nothing_behind() -> Result<()> {
    let server = TestServer::start().await?;
    let m = server.create_meeting().await?;
    let anchor = MediaPeer::join(server.addr, &m.meeting, "Anchor").await?;
    let cycle = |i: usize| {
        let addr = server.addr;
        let meeting = m.meeting.clone();
        let anchor = &anchor;
        async move {
            let p = MediaPeer::join(addr, &meeting, &format!("Visitor {i}")).await?;
            // Media really flowed both ways before leaving.
            flowing(&p, &[anchor], false).await?;
            let before = anchor.received.count(p.id, false);
            until("the anchor receiving the visitor", LIMIT, || {
                anchor.received.count(p.id, false) >= before + FLOWING
            })
            .await?;
            p.leave().await
        }
    };
    cycle(0).await?;
    wait_for_metric(&server, "plenary_media_peers 1").await?;
    let tasks = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let files = open_files();
    for i in 1..=100 {
        cycle(i).await?;
    }
    wait_for_metric(&server, "plenary_media_peers 1").await?;
    wait_for_metric(&server, "plenary_media_tracks 2").await?;
    // Closing finishes in the background: wait (bounded) for tasks and sockets to wind down.
    let settled = until("tasks and sockets back to where they were", LIMIT, || {
        let now = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        now <= tasks + 2 && open_files() <= files + 2
    })
    .await;
    let (tasks_after, files_after) = (
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        open_files(),
    );
    println!(
        "after 100 cycles: tasks {tasks} -> {tasks_after}, open files {files} -> {files_after}"
    );
    settled?;
    assert_eq!(anchor.failure(), None);
    Ok(())
}

/// The media problem in the next `failed` signal.
async fn next_failure(c: &mut Client) -> Result<MediaProblem> {
    match c
        .next_until("a media failure", |m| {
            matches!(
                m,
                ServerMsg::Media {
                    signal: ServerSignal::Failed { .. }
                }
            )
        })
        .await?
    {
        ServerMsg::Media {
            signal: ServerSignal::Failed { problem, message },
        } => {
            assert!(!message.is_empty(), "a failure says why");
            Ok(problem)
        }
        other => Err(plenary_e2e::HarnessError::Other(format!(
            "not a failure: {other:?}"
        ))),
    }
}

/// Waits for the server's next media offer.
async fn next_offer(c: &mut Client, what: &str) -> Result<()> {
    c.next_until(what, |m| {
        matches!(
            m,
            ServerMsg::Media {
                signal: ServerSignal::Offer { .. }
            }
        )
    })
    .await?;
    Ok(())
}

fn media(signal: ClientSignal) -> ClientMsg {
    ClientMsg::Media { signal }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_media_signalling_gets_typed_errors_and_loses_nothing() -> Result<()> {
    let server = TestServer::start().await?;
    let m = server.create_meeting().await?;
    // Before joining: refused like any other message.
    let mut stranger = Client::connect(server.addr, &m.meeting).await?;
    stranger.send(&media(ClientSignal::Start)).await?;
    assert_eq!(stranger.next_error().await?, ProtocolError::NotJoined);

    let mut c = Client::connect(server.addr, &m.meeting).await?;
    c.join_on("Eve", Credential::Participant).await?;
    // An answer nobody asked for.
    let answer = |sdp: &str| media(ClientSignal::Answer { sdp: sdp.into() });
    c.send(&answer("v=0")).await?;
    assert_eq!(next_failure(&mut c).await?, MediaProblem::NoOfferPending);
    // An answer that is not SDP.
    c.send(&media(ClientSignal::Start)).await?;
    next_offer(&mut c, "an offer").await?;
    c.send(&answer("this is not a session description")).await?;
    assert_eq!(next_failure(&mut c).await?, MediaProblem::BadAnswer);
    // A page claiming more tiles than any gallery shows is refused with the limit.
    let tiles = (0..=plenary_shared::media::MAX_VIEW_TILES as u32)
        .map(|n| plenary_shared::media::Tile {
            who: ParticipantId(n),
            size: plenary_shared::media::TileSize::Thumbnail,
        })
        .collect();
    c.send(&media(ClientSignal::View { tiles })).await?;
    assert_eq!(
        c.next_error().await?,
        ProtocolError::TooManyTiles {
            count: plenary_shared::media::MAX_VIEW_TILES + 1,
            limit: plenary_shared::media::MAX_VIEW_TILES
        }
    );
    // Nothing is lost: the connection and the meeting go on, and media can start afresh.
    c.send(&media(ClientSignal::Start)).await?;
    next_offer(&mut c, "a new offer").await?;
    c.sync().await?;
    assert_eq!(c.names(), ["Eve"]);
    Ok(())
}
