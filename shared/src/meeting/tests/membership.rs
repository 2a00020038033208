//! Unit tests of membership, roles and audio policy.

use super::super::*;
use super::{T0, host_cred, secret};

fn meeting_with(names: &[&str]) -> (Meeting, Vec<ParticipantId>) {
    let mut m = Meeting::new(secret(), 7);
    let mut ids = vec![];
    for (i, n) in names.iter().enumerate() {
        let cred = if i == 0 {
            host_cred()
        } else {
            Credential::Participant
        };
        ids.push(m.join(n, &cred, T0).expect("join"));
    }
    m.drain_events();
    (m, ids)
}

#[test]
fn host_secret_makes_host_and_participant_link_does_not() {
    let mut m = Meeting::new(secret(), 7);
    let h = m.join("Hanne", &host_cred(), T0).expect("host joins");
    let p = m
        .join("Per", &Credential::Participant, T0)
        .expect("p joins");
    assert_eq!(m.role_of(h), Some(Role::Host));
    assert_eq!(m.role_of(p), Some(Role::Participant));
    let wrong = Credential::Host {
        secret: HostSecret("guess".into()),
    };
    assert_eq!(
        m.join("Mallory", &wrong, T0),
        Err(CommandError::NotAllowed {
            required: Required::Host
        })
    );
    assert_eq!(m.participant_count(), 2);
}

#[test]
fn the_newest_holder_of_the_secret_is_host_and_the_other_a_co_host() {
    let mut m = Meeting::new(secret(), 7);
    let a = m.join("A", &host_cred(), T0).expect("a");
    let b = m.join("B", &host_cred(), T0).expect("b");
    assert_eq!(m.role_of(b), Some(Role::Host));
    assert_eq!(m.role_of(a), Some(Role::CoHost));
    m.check_invariants().expect("one host");
}

#[test]
fn join_emits_event_with_cleaned_name_and_view_matches() {
    let mut m = Meeting::new(secret(), 7);
    let id = m.join("  Ada   L ", &host_cred(), T0).expect("join");
    let events = m.drain_events();
    assert_eq!(events.len(), 1);
    let mut client = MeetingView::default();
    client.apply(&events[0].event);
    assert_eq!(client, m.view_for(id));
    assert_eq!(
        client.participant(id).map(|p| p.name.as_str()),
        Some("Ada L")
    );
}

#[test]
fn bad_names_are_refused_without_change() {
    let mut m = Meeting::new(secret(), 7);
    assert!(matches!(
        m.join("   ", &Credential::Participant, T0),
        Err(CommandError::InvalidName { .. })
    ));
    assert_eq!(m.participant_count(), 0);
    assert!(m.drain_events().is_empty());
}

#[test]
fn host_leaving_hands_over_to_co_host_first() {
    let (mut m, ids) = meeting_with(&["H", "P1", "P2"]);
    m.apply(
        Command::MakeCoHost {
            participant: ids[2],
        },
        ids[0],
        T0,
    )
    .expect("appoint");
    m.apply(Command::Leave, ids[0], T0).expect("leave");
    assert_eq!(m.host(), Some(ids[2]));
    assert_eq!(m.role_of(ids[1]), Some(Role::Participant));
}

#[test]
fn host_leaving_without_co_host_leaves_the_meeting_without_a_host() {
    let (mut m, ids) = meeting_with(&["H", "P1", "P2"]);
    m.disconnect(ids[0]);
    assert_eq!(m.host(), None);
    assert_eq!(m.role_of(ids[1]), Some(Role::Participant));
    let events: Vec<Event> = m.drain_events().into_iter().map(|e| e.event).collect();
    assert_eq!(
        events,
        vec![Event::ParticipantLeft {
            participant: ids[0]
        }]
    );
    m.check_invariants().expect("consistent");
}

#[test]
fn only_host_appoints_co_hosts() {
    let (mut m, ids) = meeting_with(&["H", "P1", "P2"]);
    let err = m.apply(
        Command::MakeCoHost {
            participant: ids[2],
        },
        ids[1],
        T0,
    );
    assert_eq!(
        err,
        Err(CommandError::NotAllowed {
            required: Required::Host
        })
    );
    assert_eq!(m.role_of(ids[2]), Some(Role::Participant));
    assert!(m.drain_events().is_empty());
}

