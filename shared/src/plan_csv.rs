//! CSV import and export of breakout plans (`room,name,email`), for hosts who plan groups in a
//! spreadsheet or an LMS export. Every bad row is reported with its line number and reason, and
//! the good rows are kept apart, so nothing is imported until the file is clean or the host
//! accepts the good rows. Tolerates a UTF-8 byte-order mark and `;` as the separator (Excel in
//! Norwegian and other locales), and quoted fields with commas. A row with both a name and an
//! email plans one person who matches by either. Fields are checked by the same functions as a
//! JSON plan (`plan::member`, `plan::room_name`).
//!
//! On export a cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) is prefixed with `'`, which spreadsheets show as text; on import
//! that one `'` is taken off again, so a file round-trips.

use crate::meeting::plan::{
    self, MAX_PLANNED_PEOPLE, MemberProblem, Plan, PlannedMember, PlannedRoom,
};
use crate::meeting::rooms::MAX_ROOMS;
use crate::names::{MAX_NAME_CHARS, MAX_ROOM_NAME_CHARS, TextError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Most rows one file may hold: as many people as a plan may name.
pub const MAX_ROWS: usize = MAX_PLANNED_PEOPLE;

/// One person planned into one room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRow {
    pub room: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// What is wrong with a line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowProblem {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("unknown column \"{column}\" (the columns are room, name, email)")]
    UnknownColumn { column: String },
    #[error("the column \"{column}\" appears twice")]
    DuplicateColumn { column: String },
    #[error("there is no \"room\" column")]
    MissingRoomColumn,
    #[error("there is neither a \"name\" nor an \"email\" column")]
    MissingIdentityColumns,
    #[error("expected {expected} fields, found {found}")]
    WrongFieldCount { expected: usize, found: usize },
    #[error("the room is empty")]
    EmptyRoom,
    #[error("the row has neither a name nor an email")]
    EmptyIdentity,
    #[error("the room name is longer than {max} characters")]
    RoomNameTooLong { max: usize },
    #[error("the name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("\"{email}\" is not an email address")]
    InvalidEmail { email: String },
    #[error("{who} is already planned on line {first_line}")]
    DuplicatePerson { who: String, first_line: u64 },
    #[error("a plan holds at most {max} rooms")]
    TooManyRooms { max: usize },
    #[error("a file holds at most {max} rows")]
    TooManyRows { max: usize },
    #[error("the line could not be read: {detail}")]
    Unreadable { detail: String },
    #[error("the room name cannot be used: {problem}")]
    BadRoomName { problem: TextError },
    #[error("the name cannot be used: {problem}")]
    BadName { problem: TextError },
}

/// A problem and where it is (1-based line number, the header being line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: u64,
    pub problem: RowProblem,
}

/// The outcome of reading a file: the good rows and every problem.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CsvImport {
    pub rows: Vec<PlanRow>,
    pub errors: Vec<RowError>,
}

impl CsvImport {
    /// Whether every line was good.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// The good rows as a plan: rooms in order of first appearance, each person by email when
    /// given, else by name.
    pub fn to_plan(&self) -> Plan {
        rows_to_plan(&self.rows)
    }
}

/// Groups rows into a plan: one person per row, by name and email when the row has both.
pub fn rows_to_plan(rows: &[PlanRow]) -> Plan {
    let mut rooms: Vec<PlannedRoom> = Vec::new();
    for row in rows {
        let who = match (&row.name, &row.email) {
            (Some(name), Some(email)) => PlannedMember::Both {
                name: name.clone(),
                email: email.clone(),
            },
            (Some(one), None) | (None, Some(one)) => PlannedMember::One(one.clone()),
            (None, None) => continue,
        };
        match rooms.iter_mut().find(|r| r.name == row.room) {
            Some(room) => room.members.push(who),
            None => rooms.push(PlannedRoom {
                name: row.room.clone(),
                topic: String::new(),
                members: vec![who],
            }),
        }
    }
    Plan { rooms }
}

/// A plan as rows: each person's name and email in their columns. (Topics have no column; they
/// stay in the JSON plan.)
pub fn plan_to_rows(plan: &Plan) -> Vec<PlanRow> {
    plan.rooms
        .iter()
        .flat_map(|room| {
            room.members.iter().map(|who| PlanRow {
                room: room.name.clone(),
                name: who.name().map(str::to_owned),
                email: who.email().map(str::to_owned),
            })
        })
        .collect()
}

/// Whether a spreadsheet would take a cell starting like this for a formula.
fn looks_like_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A cell as written: prefixed with `'` if a spreadsheet would run it.
pub fn escape_cell(cell: &str) -> String {
    if looks_like_formula(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// A cell as read: the `'` that `escape_cell` put before a formula-like text comes off.
pub fn unescape_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest,
        _ => cell,
    }
}

#[derive(Clone, Copy)]
enum Column {
    Room,
    Name,
    Email,
}

fn err(line: u64, problem: RowProblem) -> RowError {
    RowError { line, problem }
}

