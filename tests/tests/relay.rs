//! The relay as the authority: a whole breakout session over the wire, reconnects and the
//! permission matrix. Real server on 127.0.0.1, simulated clients; time is a manual clock where
//! timers matter, so no test waits for minutes to pass.

use plenary_e2e::client::Client;
use plenary_e2e::support::{
    START, check_all, host, join_co_host, manual_server, place_of, rejected,
};
use plenary_e2e::{Result, TestServer};
use plenary_shared::meeting::Credential;
use plenary_shared::meeting::command::{Command, CommandError};
use plenary_shared::meeting::event::Event;
use plenary_shared::meeting::rooms::{
    BreakoutOptions, BroadcastTarget, Place, RoomCount, Strategy,
};
use plenary_shared::protocol::ServerMsg;
use plenary_shared::time::Timestamp;
use std::time::Instant;

#[tokio::test]
async fn a_full_breakout_session_with_a_host_a_co_host_and_twenty_participants() -> Result<()> {
    let started = Instant::now();
    let (server, clock) = manual_server(60_000).await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Hanne", host(&created)).await?;
    let mut co = join_co_host(&mut h, server.addr, m, "Cato").await?;
    let mut ps = Vec::new();
    for i in 1..=20 {
        ps.push(
            Client::join(
                server.addr,
                m,
                &format!("Pupil {i}"),
                Credential::Participant,
            )
            .await?,
        );
    }
    macro_rules! everyone {
        () => {{
            let mut all: Vec<&mut Client> = vec![&mut h, &mut co];
            all.extend(ps.iter_mut());
            check_all(&mut all).await?;
        }};
    }
    everyone!();
    assert_eq!(h.view.participants.len(), 22);

    // Create four rooms automatically: five each.
    h.command(Command::CreateRooms {
        count: RoomCount::Rooms { count: 4 },
        strategy: Strategy::Automatically,
    })
    .await?;
    everyone!();
    let rooms: Vec<_> = h.view.rooms.iter().map(|r| r.id).collect();
    for r in &rooms {
        assert_eq!(
            h.view
                .participants
                .iter()
                .filter(|p| p.assigned == Some(*r))
                .count(),
            5
        );
    }
    co.command(Command::RenameRoom {
        room: rooms[0],
        name: "Fjord".into(),
    })
    .await?;
    everyone!();
    assert_eq!(
        ps[3].view.room(rooms[0]).map(|r| r.name.as_str()),
        Some("Fjord")
    );

    // Open with everyone moved, a 10-minute timer, a 30-second countdown, no returning.
    let options = BreakoutOptions {
        move_automatically: true,
        allow_choose: false,
        allow_return: false,
        auto_close_minutes: Some(10),
        notify_when_time_up: true,
        countdown_seconds: Some(30),
    };
    h.command(Command::SetOptions { options }).await?;
    h.command(Command::OpenRooms).await?;
    everyone!();
    for p in &ps {
        let me = p.me.expect("joined");
        assert_eq!(
            p.view.participant(me).and_then(|x| x.place.room()),
            p.view.participant(me).and_then(|x| x.assigned)
        );
    }

    // Broadcast to all.
    h.command(Command::Broadcast {
        text: "Halfway there".into(),
        target: BroadcastTarget::All,
    })
    .await?;
    for p in ps.iter_mut() {
        p.next_until("broadcast", |m| matches!(m, ServerMsg::Event { event: Event::Broadcast { text, .. } } if text == "Halfway there")).await?;
    }
    everyone!();

    // The host hops into room 2 and back.
    h.command(Command::JoinRoom { room: rooms[1] }).await?;
    everyone!();
    assert_eq!(
        place_of(&ps[0], h.me.expect("host")),
        Some(Place::Room { room: rooms[1] })
    );
    h.command(Command::ReturnToMain).await?;
    everyone!();

    // Someone in room 3 asks for help; the co-host sees it, the host resolves it and joins them.
    let asker = ps
        .iter()
        .position(|p| place_of(p, p.me.expect("me")) == Some(Place::Room { room: rooms[2] }))
        .expect("someone in room 3");
    ps[asker].command(Command::AskForHelp).await?;
    co.next_until("help request", |m| {
        matches!(
            m,
            ServerMsg::Event {
                event: Event::HelpRequested { .. }
            }
        )
    })
    .await?;
    everyone!();
    let request = h.view.help.first().map(|r| r.id).expect("a request");
    h.command(Command::ResolveHelp { request }).await?;
    h.command(Command::JoinRoom { room: rooms[2] }).await?;
    everyone!();
    assert!(co.view.help.iter().all(|r| r.resolved_by.is_some()));

    // Move a participant to another room.
    let moved = ps[0].me.expect("me");
    let target = *rooms
        .iter()
        .find(|r| Some(Place::Room { room: **r }) != place_of(&h, moved))
        .expect("another room");
    h.command(Command::MoveParticipant {
        participant: moved,
        to: Place::Room { room: target },
    })
    .await?;
    everyone!();
    assert_eq!(place_of(&ps[5], moved), Some(Place::Room { room: target }));

    // Leaving a room: forbidden, then allowed.
    assert_eq!(
        rejected(&mut ps[1], Command::ReturnToMain).await?,
        CommandError::ReturnNotAllowed
    );
    h.command(Command::SetOptions {
        options: BreakoutOptions {
            allow_return: true,
            ..options
        },
    })
    .await?;
    ps[1].command(Command::ReturnToMain).await?;
    everyone!();
    assert_eq!(place_of(&h, ps[1].me.expect("me")), Some(Place::Main));

    // The timer runs out: hosts are told, the countdown runs, everyone is back.
    clock.advance_ms(10 * 60_000);
    h.next_until("time up", |m| {
        matches!(
            m,
            ServerMsg::Event {
                event: Event::TimeUp { .. }
            }
        )
    })
    .await?;
    co.next_until("time up", |m| {
        matches!(
            m,
            ServerMsg::Event {
                event: Event::TimeUp { .. }
            }
        )
    })
    .await?;
    everyone!();
    let until = Timestamp(START.0 + 10 * 60_000 + 30_000);
    assert!(
        ps[2]
            .view
            .rooms
            .iter()
            .all(|r| r.status == plenary_shared::meeting::rooms::RoomStatus::Closing { until })
    );
    clock.advance_ms(30_000);
    h.next_until("rooms closed", |m| {
        matches!(
            m,
            ServerMsg::Event {
                event: Event::RoomsClosed
            }
        )
    })
    .await?;
    everyone!();
    assert!(h.view.participants.iter().all(|p| p.place == Place::Main));
    eprintln!("20-person session took {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
async fn reconnecting_mid_breakout_fifty_times_lands_in_the_same_room() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Host", host(&created)).await?;
    let mut ps = Vec::new();
    for i in 0..8 {
        ps.push(Client::join(server.addr, m, &format!("P{i}"), Credential::Participant).await?);
    }
    h.command(Command::CreateRooms {
        count: RoomCount::Rooms { count: 3 },
        strategy: Strategy::Automatically,
    })
    .await?;
    h.command(Command::SetOptions {
        options: BreakoutOptions {
            move_automatically: true,
            ..BreakoutOptions::default()
        },
    })
    .await?;
    h.command(Command::OpenRooms).await?;
    h.sync().await?;
    let host_log = h.log.len();
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut total = std::time::Duration::ZERO;
    for round in 0..50 {
        let i = next(ps.len());
        // Something happens somewhere before the drop: a chat line, a broadcast, or nothing.
        match next(3) {
            0 => {
                let other = (i + 1) % ps.len();
                ps[other]
                    .command(Command::SendChat {
                        text: format!("line {round}"),
                    })
                    .await?;
            }
            1 => {
                h.command(Command::Broadcast {
                    text: format!("note {round}"),
                    target: BroadcastTarget::All,
                })
                .await?
            }
            _ => {}
        }
        let mut c = ps.swap_remove(i);
        c.sync().await?;
        let me = c.me.expect("joined");
        let room = place_of(&c, me).expect("present");
        let token = c.token.clone().expect("token");
        c.drop_abruptly();
        // While they are away, the meeting goes on.
        let other = (i + 2) % ps.len();
        ps[other]
            .command(Command::SendChat {
                text: format!("while away {round}"),
            })
            .await?;
        let t = Instant::now();
        let mut back = Client::resume(server.addr, m, token).await?;
        total += t.elapsed();
        assert_eq!(back.me, Some(me), "same identity");
        assert_eq!(
            place_of(&back, me),
            Some(room),
            "same place after drop {round}"
        );
        back.sync().await?;
        ps.insert(i, back);
    }
    h.sync().await?;
    assert!(
        h.log[host_log..].iter().all(|e| !matches!(
            e,
            Event::ParticipantLeft { .. } | Event::ParticipantJoined { .. }
        )),
        "others saw a leave/join flicker"
    );
    for p in ps.iter_mut() {
        p.sync().await?;
    }
    eprintln!("resume took {:?} on average", total / 50);
    Ok(())
}

#[tokio::test]
async fn every_forbidden_command_is_refused_over_the_wire_and_changes_nothing() -> Result<()> {
    let server = TestServer::start().await?;
    let created = server.create_meeting().await?;
    let m = &created.meeting;
    let mut h = Client::join(server.addr, m, "Host", host(&created)).await?;
    let mut co = join_co_host(&mut h, server.addr, m, "Co").await?;
    let mut p = Client::join(server.addr, m, "Pupil", Credential::Participant).await?;
    let other = Client::join(server.addr, m, "Other", Credential::Participant).await?;
    h.command(Command::CreateRooms {
        count: RoomCount::Rooms { count: 2 },
        strategy: Strategy::Automatically,
    })
    .await?;
    h.sync().await?;
    let room = h.view.rooms[0].id;
    let target = other.me.expect("joined");
    let host_only = [
        Command::MakeCoHost {
            participant: target,
        },
        Command::RemoveCoHost {
            participant: co.me.expect("co"),
        },
        Command::MakeHost {
            participant: target,
        },
    ];
    let hosts_and_co_hosts = [
        Command::Mute {
            participant: target,
        },
        Command::MuteAll,
        Command::SetSelfUnmute { allowed: false },
        Command::CreateRooms {
            count: RoomCount::Rooms { count: 3 },
            strategy: Strategy::Manually,
        },
        Command::AddRoom { name: None },
        Command::DeleteRoom { room },
        Command::RenameRoom {
            room,
            name: "X".into(),
        },
        Command::SetTopic {
            room,
            topic: "X".into(),
        },
        Command::Assign {
            participant: target,
            room: None,
        },
        Command::Swap {
            a: target,
            b: target,
        },
        Command::SetOptions {
            options: BreakoutOptions::default(),
        },
        Command::LoadPlan {
            plan: plenary_shared::meeting::plan::Plan::default(),
        },
        Command::RemoveAllRooms,
        Command::OpenRooms,
        Command::CloseRooms,
        Command::MoveParticipant {
            participant: target,
            to: Place::Main,
        },
        Command::Broadcast {
            text: "x".into(),
            target: BroadcastTarget::All,
        },
        Command::ResolveHelp {
            request: plenary_shared::ids::HelpRequestId(1),
        },
        Command::ExtendRoomTime { room, seconds: 60 },
        Command::StartRotation {
            rounds: 2,
            group_size: 2,
            round_minutes: 5,
        },
    ];
    p.sync().await?;
    let before = p.view.clone();
    for cmd in host_only.iter().chain(hosts_and_co_hosts.iter()) {
        assert!(
            matches!(
                rejected(&mut p, cmd.clone()).await?,
                CommandError::NotAllowed { .. }
            ),
            "{cmd:?}"
        );
    }
    for cmd in &host_only {
        assert!(
            matches!(
                rejected(&mut co, cmd.clone()).await?,
                CommandError::NotAllowed { .. }
            ),
            "co-host {cmd:?}"
        );
    }
    p.sync().await?;
    assert_eq!(p.view, before, "nothing changed");
    Ok(())
}
