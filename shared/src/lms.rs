//! Who someone launched from a learning platform (LTI 1.3) is in the meeting: the rule from
//! their course roles to a meeting role, in one place. The server checks the launch; this only
//! reads the roles it carried.
//!
//! Only **course membership** counts (`…/lis/v2/membership#…`, or the short names the
//! specification allows for them). Institution and system roles (`…/institution/person#…`,
//! `…/system/person#…`) grant nothing: a teacher of the school is not a teacher of every course.

use crate::meeting::Role;
use crate::meeting::plan::{Plan, PlannedMember, PlannedRoom};
use crate::meeting::rooms::MAX_ROOMS;
use serde::{Deserialize, Serialize};

/// Most roles of one launch that are read (a platform sends a handful).
pub const MAX_ROLES: usize = 64;

/// The membership vocabulary's prefix (LTI 1.3 §A.2.3).
const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership";

/// A person launched from a course, as the server verified them: their stable id on the
/// platform (`sub`, with the platform's issuer, so two platforms never share one) and the meeting
/// role their course roles give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launched {
    /// `issuer#sub`: the identity a roster plans by.
    pub subject: String,
    pub role: Role,
}

/// The course role one role string names, if it is a course (context) role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CourseRole {
    Instructor,
    TeachingAssistant,
    ContentDeveloper,
    Administrator,
    Mentor,
    Learner,
    Member,
}

fn course_role_of(raw: &str) -> Option<CourseRole> {
    let raw = raw.trim();
    // A sub-role (`membership/Instructor#TeachingAssistant`) names its own kind after `#`.
    let name = if let Some(rest) = raw.strip_prefix(MEMBERSHIP) {
        let (principal, sub) = rest.split_once('#')?;
        if principal.is_empty() || principal.starts_with('/') {
            sub
        } else {
            return None;
        }
    } else if raw.contains(':') || raw.contains('/') {
        // Another vocabulary (institution, system, or a platform's own): grants nothing.
        return None;
    } else {
        raw
    };
    Some(match name {
        "Instructor" => CourseRole::Instructor,
        "TeachingAssistant" => CourseRole::TeachingAssistant,
        "ContentDeveloper" => CourseRole::ContentDeveloper,
        "Administrator" => CourseRole::Administrator,
        "Mentor" => CourseRole::Mentor,
        "Learner" => CourseRole::Learner,
        "Member" => CourseRole::Member,
        _ => return None,
    })
}

/// The meeting role of someone with these LTI roles: an Instructor is host, unless they are
/// marked a teaching assistant; a teaching assistant, content developer or course
/// administrator is co-host; a learner, member, mentor or someone with no course role is a
/// participant. Only the first `MAX_ROLES` strings are read.
pub fn meeting_role<S: AsRef<str>>(roles: &[S]) -> Role {
    let (mut instructor, mut assistant) = (false, false);
    for role in roles
        .iter()
        .take(MAX_ROLES)
        .filter_map(|r| course_role_of(r.as_ref()))
    {
        match role {
            CourseRole::Instructor => instructor = true,
            CourseRole::TeachingAssistant
            | CourseRole::ContentDeveloper
            | CourseRole::Administrator => assistant = true,
            CourseRole::Mentor | CourseRole::Learner | CourseRole::Member => {}
        }
    }
    if assistant {
        Role::CoHost
    } else if instructor {
        Role::Host
    } else {
        Role::Participant
    }
}

/// One person on a course roster (from the platform's names and roles service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseMember {
    /// `issuer#user_id`, as `Launched::subject`.
    pub subject: String,
    pub name: String,
    pub roles: Vec<String>,
    /// The ids of the course groups they belong to.
    pub groups: Vec<String>,
}

/// One course group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseGroup {
    pub id: String,
    pub name: String,
}

fn planned(member: &CourseMember) -> PlannedMember {
    PlannedMember::Course {
        name: member.name.clone(),
        subject: member.subject.clone(),
    }
}

/// Whether the roster member is one the plan places (a participant: hosts move freely).
fn placed(member: &CourseMember) -> bool {
    meeting_role(&member.roles) == Role::Participant
}

/// One room per course group (in the platform's order, groups with no participant left out),
/// each with its members who are participants; someone in several groups goes to the first.
pub fn groups_plan(groups: &[CourseGroup], members: &[CourseMember]) -> Plan {
    let mut taken = std::collections::BTreeSet::new();
    let rooms = groups
        .iter()
        .map(|g| PlannedRoom {
            name: g.name.clone(),
            topic: String::new(),
            members: members
                .iter()
                .filter(|m| placed(m) && m.groups.contains(&g.id))
                .filter(|m| taken.insert(m.subject.clone()))
                .map(planned)
                .collect(),
        })
        .filter(|r| !r.members.is_empty())
        .take(MAX_ROOMS)
        .collect();
    Plan { rooms }
}

