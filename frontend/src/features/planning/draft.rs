//! The planning form's data, apart from the page: rooms as the host types them (people one per
//! line) and their conversion to and from a `Plan`. Pure, so it is unit-tested natively.

use plenary_shared::meeting::plan::{Plan, PlannedRoom};

/// One room as typed in the form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DraftRoom {
    pub name: String,
    pub topic: String,
    /// Names or emails, one per line.
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
                members: lines(&r.people),
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
            people: r.members.join("\n"),
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
                people: "Åse\n\n  kari@skole.no \n".into(),
            },
            DraftRoom::default(),
        ];
        let plan = to_plan(&rooms);
        assert_eq!(plan.rooms.len(), 1);
        assert_eq!(plan.rooms[0].name, "Fjord");
        assert_eq!(plan.rooms[0].members, vec!["Åse", "kari@skole.no"]);
        assert_eq!(to_plan(&from_plan(&plan)), plan);
    }
}