/// Reads a plan from CSV bytes.
pub fn parse(bytes: &[u8]) -> CsvImport {
    let mut out = CsvImport::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            out.errors.push(err(line as u64, RowProblem::NotUtf8));
            return out;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text.lines().next().unwrap_or("");
    if header_line.trim().is_empty() {
        out.errors.push(err(1, RowProblem::Empty));
        return out;
    }
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let columns = match records.next() {
        Some(Ok(header)) => match read_header(&header) {
            Ok(c) => c,
            Err(problems) => {
                out.errors.extend(problems.into_iter().map(|p| err(1, p)));
                return out;
            }
        },
        Some(Err(e)) => {
            out.errors.push(err(
                1,
                RowProblem::Unreadable {
                    detail: e.to_string(),
                },
            ));
            return out;
        }
        None => {
            out.errors.push(err(1, RowProblem::Empty));
            return out;
        }
    };
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut room_names: Vec<String> = Vec::new();
    // The csv crate's own line count is off with CRLF endings (a record can start on the break
    // before it), so lines are counted here from each record's byte offset, incrementally.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line_at) = (0usize, 1u64);
    let mut line_of = |byte: usize| {
        // A record's recorded start may sit on the line break before it.
        let mut byte = byte.min(bytes.len());
        while bytes.get(byte).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            byte += 1;
        }
        if byte >= counted_to {
            line_at += bytes[counted_to..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            counted_to = byte;
        }
        line_at
    };
    for (index, record) in records.enumerate() {
        let position = match &record {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let line = position.map_or(index as u64 + 2, |p| {
            line_of(usize::try_from(p.byte()).unwrap_or(usize::MAX))
        });
        if index >= MAX_ROWS {
            out.errors
                .push(err(line, RowProblem::TooManyRows { max: MAX_ROWS }));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.errors.push(err(
                    line,
                    RowProblem::Unreadable {
                        detail: e.to_string(),
                    },
                ));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue; // blank lines (Excel adds them) are not rows
        }
        match read_row(&record, &columns, &room_names) {
            Err(problem) => out.errors.push(err(line, problem)),
            Ok(row) => {
                let member = plan::member(row.name.as_deref(), row.email.as_deref());
                let keys = member.as_ref().map(PlannedMember::keys).unwrap_or_default();
                if let Some(first_line) = keys.iter().find_map(|k| seen.get(k)) {
                    let who = row
                        .email
                        .clone()
                        .or_else(|| row.name.clone())
                        .unwrap_or_default();
                    out.errors.push(err(
                        line,
                        RowProblem::DuplicatePerson {
                            who,
                            first_line: *first_line,
                        },
                    ));
                    continue;
                }
                for key in keys {
                    seen.insert(key, line);
                }
                if !room_names.contains(&row.room) {
                    room_names.push(row.room.clone());
                }
                out.rows.push(row);
            }
        }
    }
    out
}

fn read_header(header: &csv::StringRecord) -> Result<Vec<Column>, Vec<RowProblem>> {
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for raw in header {
        let lower = raw.trim().to_lowercase();
        if names.contains(&lower) {
            problems.push(RowProblem::DuplicateColumn {
                column: raw.trim().to_owned(),
            });
            continue;
        }
        names.push(lower.clone());
        match lower.as_str() {
            "room" => columns.push(Column::Room),
            "name" => columns.push(Column::Name),
            "email" | "e-mail" => columns.push(Column::Email),
            _ => problems.push(RowProblem::UnknownColumn {
                column: raw.trim().to_owned(),
            }),
        }
    }
    if !columns.iter().any(|c| matches!(c, Column::Room)) {
        problems.push(RowProblem::MissingRoomColumn);
    }
    if !columns
        .iter()
        .any(|c| matches!(c, Column::Name | Column::Email))
    {
        problems.push(RowProblem::MissingIdentityColumns);
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(problems)
    }
}

fn read_row(
    record: &csv::StringRecord,
    columns: &[Column],
    rooms_so_far: &[String],
) -> Result<PlanRow, RowProblem> {
    if record.len() != columns.len() {
        return Err(RowProblem::WrongFieldCount {
            expected: columns.len(),
            found: record.len(),
        });
    }
    let (mut room, mut name, mut email) = (String::new(), None, None);
    for (column, value) in columns.iter().zip(record.iter()) {
        let value = unescape_cell(value.trim());
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match column {
            Column::Room => room = value,
            Column::Name => name = Some(value).filter(|v| !v.is_empty()),
            Column::Email => email = Some(value).filter(|v| !v.is_empty()),
        }
    }
    if room.is_empty() {
        return Err(RowProblem::EmptyRoom);
    }
    if room.chars().count() > MAX_ROOM_NAME_CHARS {
        return Err(RowProblem::RoomNameTooLong {
            max: MAX_ROOM_NAME_CHARS,
        });
    }
    let room = plan::room_name(&room).map_err(|problem| RowProblem::BadRoomName { problem })?;
    let member = plan::member(name.as_deref(), email.as_deref()).map_err(|p| match p {
        // `member` makes no course members, so a bad subject cannot come from a row.
        MemberProblem::Empty | MemberProblem::BadSubject { .. } => RowProblem::EmptyIdentity,
        MemberProblem::NameTooLong { .. } => RowProblem::NameTooLong {
            max: MAX_NAME_CHARS,
        },
        MemberProblem::BadName { problem } => RowProblem::BadName { problem },
        MemberProblem::InvalidEmail { email } => RowProblem::InvalidEmail { email },
    })?;
    if !rooms_so_far.contains(&room) && rooms_so_far.len() >= MAX_ROOMS {
        return Err(RowProblem::TooManyRooms { max: MAX_ROOMS });
    }
    Ok(PlanRow {
        room,
        name: member.name().map(str::to_owned),
        email: member.email().map(str::to_owned),
    })
}

/// Writes rows as CSV with the header `room,name,email`.
pub fn write(rows: &[PlanRow]) -> Result<String, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| e.to_string();
    writer
        .write_record(["room", "name", "email"])
        .map_err(fail)?;
    for row in rows {
        writer
            .write_record([
                escape_cell(&row.room),
                escape_cell(row.name.as_deref().unwrap_or("")),
                escape_cell(row.email.as_deref().unwrap_or("")),
            ])
            .map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