/// The roster's participants in `rooms` rooms (`Room 1`, …), in name order, dealt out so sizes
/// differ by at most one.
pub fn roster_plan(members: &[CourseMember], rooms: usize) -> Plan {
    let rooms = rooms.clamp(1, MAX_ROOMS);
    let mut people: Vec<&CourseMember> = members.iter().filter(|m| placed(m)).collect();
    people.sort_by(|a, b| a.name.cmp(&b.name).then(a.subject.cmp(&b.subject)));
    people.dedup_by(|a, b| a.subject == b.subject);
    let mut plan: Vec<PlannedRoom> = (1..=rooms)
        .map(|n| PlannedRoom {
            name: format!("Room {n}"),
            topic: String::new(),
            members: Vec::new(),
        })
        .collect();
    for (i, m) in people.iter().enumerate() {
        plan[i % rooms].members.push(planned(m));
    }
    Plan { rooms: plan }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
    const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
    const TA: &str =
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant";
    const INSTITUTION_INSTRUCTOR: &str =
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor";
    const SYSTEM_ADMIN: &str = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator";

    #[test]
    fn course_roles_map_as_the_issue_says() {
        assert_eq!(meeting_role(&[INSTRUCTOR]), Role::Host);
        assert_eq!(meeting_role(&["Instructor"]), Role::Host);
        assert_eq!(meeting_role(&[INSTRUCTOR, TA]), Role::CoHost);
        assert_eq!(meeting_role(&[TA]), Role::CoHost);
        let developer = "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper";
        assert_eq!(meeting_role(&[developer]), Role::CoHost);
        let admin = "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator";
        assert_eq!(meeting_role(&[admin]), Role::CoHost);
        assert_eq!(meeting_role(&[LEARNER]), Role::Participant);
        let mentor = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor";
        assert_eq!(meeting_role(&[mentor]), Role::Participant);
        let member = "http://purl.imsglobal.org/vocab/lis/v2/membership#Member";
        assert_eq!(meeting_role(&[member]), Role::Participant);
        assert_eq!(meeting_role::<&str>(&[]), Role::Participant);
    }

    #[test]
    fn institution_and_system_roles_alone_grant_nothing() {
        assert_eq!(meeting_role(&[INSTITUTION_INSTRUCTOR]), Role::Participant);
        assert_eq!(meeting_role(&[SYSTEM_ADMIN]), Role::Participant);
        assert_eq!(
            meeting_role(&[INSTITUTION_INSTRUCTOR, SYSTEM_ADMIN, LEARNER]),
            Role::Participant
        );
        // Look-alikes of other vocabularies are not course roles either.
        assert_eq!(
            meeting_role(&["https://example.org/roles#Instructor"]),
            Role::Participant
        );
        assert_eq!(
            meeting_role(&["http://purl.imsglobal.org/vocab/lis/v2/membershipX#Instructor"]),
            Role::Participant
        );
    }

    fn member(sub: &str, name: &str, role: &str, groups: &[&str]) -> CourseMember {
        CourseMember {
            subject: format!("iss#{sub}"),
            name: name.into(),
            roles: vec![role.into()],
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    #[test]
    fn groups_become_rooms_of_their_learners() {
        let groups = vec![
            CourseGroup {
                id: "g1".into(),
                name: "Blue".into(),
            },
            CourseGroup {
                id: "g2".into(),
                name: "Red".into(),
            },
            CourseGroup {
                id: "g3".into(),
                name: "Empty".into(),
            },
        ];
        let members = vec![
            member("t", "Tove", INSTRUCTOR, &["g1"]),
            member("a", "Ada", LEARNER, &["g1"]),
            member("b", "Bo", LEARNER, &["g2", "g1"]),
            member("c", "Cy", LEARNER, &["g2"]),
        ];
        let plan = groups_plan(&groups, &members);
        let names: Vec<(&str, Vec<&str>)> = plan
            .rooms
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.members.iter().map(PlannedMember::label).collect(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![("Blue", vec!["Ada", "Bo"]), ("Red", vec!["Cy"])]
        );
        assert!(plan.validated(MAX_ROOMS, 500).is_ok());
    }

    #[test]
    fn a_roster_is_dealt_into_even_rooms() {
        let members: Vec<CourseMember> = (0..7)
            .map(|i| member(&format!("s{i}"), &format!("P{i}"), LEARNER, &[]))
            .chain(std::iter::once(member("t", "Tove", INSTRUCTOR, &[])))
            .collect();
        let plan = roster_plan(&members, 3);
        let sizes: Vec<usize> = plan.rooms.iter().map(|r| r.members.len()).collect();
        assert_eq!(sizes, vec![3, 2, 2]);
        assert!(plan.validated(MAX_ROOMS, 500).is_ok());
    }

    fn any_role() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(INSTRUCTOR.to_owned()),
            Just(LEARNER.to_owned()),
            Just(TA.to_owned()),
            Just(INSTITUTION_INSTRUCTOR.to_owned()),
            Just(SYSTEM_ADMIN.to_owned()),
            Just("Learner".to_owned()),
            "[a-zA-Z#/:.]{0,40}",
        ]
    }

    proptest! {
        /// Institution and system roles never change the outcome, wherever they are added.
        #[test]
        fn non_course_roles_never_matter(
            roles in proptest::collection::vec(any_role(), 0..8),
            at in 0usize..8,
        ) {
            let before = meeting_role(&roles);
            let mut more = roles.clone();
            more.insert(at.min(more.len()), INSTITUTION_INSTRUCTOR.to_owned());
            more.insert(at.min(more.len()), SYSTEM_ADMIN.to_owned());
            prop_assert_eq!(meeting_role(&more), before);
        }

        /// Being a learner as well never raises anyone, and the order of roles does not matter.
        #[test]
        fn learner_never_raises_and_order_is_irrelevant(
            roles in proptest::collection::vec(any_role(), 0..8),
        ) {
            let before = meeting_role(&roles);
            let mut more = roles.clone();
            more.push(LEARNER.to_owned());
            prop_assert_eq!(meeting_role(&more), before);
            let mut reversed = roles.clone();
            reversed.reverse();
            prop_assert_eq!(meeting_role(&reversed), before);
        }
    }
}
