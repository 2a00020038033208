//! Plans made ahead of a meeting: rooms with names and topics, and the people meant for each,
//! identified by name, email or both. People are matched when they join, case- and
//! whitespace-insensitively, by any key they have; a match that would fit two people present is
//! flagged, not guessed.
//!
//! `Plan::validated` is the one check of a plan, whether it came as JSON, from a CSV file (whose
//! rows are checked field by field with `member` and `room_name` here) or from a saved group set.

use crate::names::clean_topic;
use crate::names::{MAX_NAME_CHARS, MAX_ROOM_NAME_CHARS, TextError, clean_name, clean_text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Most people one plan may name (all rooms together).
pub const MAX_PLANNED_PEOPLE: usize = 5000;
/// Longest email address.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Rooms and who belongs in them, decided before the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    pub rooms: Vec<PlannedRoom>,
}

/// One planned room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRoom {
    pub name: String,
    #[serde(default)]
    pub topic: String,
    /// The people meant for this room.
    pub members: Vec<PlannedMember>,
}

/// One planned person. In JSON a plain string (`"Ada"`, `"kari@skole.no"`) or an object with
/// both keys (`{"name": "Ås, Kari", "email": "kari@skole.no"}`), so plans written before both
/// keys existed still read. (Written by hand rather than `#[serde(untagged)]`, whose buffering
/// machinery cost the browser bundle 7 KB.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedMember {
    /// A name or an email address.
    One(String),
    /// Both: matches a person who gives either (the typed name, or an LMS launch's email).
    Both { name: String, email: String },
    /// Someone from a course roster: matched exactly by their platform identity
    /// (`issuer#sub`, see `crate::lms`) when they launch from the course, shown by name.
    Course { name: String, subject: String },
}

/// Longest platform identity (`issuer#sub`) a plan keeps.
pub const MAX_SUBJECT_CHARS: usize = 600;

impl PlannedMember {
    /// How this person is compared with people who join: every key they could match by, email
    /// first.
    pub fn keys(&self) -> Vec<String> {
        match self {
            PlannedMember::One(who) => vec![identity_key(who)],
            PlannedMember::Both { name, email } => vec![identity_key(email), identity_key(name)],
            PlannedMember::Course { subject, .. } => vec![subject_key(subject)],
        }
    }

    /// The email, if the plan knows one.
    pub fn email(&self) -> Option<&str> {
        match self {
            PlannedMember::One(who) => clean_email(who).is_some().then_some(who.as_str()),
            PlannedMember::Both { email, .. } => Some(email),
            PlannedMember::Course { .. } => None,
        }
    }

    /// The name, if the plan knows one.
    pub fn name(&self) -> Option<&str> {
        match self {
            PlannedMember::One(who) => clean_email(who).is_none().then_some(who.as_str()),
            PlannedMember::Both { name, .. } | PlannedMember::Course { name, .. } => Some(name),
        }
    }

    /// How the person is shown: the name when known, else the email.
    pub fn label(&self) -> &str {
        match self {
            PlannedMember::One(who) => who,
            PlannedMember::Both { name, .. } | PlannedMember::Course { name, .. } => name,
        }
    }
}

