//! The planning form's data, apart from the page: rooms as the host types them (people one per
//! line: a name, an email, or both as `Name <email>`) and their conversion to and from a `Plan`.
//! Pure, so it is unit-tested natively.

use plenary_shared::meeting::plan::{Plan, PlannedMember, PlannedRoom};

/// One room as typed in the form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DraftRoom {
    pub name: String,
    pub topic: String,
    /// Names, emails or `Name <email>`, one per line.
    pub people: String,
}

/// The non-empty, trimmed lines of a text area.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One typed line as a planned person: `Ås, Kari <kari@skole.no>` has both keys.
pub fn member(line: &str) -> PlannedMember {
    if let Some(rest) = line.strip_suffix('>')
        && let Some((name, email)) = rest.rsplit_once('<')
        && !name.trim().is_empty()
    {
        return PlannedMember::Both {
            name: name.trim().to_owned(),
            email: email.trim().to_owned(),
        };
    }
    PlannedMember::One(line.to_owned())
}

/// How a planned person is typed in the form.
pub fn line(member: &PlannedMember) -> String {
    match member {
        PlannedMember::One(who) => who.clone(),
        PlannedMember::Both { name, email } => format!("{name} <{email}>"),
        PlannedMember::Course { name, .. } => name.clone(),
    }
}

/// The plan the form describes. Rooms left entirely blank are skipped; a room with people but no
/// name keeps its empty name so the server can say what is wrong.
pub fn to_plan(rooms: &[DraftRoom]) -> Plan {
    Plan {
        rooms: rooms
            .iter()
            .filter(|r| {
                !(r.name.trim().is_empty()
                    && r.topic.trim().is_empty()
                    && lines(&r.people).is_empty())
            })
            .map(|r| PlannedRoom {
                name: r.name.trim().to_owned(),
                topic: r.topic.trim().to_owned(),
                members: lines(&r.people).iter().map(|l| member(l)).collect(),
            })
            .collect(),
    }
}

/// The form's rooms for a plan (after a CSV import, say).
pub fn from_plan(plan: &Plan) -> Vec<DraftRoom> {
    plan.rooms
        .iter()
        .map(|r| DraftRoom {
            name: r.name.clone(),
            topic: r.topic.clone(),
            people: r.members.iter().map(line).collect::<Vec<_>>().join("\n"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_one_per_line_and_blank_rooms_are_dropped() {
        let rooms = vec![
            DraftRoom {
                name: " Fjord ".into(),
                topic: "Tides".into(),
                people: "Åse\n\n  kari@skole.no \nÅs, Kari <kari@x.no>".into(),
            },
            DraftRoom::default(),
        ];
        let plan = to_plan(&rooms);
        assert_eq!(plan.rooms.len(), 1);
        assert_eq!(plan.rooms[0].name, "Fjord");
        assert_eq!(plan.rooms[0].members[..2], ["Åse", "kari@skole.no"]);
        assert_eq!(
            plan.rooms[0].members[2],
            PlannedMember::Both {
                name: "Ås, Kari".into(),
                email: "kari@x.no".into()
            }
        );
        assert_eq!(to_plan(&from_plan(&plan)), plan);
    }
}