#[test]
fn removing_co_host_demotes() {
    let (mut m, ids) = meeting_with(&["H", "P1"]);
    m.apply(
        Command::MakeCoHost {
            participant: ids[1],
        },
        ids[0],
        T0,
    )
    .expect("appoint");
    m.apply(
        Command::RemoveCoHost {
            participant: ids[1],
        },
        ids[0],
        T0,
    )
    .expect("remove");
    assert_eq!(m.role_of(ids[1]), Some(Role::Participant));
    assert_eq!(
        m.apply(
            Command::RemoveCoHost {
                participant: ids[1]
            },
            ids[0],
            T0
        ),
        Err(CommandError::AlreadyInRole)
    );
}

#[test]
fn commands_from_strangers_are_refused() {
    let (mut m, _) = meeting_with(&["H"]);
    assert_eq!(
        m.apply(Command::Leave, ParticipantId(999), T0),
        Err(CommandError::NotInMeeting)
    );
}

#[test]
fn make_host_hands_over_and_keeps_the_old_host_as_co_host() {
    let (mut m, ids) = meeting_with(&["H", "P1"]);
    m.apply(
        Command::MakeHost {
            participant: ids[1],
        },
        ids[0],
        T0,
    )
    .expect("hand over");
    assert_eq!(m.host(), Some(ids[1]));
    assert_eq!(m.role_of(ids[0]), Some(Role::CoHost));
}

#[test]
fn host_mutes_one_or_all_and_can_forbid_self_unmute() {
    let (mut h, host, p) = super::Harness::with_people(3);
    h.ok(host, Command::Mute { participant: p[0] });
    assert_eq!(h.m.is_muted(p[0]), Some(true));
    assert_eq!(
        h.apply(p[1], Command::Mute { participant: host }),
        Err(CommandError::NotAllowed {
            required: Required::HostOrCoHost
        })
    );
    assert_eq!(
        h.apply(host, Command::Mute { participant: host }),
        Err(CommandError::CannotMuteHost)
    );
    h.ok(host, Command::SetSelfUnmute { allowed: false });
    h.ok(host, Command::MuteAll);
    assert!(p.iter().all(|id| h.m.is_muted(*id) == Some(true)));
    assert_eq!(
        h.apply(p[1], Command::SetMyMicrophone { muted: false }),
        Err(CommandError::SelfUnmuteForbidden)
    );
    // Newcomers arrive muted while self-unmute is forbidden.
    let late = h.join("Late", Credential::Participant).expect("join");
    assert_eq!(h.m.is_muted(late), Some(true));
    h.ok(host, Command::SetSelfUnmute { allowed: true });
    h.ok(p[1], Command::SetMyMicrophone { muted: false });
    assert_eq!(h.m.is_muted(p[1]), Some(false));
    h.check();
}

#[test]
fn promoting_a_muted_participant_unmutes_them_visibly() {
    let (mut h, host, p) = super::Harness::with_people(1);
    h.ok(host, Command::Mute { participant: p[0] });
    h.ok(host, Command::MakeCoHost { participant: p[0] });
    assert_eq!(h.m.is_muted(p[0]), Some(false));
    h.check();
}

#[test]
fn host_powers_pass_only_to_co_hosts_and_come_back_with_the_secret() {
    let (mut h, host, p) = super::Harness::with_people(3);
    h.ok(host, Command::MakeCoHost { participant: p[2] });
    h.ok(host, Command::MakeCoHost { participant: p[1] });
    h.disconnect(host);
    // The longest-serving co-host stands in.
    assert_eq!(h.m.host(), Some(p[2]));
    h.disconnect(p[2]);
    assert_eq!(h.m.host(), Some(p[1]));
    h.disconnect(p[1]);
    assert_eq!(h.m.host(), None, "a participant never inherits");
    assert_eq!(h.m.role_of(p[0]), Some(Role::Participant));
    // The secret holder comes back: host again.
    let back = h.join("Host", super::host_cred()).expect("back");
    assert_eq!(h.m.host(), Some(back));
    h.check();
}

#[test]
fn a_stand_in_is_a_co_host_again_when_the_holder_returns() {
    let (mut h, host, p) = super::Harness::with_people(2);
    h.ok(host, Command::MakeCoHost { participant: p[0] });
    h.disconnect(host);
    assert_eq!(h.m.host(), Some(p[0]));
    let back = h.join("Host", super::host_cred()).expect("back");
    assert_eq!(h.m.host(), Some(back));
    assert_eq!(h.m.role_of(p[0]), Some(Role::CoHost));
    assert_eq!(h.m.role_of(p[1]), Some(Role::Participant));
    h.check();
}

