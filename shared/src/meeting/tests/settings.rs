//! The meeting's own settings (passcode, title, designated co-hosts) and saved group sets.

use super::super::command::{Command, CommandError};
use super::super::info::MeetingInfo;
use super::super::rooms::Strategy;
use super::super::{Admission, Credential, Role};
use super::{Harness, host_cred, secret};

fn info(passcode: Option<&str>, co_hosts: &[&str]) -> MeetingInfo {
    MeetingInfo {
        title: "  Maths 9B ".into(),
        starts_at: None,
        passcode: passcode.map(str::to_owned),
        co_hosts: co_hosts.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn admit(h: &mut Harness, name: &str, passcode: Option<&str>) -> Result<(), CommandError> {
    let id = h.m.admit(
        Admission {
            name,
            email: None,
            credential: &Credential::Participant,
            passcode,
            from: Some("192.0.2.1"),
            launched: None,
        },
        h.now,
    )?;
    h.deliver_pub();
    h.views.insert(id, h.m.view_for(id));
    Ok(())
}

#[test]
fn a_passcode_keeps_out_those_without_it_but_not_the_host_link() {
    let mut h = Harness::new(1);
    h.m.apply_as_host(
        Command::SetInfo {
            info: info(Some(" 654321 "), &[]),
        },
        &secret(),
        h.now,
    )
    .expect("settings");
    h.m.drain_events();
    assert_eq!(
        admit(&mut h, "Ola", None),
        Err(CommandError::PasscodeRequired)
    );
    assert_eq!(
        admit(&mut h, "Ola", Some("123456")),
        Err(CommandError::WrongPasscode)
    );
    assert!(h.m.drain_events().is_empty(), "refused joins emit nothing");
    assert_eq!(h.m.participant_count(), 0);
    admit(&mut h, "Ola", Some(" 654321")).expect("right passcode");
    let host = h
        .join("Host", host_cred())
        .expect("the host link needs no passcode");
    let view = h.view(host);
    assert_eq!(view.info.title, "Maths 9B");
    assert!(view.info.passcode_required);
    assert_eq!(h.m.info().passcode.as_deref(), Some("654321"));
    h.check();
}

#[test]
fn bad_settings_are_refused_with_the_reason() {
    let mut h = Harness::new(1);
    for bad in [
        info(Some("123"), &[]),
        info(Some("12345"), &[]),
        info(Some("123 456"), &[]),
        MeetingInfo {
            title: "t".repeat(121),
            ..MeetingInfo::default()
        },
        MeetingInfo {
            co_hosts: (0..21).map(|i| format!("person{i}@skole.no")).collect(),
            ..MeetingInfo::default()
        },
    ] {
        let result =
            h.m.apply_as_host(Command::SetInfo { info: bad }, &secret(), h.now);
        assert!(
            matches!(result, Err(CommandError::InvalidInfo { .. })),
            "{result:?}"
        );
    }
    assert!(h.m.drain_events().is_empty());
    let wrong = super::super::super::ids::HostSecret("nope".into());
    assert!(matches!(
        h.m.apply_as_host(
            Command::SetInfo {
                info: info(None, &[])
            },
            &wrong,
            h.now
        ),
        Err(CommandError::NotAllowed { .. })
    ));
}

#[test]
fn designated_co_hosts_are_suggested_to_the_host_not_promoted() {
    let (mut h, host, people) = Harness::with_people(2);
    h.ok(
        host,
        Command::SetInfo {
            info: info(None, &["p1", "kari@skole.no"]),
        },
    );
    assert!(h.view(host).participants[1].suggested_co_host, "P1 matches");
    assert!(!h.view(host).participants[2].suggested_co_host);
    let kari =
        h.m.join_with_email(
            "Kari",
            Some("KARI@skole.no "),
            &Credential::Participant,
            h.now,
        )
        .expect("join");
    h.deliver_pub();
    h.views.insert(kari, h.m.view_for(kari));
    assert_eq!(
        h.m.role_of(kari),
        Some(Role::Participant),
        "never promoted by itself"
    );
    assert!(
        h.m.view_for(host)
            .participant(kari)
            .expect("kari")
            .suggested_co_host
    );
    h.ok(host, Command::MakeCoHost { participant: kari });
    assert_eq!(h.m.role_of(kari), Some(Role::CoHost));
    assert_eq!(h.m.role_of(people[0]), Some(Role::Participant));
    h.check();
}

#[test]
fn saved_groups_bring_last_weeks_rooms_back_for_the_same_people() {
    let (mut h, host, people) = Harness::with_people(4);
    h.create(host, 2, Strategy::Automatically);
    h.ok(
        host,
        Command::RenameRoom {
            room: h.room(0),
            name: "Pythagoras".into(),
        },
    );
    let before: Vec<_> = people
        .iter()
        .map(|p| h.m.view_for(host).participant(*p).and_then(|v| v.assigned))
        .collect();
    h.ok(
        host,
        Command::SaveGroups {
            name: " Week 1 ".into(),
        },
    );
    assert_eq!(h.view(host).group_sets.len(), 1);
    assert_eq!(h.view(host).group_sets[0].name, "Week 1");
    assert_eq!(h.view(host).group_sets[0].people, 4);
    assert!(
        h.view(people[0]).group_sets.is_empty(),
        "participants do not see sets"
    );
    // Next week: everyone left, the rooms were removed, people come back in another order.
    for p in &people {
        h.disconnect(*p);
    }
    h.ok(host, Command::RemoveAllRooms);
    h.ok(
        host,
        Command::LoadGroups {
            name: "Week 1".into(),
        },
    );
    let mut again = Vec::new();
    for i in (1..=4).rev() {
        again.push((
            i,
            h.join(&format!("p{i}"), Credential::Participant)
                .expect("join"),
        ));
    }
    assert_eq!(h.m.view_for(host).rooms[0].name, "Pythagoras");
    for (i, id) in again {
        let room = h.m.view_for(host).participant(id).and_then(|v| v.assigned);
        let room_name = room.and_then(|r| h.m.view_for(host).room(r).map(|r| r.name.clone()));
        let then_name = before[i - 1].and_then(|r| {
            // rooms were recreated with new ids; compare by position (name order is kept).
            let idx = r.0 as usize - 1;
            h.m.view_for(host).rooms.get(idx).map(|r| r.name.clone())
        });
        assert_eq!(room_name, then_name, "p{i} is back in the same group");
    }
    assert_eq!(
        h.apply(
            host,
            Command::LoadGroups {
                name: "Week 9".into()
            }
        ),
        Err(CommandError::UnknownGroupSet)
    );
    h.ok(
        host,
        Command::DeleteGroups {
            name: "Week 1".into(),
        },
    );
    assert!(h.view(host).group_sets.is_empty());
    h.check();
}

#[test]
fn a_new_co_host_receives_the_saved_sets_and_a_demoted_one_loses_them() {
    let (mut h, host, people) = Harness::with_people(2);
    h.create(host, 2, Strategy::Automatically);
    h.ok(host, Command::SaveGroups { name: "A".into() });
    h.ok(
        host,
        Command::MakeCoHost {
            participant: people[0],
        },
    );
    assert_eq!(h.view(people[0]).group_sets.len(), 1);
    h.ok(
        host,
        Command::RemoveCoHost {
            participant: people[0],
        },
    );
    assert!(h.view(people[0]).group_sets.is_empty());
    assert_eq!(
        h.apply(people[1], Command::SaveGroups { name: "B".into() }),
        Err(CommandError::NotAllowed {
            required: super::super::command::Required::HostOrCoHost
        })
    );
    h.check();
}

#[test]
fn wrong_passcodes_are_throttled_by_address_and_a_fresh_address_gets_in() {
    let mut h = Harness::new(1);
    h.m.apply_as_host(
        Command::SetInfo {
            info: info(Some("918273"), &[]),
        },
        &secret(),
        h.now,
    )
    .expect("settings");
    h.m.drain_events();
    let mut throttled = None;
    for i in 0..200 {
        match admit(&mut h, "Guesser", Some(&format!("{i:06}"))) {
            Err(CommandError::WrongPasscode) => {}
            Err(CommandError::TooManyPasscodeTries { retry_after_secs }) => {
                throttled = Some((i, retry_after_secs));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    let (after, wait) = throttled.expect("the guesser is slowed down");
    assert!(
        after > 40,
        "a class's typos are free: throttled after {after}"
    );
    assert!(wait >= 1);
    // Even the right passcode waits from that address now…
    assert!(matches!(
        admit(&mut h, "Guesser", Some("918273")),
        Err(CommandError::TooManyPasscodeTries { .. })
    ));
    // …but someone from elsewhere gets straight in.
    let id =
        h.m.admit(
            Admission {
                name: "Ola",
                email: None,
                credential: &Credential::Participant,
                passcode: Some("918273"),
                from: Some("198.51.100.7"),
                launched: None,
            },
            h.now,
        )
        .expect("a fresh address is not held up");
    assert!(h.m.role_of(id).is_some());
    // After the wait, the guesser's address may try again.
    h.now = h.now.plus_secs(u64::from(wait));
    admit(&mut h, "Guesser", Some("918273")).expect("in after waiting");
}