impl Serialize for PlannedMember {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self {
            PlannedMember::One(who) => serializer.serialize_str(who),
            PlannedMember::Both { name, email } => {
                let mut s = serializer.serialize_struct("PlannedMember", 2)?;
                s.serialize_field("name", name)?;
                s.serialize_field("email", email)?;
                s.end()
            }
            PlannedMember::Course { name, subject } => {
                let mut s = serializer.serialize_struct("PlannedMember", 2)?;
                s.serialize_field("name", name)?;
                s.serialize_field("subject", subject)?;
                s.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for PlannedMember {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PlannedMember;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a name or email, or {\"name\", \"email\"}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PlannedMember, E> {
                Ok(PlannedMember::One(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<PlannedMember, A::Error> {
                let (mut name, mut email) = (None::<String>, None::<String>);
                let mut subject = None::<String>;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => name = Some(map.next_value()?),
                        "email" => email = Some(map.next_value()?),
                        "subject" => subject = Some(map.next_value()?),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                if let Some(subject) = subject {
                    let name = name.or(email).unwrap_or_default();
                    return Ok(PlannedMember::Course { name, subject });
                }
                match (name, email) {
                    (Some(name), Some(email)) => Ok(PlannedMember::Both { name, email }),
                    (Some(one), None) | (None, Some(one)) => Ok(PlannedMember::One(one)),
                    (None, None) => Err(serde::de::Error::missing_field("name")),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl From<&str> for PlannedMember {
    fn from(who: &str) -> Self {
        PlannedMember::One(who.to_owned())
    }
}

impl From<String> for PlannedMember {
    fn from(who: String) -> Self {
        PlannedMember::One(who)
    }
}

/// A member planned by one key is that key, as written.
impl PartialEq<&str> for PlannedMember {
    fn eq(&self, other: &&str) -> bool {
        matches!(self, PlannedMember::One(who) if who == other)
    }
}

/// What is wrong with one planned person.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberProblem {
    #[error("neither a name nor an email")]
    Empty,
    #[error("the name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("the name cannot be used: {problem}")]
    BadName { problem: TextError },
    #[error("\"{email}\" is not an email address")]
    InvalidEmail { email: String },
    #[error("the course identity is empty or longer than {max} characters")]
    BadSubject { max: usize },
}

/// What is wrong with a plan as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanProblem {
    #[error("it needs 1 to {max} rooms")]
    RoomCount { max: usize },
    #[error("it names more than {max} people")]
    TooManyPeople { max: usize },
    #[error("room {room}: the name cannot be used: {problem}")]
    RoomName { room: usize, problem: TextError },
    #[error("room {room}: the topic cannot be used: {problem}")]
    Topic { room: usize, problem: TextError },
    #[error("room {room}: {problem}")]
    Member { room: usize, problem: MemberProblem },
    #[error("{who} is planned twice")]
    PlannedTwice { who: String },
}

/// Checks and cleans a room name.
pub fn room_name(raw: &str) -> Result<String, TextError> {
    clean_text(raw, MAX_ROOM_NAME_CHARS)
}

/// Checks and cleans one person from a name, an email, or both (empty strings count as absent).
pub fn member(name: Option<&str>, email: Option<&str>) -> Result<PlannedMember, MemberProblem> {
    let name = name.filter(|n| !n.trim().is_empty());
    let email = email.filter(|e| !e.trim().is_empty());
    let name = name
        .map(|n| {
            if n.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .count()
                > MAX_NAME_CHARS
            {
                return Err(MemberProblem::NameTooLong {
                    max: MAX_NAME_CHARS,
                });
            }
            clean_name(n).map_err(|problem| MemberProblem::BadName { problem })
        })
        .transpose()?;
    let email = email
        .map(|e| {
            clean_email(e).ok_or_else(|| MemberProblem::InvalidEmail {
                email: e.trim().to_owned(),
            })
        })
        .transpose()?;
    match (name, email) {
        (Some(name), Some(email)) => Ok(PlannedMember::Both { name, email }),
        (Some(one), None) | (None, Some(one)) => Ok(PlannedMember::One(one)),
        (None, None) => Err(MemberProblem::Empty),
    }
}

/// Checks one person of a course roster: a usable name and a platform identity.
pub fn course_member(name: &str, subject: &str) -> Result<PlannedMember, MemberProblem> {
    let subject = subject.trim();
    if subject.is_empty()
        || subject.chars().count() > MAX_SUBJECT_CHARS
        || subject.chars().any(char::is_control)
    {
        return Err(MemberProblem::BadSubject {
            max: MAX_SUBJECT_CHARS,
        });
    }
    let (PlannedMember::One(name) | PlannedMember::Both { name, .. }) = member(Some(name), None)?
    else {
        return Err(MemberProblem::Empty);
    };
    Ok(PlannedMember::Course {
        name,
        subject: subject.to_owned(),
    })
}

impl Plan {
    /// The plan with every field cleaned, or the first thing wrong with it: 1 to `max_rooms`
    /// rooms, at most `MAX_PLANNED_PEOPLE` people, valid names, topics and emails, and nobody
    /// planned twice under any of their keys.
    pub fn validated(&self, max_rooms: usize, max_topic: usize) -> Result<Plan, PlanProblem> {
        if !(1..=max_rooms).contains(&self.rooms.len()) {
            return Err(PlanProblem::RoomCount { max: max_rooms });
        }
        let people: usize = self.rooms.iter().map(|r| r.members.len()).sum();
        if people > MAX_PLANNED_PEOPLE {
            return Err(PlanProblem::TooManyPeople {
                max: MAX_PLANNED_PEOPLE,
            });
        }
        let mut seen: BTreeMap<String, ()> = BTreeMap::new();
        let mut rooms = Vec::with_capacity(self.rooms.len());
        for (i, planned) in self.rooms.iter().enumerate() {
            let room = i + 1;
            let name = room_name(&planned.name)
                .map_err(|problem| PlanProblem::RoomName { room, problem })?;
            let topic = clean_topic(&planned.topic, max_topic)
                .map_err(|problem| PlanProblem::Topic { room, problem })?;
            let mut members = Vec::with_capacity(planned.members.len());
            for m in &planned.members {
                let cleaned = match m {
                    PlannedMember::One(who) => match clean_email(who) {
                        Some(email) => member(None, Some(&email)),
                        None => member(Some(who), None),
                    },
                    PlannedMember::Both { name, email } => member(Some(name), Some(email)),
                    PlannedMember::Course { name, subject } => course_member(name, subject),
                }
                .map_err(|problem| PlanProblem::Member { room, problem })?;
                for key in cleaned.keys() {
                    if seen.insert(key, ()).is_some() {
                        return Err(PlanProblem::PlannedTwice {
                            who: cleaned.label().to_owned(),
                        });
                    }
                }
                members.push(cleaned);
            }
            rooms.push(PlannedRoom {
                name,
                topic,
                members,
            });
        }
        Ok(Plan { rooms })
    }

    /// How many people the plan names.
    pub fn people(&self) -> usize {
        self.rooms.iter().map(|r| r.members.len()).sum()
    }
}

/// How a name or email is compared: lower case, inner whitespace collapsed, trimmed.
pub fn identity_key(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The key a person launched from a learning platform is planned by: their `issuer#sub`,
/// exactly (a platform's ids are case-sensitive). It starts with a control character, which
/// no cleaned name or email has, so it never matches one.
pub fn subject_key(subject: &str) -> String {
    format!("{SUBJECT_PREFIX}{subject}")
}

const SUBJECT_PREFIX: &str = "\u{1}lti ";

/// The platform identity a `subject_key` was made from, if it is one.
pub fn subject_of_key(key: &str) -> Option<&str> {
    key.strip_prefix(SUBJECT_PREFIX)
}

/// A plausible email address, trimmed: one `@` with text on both sides, no spaces, at most 254
/// characters. `None` if it is not one.
pub fn clean_email(raw: &str) -> Option<String> {
    let e = raw.trim();
    let (local, domain) = e.split_once('@')?;
    let plausible = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && e.chars().count() <= MAX_EMAIL_CHARS
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && crate::names::strip_invisible(e) == e;
    plausible.then(|| e.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_spacing() {
        assert_eq!(identity_key("  Ada   LOVELACE "), "ada lovelace");
        assert_eq!(identity_key("Åse@Skole.no"), "åse@skole.no");
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert_eq!(clean_email(" kari@skole.no "), Some("kari@skole.no".into()));
        for bad in [
            "",
            "kari",
            "@skole.no",
            "kari@",
            "ka ri@skole.no",
            "a@b@c",
            "ka\u{200B}ri@skole.no",
        ] {
            assert_eq!(clean_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn members_read_as_strings_or_with_both_keys() {
        let json = r#"[ "Ada", {"name": "Ås, Kari", "email": "kari@skole.no"} ]"#;
        let members: Vec<PlannedMember> = serde_json::from_str(json).expect("parse");
        assert_eq!(members[0], PlannedMember::One("Ada".into()));
        assert_eq!(members[1].keys(), vec!["kari@skole.no", "ås, kari"]);
        assert_eq!(members[1].label(), "Ås, Kari");
        let back = serde_json::to_string(&members).expect("serialise");
        assert_eq!(
            back,
            r#"["Ada",{"name":"Ås, Kari","email":"kari@skole.no"}]"#
        );
    }

    #[test]
    fn one_validation_for_every_plan() {
        let plan = |members: Vec<PlannedMember>| Plan {
            rooms: vec![PlannedRoom {
                name: " Gruppe 1 ".into(),
                topic: String::new(),
                members,
            }],
        };
        let good = plan(vec![
            "  Ada   Lovelace ".into(),
            PlannedMember::Both {
                name: "Ås, Kari".into(),
                email: " kari@skole.no".into(),
            },
        ])
        .validated(100, 500)
        .expect("valid");
        assert_eq!(good.rooms[0].name, "Gruppe 1");
        assert_eq!(
            good.rooms[0].members[0],
            PlannedMember::One("Ada Lovelace".into())
        );
        let twice = plan(vec![
            "kari@skole.no".into(),
            PlannedMember::Both {
                name: "Kari".into(),
                email: "KARI@skole.no".into(),
            },
        ]);
        assert!(matches!(
            twice.validated(100, 500),
            Err(PlanProblem::PlannedTwice { .. })
        ));
        let bad_email = plan(vec![PlannedMember::Both {
            name: "Kari".into(),
            email: "kari@".into(),
        }]);
        assert!(matches!(
            bad_email.validated(100, 500),
            Err(PlanProblem::Member {
                problem: MemberProblem::InvalidEmail { .. },
                ..
            })
        ));
        let invisible = plan(vec!["\u{200B}".into()]);
        assert!(matches!(
            invisible.validated(100, 500),
            Err(PlanProblem::Member { .. })
        ));
        let crowd = plan(
            (0..=MAX_PLANNED_PEOPLE)
                .map(|i| PlannedMember::One(format!("P{i}")))
                .collect(),
        );
        assert_eq!(
            crowd.validated(100, 500),
            Err(PlanProblem::TooManyPeople {
                max: MAX_PLANNED_PEOPLE
            })
        );
        assert!(matches!(
            Plan::default().validated(100, 500),
            Err(PlanProblem::RoomCount { .. })
        ));
    }
}