#[test]
fn removing_someone_tells_them_and_everyone() {
    let (mut h, host, p) = super::Harness::with_people(3);
    h.ok(host, Command::MakeCoHost { participant: p[0] });
    h.log.clear();
    // A co-host removes a participant; not another co-host or the host.
    h.ok(p[0], Command::RemoveParticipant { participant: p[1] });
    assert!(h.m.role_of(p[1]).is_none());
    assert!(h.log.iter().any(|(who, e)| *who == p[1]
        && matches!(e, Event::ParticipantRemoved { participant, by } if *participant == p[1] && *by == p[0])));
    assert!(matches!(
        h.apply(p[0], Command::RemoveParticipant { participant: host }),
        Err(CommandError::NotAllowed { .. })
    ));
    assert!(matches!(
        h.apply(p[2], Command::RemoveParticipant { participant: p[0] }),
        Err(CommandError::NotAllowed { .. })
    ));
    h.ok(host, Command::RemoveParticipant { participant: p[0] });
    h.check();
}

#[test]
fn ending_the_meeting_stops_everything() {
    let (mut h, host, p) = super::Harness::with_people(2);
    assert!(matches!(
        h.apply(p[0], Command::EndMeeting),
        Err(CommandError::NotAllowed { .. })
    ));
    h.log.clear();
    h.ok(host, Command::EndMeeting);
    for id in [host, p[0], p[1]] {
        assert!(
            h.log
                .iter()
                .any(|(who, e)| *who == id && matches!(e, Event::MeetingEnded { .. }))
        );
    }
    assert!(h.m.is_ended());
    assert_eq!(
        h.m.join("Late", &Credential::Participant, T0),
        Err(CommandError::MeetingEnded)
    );
    assert_eq!(
        h.apply(p[0], Command::SendChat { text: "hi".into() }),
        Err(CommandError::MeetingEnded)
    );
    assert!(h.m.media_map().places.is_empty());
}

fn launch(subject: &str, role: Role) -> crate::lms::Launched {
    crate::lms::Launched {
        subject: subject.into(),
        role,
    }
}

fn admit_launched(
    m: &mut Meeting,
    name: &str,
    person: Option<&crate::lms::Launched>,
) -> Result<ParticipantId, CommandError> {
    m.admit(
        Admission {
            name,
            email: None,
            credential: &Credential::Launch {
                ticket: "checked by the server".into(),
            },
            passcode: None,
            from: None,
            launched: person,
        },
        T0,
    )
}

#[test]
fn a_launch_gives_the_course_role_and_needs_no_passcode() {
    let mut m = Meeting::new(secret(), 7);
    let mut info = m.info().clone();
    info.passcode = Some("123456".into());
    let h = m.join("Hanne", &host_cred(), T0).expect("host joins");
    m.apply(Command::SetInfo { info }, h, T0)
        .expect("passcode set");
    m.apply(Command::Leave, h, T0).expect("host leaves");
    let teacher = launch("https://lms.example#t1", Role::Host);
    let t = admit_launched(&mut m, "Tove Teacher", Some(&teacher)).expect("teacher");
    assert_eq!(m.role_of(t), Some(Role::Host));
    let assistant = launch("https://lms.example#a1", Role::CoHost);
    let a = admit_launched(&mut m, "Asta", Some(&assistant)).expect("assistant");
    assert_eq!(m.role_of(a), Some(Role::CoHost));
    let learner = launch("https://lms.example#l1", Role::Participant);
    let l = admit_launched(&mut m, "Lars", Some(&learner)).expect("learner, no passcode");
    assert_eq!(m.role_of(l), Some(Role::Participant));
    // The link alone still needs the passcode.
    assert_eq!(
        m.join("Mallory", &Credential::Participant, T0),
        Err(CommandError::PasscodeRequired)
    );
}

#[test]
fn an_unchecked_launch_is_refused() {
    let mut m = Meeting::new(secret(), 7);
    assert_eq!(
        admit_launched(&mut m, "Mallory", None),
        Err(CommandError::LaunchNotChecked)
    );
    assert_eq!(m.participant_count(), 0);
}

#[test]
fn a_second_instructor_takes_the_host_role_and_the_first_stays_co_host() {
    let mut m = Meeting::new(secret(), 7);
    let one = launch("https://lms.example#t1", Role::Host);
    let two = launch("https://lms.example#t2", Role::Host);
    let first = admit_launched(&mut m, "Tove", Some(&one)).expect("first");
    let second = admit_launched(&mut m, "Tor", Some(&two)).expect("second");
    assert_eq!(m.role_of(second), Some(Role::Host));
    assert_eq!(m.role_of(first), Some(Role::CoHost));
}
