//! Unit tests of arrivals: late joiners, people who come back, and plans matched by name or email.

use super::super::Credential;
use super::super::command::{Command, CommandError, Required};
use super::super::event::Event;
use super::super::plan::{Plan, PlannedRoom};
use super::super::rooms::{Place, RoomCount, Strategy};
use super::Harness;

#[test]
fn late_joiners_go_to_the_smallest_room_when_auto_moving() {
    let (mut h, host, _) = Harness::with_people(5);
    h.create(host, 2, Strategy::Automatically);
    h.set_options(host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    let late = h.join("Late", Credential::Participant).expect("join");
    let room = h.m.place_of(late).and_then(Place::room).expect("placed");
    let v = h.view(late);
    let count = |r| v.people_in(Place::Room { room: r }).count();
    assert!(
        h.m.room_ids()
            .iter()
            .all(|r| count(room) <= count(*r) || *r == room)
    );
    assert_eq!(count(room), 3);
    h.check();
}

#[test]
fn late_joiners_wait_in_main_without_auto_move() {
    let (mut h, host, _) = Harness::with_people(2);
    h.create(host, 2, Strategy::Automatically);
    h.ok(host, Command::OpenRooms);
    let late = h.join("Late", Credential::Participant).expect("join");
    assert_eq!(h.m.place_of(late), Some(Place::Main));
    assert_eq!(
        h.view(late).participant(late).and_then(|p| p.assigned),
        None
    );
    h.check();
}

#[test]
fn rejoining_restores_the_room_by_identity() {
    let (mut h, host, p) = Harness::with_people(4);
    h.create(host, 2, Strategy::Automatically);
    h.set_options(host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    let room = h.m.place_of(p[1]).and_then(Place::room).expect("in a room");
    h.disconnect(p[1]);
    let back = h.join("  p2 ", Credential::Participant).expect("rejoin");
    assert_eq!(h.m.place_of(back), Some(Place::Room { room }));
    h.check();
}

fn plan(rooms: &[(&str, &[&str])]) -> Plan {
    Plan {
        rooms: rooms
            .iter()
            .map(|(name, members)| PlannedRoom {
                name: (*name).into(),
                topic: String::new(),
                members: members.iter().map(|m| (*m).into()).collect(),
            })
            .collect(),
    }
}

#[test]
fn plans_pre_assign_people_now_and_when_they_join() {
    let (mut h, host, p) = Harness::with_people(2);
    h.ok(
        host,
        Command::LoadPlan {
            plan: plan(&[("Red", &["p1", "Kari Nordmann"]), ("Blue", &["P2"])]),
        },
    );
    let (red, blue) = (h.room(0), h.room(1));
    assert_eq!(
        h.view(host).participant(p[0]).and_then(|x| x.assigned),
        Some(red)
    );
    assert_eq!(
        h.view(host).participant(p[1]).and_then(|x| x.assigned),
        Some(blue)
    );
    h.set_options(host, |o| o.move_automatically = true);
    h.ok(host, Command::OpenRooms);
    let kari = h
        .join("KARI  nordmann", Credential::Participant)
        .expect("join");
    assert_eq!(h.m.place_of(kari), Some(Place::Room { room: red }));
    h.check();
}

#[test]
fn a_plan_row_matching_two_people_is_flagged_not_guessed() {
    let (mut h, host, _) = Harness::with_people(0);
    let a = h.join("Ola", Credential::Participant).expect("join");
    let b = h.join("ola", Credential::Participant).expect("join");
    h.log.clear();
    h.ok(
        host,
        Command::LoadPlan {
            plan: plan(&[("Red", &["Ola"])]),
        },
    );
    assert_eq!(h.view(host).participant(a).and_then(|x| x.assigned), None);
    assert_eq!(h.view(host).participant(b).and_then(|x| x.assigned), None);
    assert!(
        h.received(host).iter().any(
            |e| matches!(e, Event::PlanConflict { participants, .. } if participants.len() == 2)
        )
    );
    assert!(
        h.received(a)
            .iter()
            .all(|e| !matches!(e, Event::PlanConflict { .. }))
    );
    h.check();
}

#[test]
fn invalid_plans_are_refused_whole() {
    let (mut h, host, _) = Harness::with_people(1);
    assert!(matches!(
        h.apply(
            host,
            Command::LoadPlan {
                plan: plan(&[("A", &["x"]), ("B", &["X "])])
            }
        ),
        Err(CommandError::InvalidPlan { .. })
    ));
    assert!(matches!(
        h.apply(host, Command::LoadPlan { plan: plan(&[]) }),
        Err(CommandError::InvalidPlan { .. })
    ));
    assert!(h.m.room_ids().is_empty());
}

#[test]
fn plans_match_by_email_too_and_bad_emails_are_refused() {
    let (mut h, host, _) = Harness::with_people(0);
    h.ok(
        host,
        Command::LoadPlan {
            plan: plan(&[("Red", &["kari@skole.no"]), ("Blue", &["Per"])]),
        },
    );
    let red = h.room(0);
    let kari =
        h.m.join_with_email(
            "Kari",
            Some(" KARI@skole.no"),
            &Credential::Participant,
            h.now,
        )
        .expect("join");
    assert_eq!(
        h.m.view_for(host)
            .participant(kari)
            .and_then(|p| p.assigned),
        Some(red)
    );
    assert_eq!(
        h.m.join_with_email("Ola", Some("not-an-email"), &Credential::Participant, h.now),
        Err(CommandError::InvalidEmail)
    );
}

#[test]
fn the_host_secret_alone_may_plan_but_not_act_for_someone() {
    let mut m = super::super::Meeting::new(super::secret(), 1);
    let p = plan(&[("Red", &["kari@skole.no"])]);
    let wrong = crate::ids::HostSecret("nope".into());
    assert_eq!(
        m.apply_as_host(Command::LoadPlan { plan: p.clone() }, &wrong, super::T0),
        Err(CommandError::NotAllowed {
            required: Required::Host
        })
    );
    assert_eq!(
        m.plan_for_host(&wrong),
        Err(CommandError::NotAllowed {
            required: Required::Host
        })
    );
    m.apply_as_host(
        Command::LoadPlan { plan: p.clone() },
        &super::secret(),
        super::T0,
    )
    .expect("plan");
    assert_eq!(m.plan_for_host(&super::secret()), Ok(Some(&p)));
    assert_eq!(
        m.apply_as_host(Command::OpenRooms, &super::secret(), super::T0),
        Err(CommandError::NeedsParticipant)
    );
    // Recreating rooms drops the plan document with the planned rooms.
    m.apply_as_host(
        Command::CreateRooms {
            count: RoomCount::Rooms { count: 2 },
            strategy: Strategy::Manually,
        },
        &super::secret(),
        super::T0,
    )
    .expect("create");
    assert_eq!(m.plan_for_host(&super::secret()), Ok(None));
}

/// `Gruppe 1;"Ås, Kari";kari@skole.no`: Kari is planned by both keys, so she is placed whether
/// she types her name (the join form asks no email) or comes with her email (an LMS launch).
#[test]
fn a_planned_name_and_email_match_by_either() {
    use super::super::plan::PlannedMember;
    let both = || PlannedMember::Both {
        name: "Ås, Kari".into(),
        email: "kari@skole.no".into(),
    };
    let planned = Plan {
        rooms: vec![PlannedRoom {
            name: "Gruppe 1".into(),
            topic: String::new(),
            members: vec![both()],
        }],
    };
    // By name, typed with other spacing and case.
    let (mut h, host, _) = Harness::with_people(1);
    h.ok(
        host,
        Command::LoadPlan {
            plan: planned.clone(),
        },
    );
    let kari = h
        .join("  ås,   KARI ", Credential::Participant)
        .expect("join");
    assert_eq!(
        h.view(kari).participant(kari).and_then(|p| p.assigned),
        Some(h.room(0))
    );
    h.check();
    // By email, with another name.
    let (mut h, host, _) = Harness::with_people(1);
    h.ok(host, Command::LoadPlan { plan: planned });
    let id =
        h.m.join_with_email(
            "Kari N.",
            Some("Kari@Skole.no"),
            &Credential::Participant,
            h.now,
        )
        .expect("join");
    h.deliver_pub();
    h.views.insert(id, h.m.view_for(id));
    assert_eq!(
        h.m.view_for(id).participant(id).and_then(|p| p.assigned),
        Some(h.room(0))
    );
    // A second person matching the same planned entry by its other key is a conflict, not a
    // guess.
    h.log.clear();
    let twin = h.join("Ås, Kari", Credential::Participant).expect("join");
    assert_eq!(
        h.view(twin).participant(twin).and_then(|p| p.assigned),
        None
    );
    assert!(
        h.received(host).iter().any(
            |e| matches!(e, Event::PlanConflict { participants, .. } if participants.len() == 2)
        )
    );
    h.check();
}

#[test]
fn the_remembered_rooms_are_bounded() {
    use super::super::arrivals::MAX_REMEMBERED;
    let (mut h, host, _) = Harness::with_people(0);
    h.create(host, 1, Strategy::Manually);
    let room = h.room(0);
    for i in 0..(MAX_REMEMBERED + 50) {
        let id =
            h.m.join(&format!("Guest {i}"), &Credential::Participant, h.now)
                .expect("join");
        h.m.apply(
            Command::Assign {
                participant: id,
                room: Some(room),
            },
            host,
            h.now,
        )
        .expect("assign");
        h.m.disconnect(id);
        h.m.drain_events();
    }
    h.m.check_invariants().expect("consistent");
    assert!(h.m.remembered_len() <= MAX_REMEMBERED);
}

/// A course roster plans people by their platform identity: the launched person is placed,
/// someone typing the same name is not.
#[test]
fn a_course_member_is_placed_by_platform_identity_only() {
    use super::super::plan::PlannedMember;
    let planned = Plan {
        rooms: vec![PlannedRoom {
            name: "Group A".into(),
            topic: String::new(),
            members: vec![PlannedMember::Course {
                name: "Lea Learner".into(),
                subject: "https://lms.example#l1".into(),
            }],
        }],
    };
    let (mut h, host, _) = Harness::with_people(1);
    h.ok(host, Command::LoadPlan { plan: planned });
    assert_eq!(
        h.m.absent_planned(crate::meeting::Role::CoHost),
        Ok(vec![super::super::arrivals::Absent {
            name: "Lea Learner".into(),
            room: Some("Group A".into())
        }])
    );
    let typed = h
        .join("Lea Learner", Credential::Participant)
        .expect("join");
    assert_eq!(
        h.view(typed).participant(typed).and_then(|p| p.assigned),
        None
    );
    let lea = crate::lms::Launched {
        subject: "https://lms.example#l1".into(),
        role: crate::meeting::Role::Participant,
    };
    let id =
        h.m.admit(
            crate::meeting::Admission {
                name: "Lea L.",
                email: None,
                credential: &Credential::Launch {
                    ticket: "checked".into(),
                },
                passcode: None,
                from: None,
                launched: Some(&lea),
            },
            h.now,
        )
        .expect("join");
    h.deliver_pub();
    h.views.insert(id, h.m.view_for(id));
    assert_eq!(
        h.m.view_for(id).participant(id).and_then(|p| p.assigned),
        Some(h.room(0))
    );
    h.check();
    // Hosts see who of the plan has not come; nobody else may ask.
    assert_eq!(h.m.absent_planned(crate::meeting::Role::Host), Ok(vec![]));
    assert!(
        h.m.absent_planned(crate::meeting::Role::Participant)
            .is_err()
    );
    // Saved as a group set, the placed person keeps their platform identity.
    let saved = h.m.groups_as_plan();
    assert!(
        saved.rooms[0].members.iter().any(|m| matches!(
            m,
            PlannedMember::Course { subject, .. } if subject == "https://lms.example#l1"
        )),
        "{saved:?}"
    );
    // Plans written as JSON carry the identity as `subject`.
    let json = serde_json::to_string(&saved.rooms[0].members).expect("json");
    assert!(
        json.contains("\"subject\":\"https://lms.example#l1\""),
        "{json}"
    );
}
