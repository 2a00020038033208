//! CSV shapes seen in the wild: Excel exports with a BOM and `;`, quoted names with commas,
//! Norwegian letters, mixed good and bad rows, and a 1,000-row file.

use super::*;
use crate::meeting::plan::{Plan, PlannedMember, PlannedRoom};

fn row(room: &str, name: Option<&str>, email: Option<&str>) -> PlanRow {
    PlanRow {
        room: room.into(),
        name: name.map(Into::into),
        email: email.map(Into::into),
    }
}

#[test]
fn excel_export_with_bom_semicolons_and_norwegian_letters() {
    let file = "\u{feff}Room;Name;Email\r\nGruppe Ærfugl;Åse Øvrebø;ase@skole.no\r\nGruppe Ærfugl;Bjørn;\r\nGruppe Lo;;kari@skole.no\r\n;;\r\n";
    let import = parse(file.as_bytes());
    assert!(import.is_clean(), "{:?}", import.errors);
    assert_eq!(
        import.rows,
        vec![
            row("Gruppe Ærfugl", Some("Åse Øvrebø"), Some("ase@skole.no")),
            row("Gruppe Ærfugl", Some("Bjørn"), None),
            row("Gruppe Lo", None, Some("kari@skole.no")),
        ]
    );
    let plan = import.to_plan();
    assert_eq!(plan.rooms.len(), 2);
    assert_eq!(
        plan.rooms[0].members,
        vec![
            PlannedMember::Both {
                name: "Åse Øvrebø".into(),
                email: "ase@skole.no".into()
            },
            "Bjørn".into()
        ]
    );
}

#[test]
fn quoted_names_with_commas_and_columns_in_any_order() {
    let file = "email,room,name\n,\"Room 1, left\",\"Lovelace, Ada\"\nbob@x.org,Room 2,\"Bob \"\"B\"\" Smith\"\n";
    let import = parse(file.as_bytes());
    assert!(import.is_clean(), "{:?}", import.errors);
    assert_eq!(
        import.rows,
        vec![
            row("Room 1, left", Some("Lovelace, Ada"), None),
            row("Room 2", Some("Bob \"B\" Smith"), Some("bob@x.org")),
        ]
    );
}

#[test]
fn every_bad_row_is_reported_with_its_line_and_good_rows_are_kept() {
    let long = "x".repeat(65);
    let file = format!(
        "room,name,email\n\
         A,Ola,\n\
         ,Kari,\n\
         A,,\n\
         B,{long},\n\
         B,Per,not-an-email\n\
         B,ola,\n\
         C,Liv\n\
         C,Liv,liv@x.no\n"
    );
    let import = parse(file.as_bytes());
    let lines: Vec<(u64, RowProblem)> = import
        .errors
        .iter()
        .map(|e| (e.line, e.problem.clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (3, RowProblem::EmptyRoom),
            (4, RowProblem::EmptyIdentity),
            (5, RowProblem::NameTooLong { max: 64 }),
            (
                6,
                RowProblem::InvalidEmail {
                    email: "not-an-email".into()
                }
            ),
            (
                7,
                RowProblem::DuplicatePerson {
                    who: "ola".into(),
                    first_line: 2
                }
            ),
            (
                8,
                RowProblem::WrongFieldCount {
                    expected: 3,
                    found: 2
                }
            ),
        ]
    );
    assert_eq!(
        import.rows,
        vec![
            row("A", Some("Ola"), None),
            row("C", Some("Liv"), Some("liv@x.no"))
        ]
    );
    // The messages read as sentences.
    assert_eq!(
        import.errors[4].problem.to_string(),
        "ola is already planned on line 2"
    );
}

#[test]
fn header_problems_are_reported_on_line_one() {
    let import = parse(b"room,name,phone\nA,Ola,123\n");
    assert_eq!(
        import.errors,
        vec![RowError {
            line: 1,
            problem: RowProblem::UnknownColumn {
                column: "phone".into()
            }
        }]
    );
    let import = parse(b"name,email\nOla,\n");
    assert_eq!(import.errors[0].problem, RowProblem::MissingRoomColumn);
    let import = parse(b"room\nA\n");
    assert_eq!(import.errors[0].problem, RowProblem::MissingIdentityColumns);
    let import = parse(b"room,name,Name\n");
    assert_eq!(
        import.errors[0].problem,
        RowProblem::DuplicateColumn {
            column: "Name".into()
        }
    );
    assert_eq!(parse(b"").errors[0].problem, RowProblem::Empty);
    assert!(import.rows.is_empty());
}

#[test]
fn non_utf8_files_are_refused_with_the_line() {
    let import = parse(b"room,name\nA,Ola\nB,\xe6ble\n");
    assert_eq!(
        import.errors,
        vec![RowError {
            line: 3,
            problem: RowProblem::NotUtf8
        }]
    );
}

#[test]
fn more_than_a_hundred_rooms_is_refused_per_row() {
    let mut file = String::from("room,name\n");
    for i in 0..=MAX_ROOMS {
        file.push_str(&format!("Room {i},Person {i}\n"));
    }
    let import = parse(file.as_bytes());
    assert_eq!(import.rows.len(), MAX_ROOMS);
    assert_eq!(
        import.errors,
        vec![RowError {
            line: MAX_ROOMS as u64 + 2,
            problem: RowProblem::TooManyRooms { max: MAX_ROOMS }
        }]
    );
}

#[test]
fn a_thousand_rows_parse_quickly_and_round_trip() {
    let rows: Vec<PlanRow> = (0..1000)
        .map(|i| {
            row(
                &format!("Gruppe {}", i % 50),
                Some(&format!("Elev {i}, klasse {}", i % 7)),
                Some(&format!("elev{i}@skole.no")),
            )
        })
        .collect();
    let file = write(&rows).expect("write");
    let started = std::time::Instant::now();
    let import = parse(file.as_bytes());
    let took = started.elapsed();
    eprintln!("parsed 1,000 rows in {took:?}");
    assert!(import.is_clean(), "{:?}", import.errors.first());
    assert_eq!(import.rows, rows);
    assert_eq!(import.to_plan().rooms.len(), 50);
}

#[test]
fn plans_become_rows_with_emails_in_their_own_column_and_back() {
    let plan = Plan {
        rooms: vec![PlannedRoom {
            name: "Fjord".into(),
            topic: String::new(),
            members: vec!["Åse".into(), "kari@skole.no".into()],
        }],
    };
    let rows = plan_to_rows(&plan);
    assert_eq!(
        rows,
        vec![
            row("Fjord", Some("Åse"), None),
            row("Fjord", None, Some("kari@skole.no"))
        ]
    );
    assert_eq!(rows_to_plan(&rows), plan);
}

mod props {
    use super::super::*;
    use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest};

    proptest! {
        #[test]
        fn any_bytes_are_read_without_panic_and_non_utf8_is_one_error(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let import = parse(&bytes);
            prop_assert!(import.rows.len() <= MAX_ROWS);
            if std::str::from_utf8(&bytes).is_err() {
                prop_assert!(import.rows.is_empty());
                prop_assert_eq!(import.errors.len(), 1);
                prop_assert_eq!(&import.errors[0].problem, &RowProblem::NotUtf8);
            }
        }

        #[test]
        fn every_data_line_is_a_good_row_or_an_error(
            lines in proptest::collection::vec("[a-zA-Zæøå@.,; \"]{0,12}", 1..30)
        ) {
            let mut file = String::from("room,name,email\n");
            for l in &lines {
                file.push_str(l);
                file.push('\n');
            }
            let import = parse(file.as_bytes());
            // Lines with quotes may span several physical lines, so count records, not lines:
            // every record the reader saw is either kept or reported, none silently lost.
            let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(file.as_bytes());
            let non_blank = reader.records().filter(|r| r.as_ref().map_or(true, |r| !r.iter().all(|f| f.trim().is_empty()))).count();
            prop_assert_eq!(import.rows.len() + import.errors.len(), non_blank);
        }

        #[test]
        fn written_rows_read_back_the_same(
            rows in proptest::collection::vec(("[A-Za-zæøå ,\"]{1,20}", "[A-Za-zæøå ,\"]{1,30}"), 1..40)
        ) {
            let rows: Vec<PlanRow> = rows
                .iter()
                .enumerate()
                .filter(|(_, (room, name))| !room.trim().is_empty() && !name.trim().is_empty())
                .map(|(i, (room, name))| PlanRow {
                    room: room.split_whitespace().collect::<Vec<_>>().join(" "),
                    name: Some(format!("{} {i}", name.split_whitespace().collect::<Vec<_>>().join(" "))),
                    email: None,
                })
                .collect();
            let import = parse(write(&rows).map_err(proptest::test_runner::TestCaseError::fail)?.as_bytes());
            prop_assert!(import.is_clean(), "{:?}", import.errors.first());
            prop_assert_eq!(import.rows, rows);
        }
    }
}

#[test]
fn line_numbers_count_physical_lines_with_crlf_and_bom() {
    let found = parse(
        "\u{feff}room;name;email\r\nFjord;Åse Øvrebø;\r\nFjord;\"Berg, Per\";per@skole.no\r\n;Nobody;\r\nFjell;;kari@skole.no\r\n"
            .as_bytes(),
    );
    assert_eq!(found.rows.len(), 3);
    assert_eq!(found.errors.len(), 1);
    assert_eq!(found.errors[0].line, 4, "{:?}", found.errors);
    let lf = parse(b"room,name\nA,x\n\n,y\nB,z\n");
    assert_eq!(lf.errors.len(), 1);
    assert_eq!(lf.errors[0].line, 4, "{:?}", lf.errors);
}

#[test]
fn cells_a_spreadsheet_would_run_are_escaped_and_read_back() {
    let rows = vec![
        row("=HYPERLINK(\"http://x\")", Some("+Ada"), None),
        row("-1 room", Some("@Bob"), Some("bob@x.org")),
        row("Plain", Some("Per"), None),
    ];
    let csv = write(&rows).expect("write");
    for line in csv.lines().skip(1) {
        let first = line.trim_start_matches('"');
        assert!(
            !first.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{line}"
        );
    }
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("'+Ada"), "{csv}");
    let back = parse(csv.as_bytes());
    assert!(back.is_clean(), "{:?}", back.errors);
    assert_eq!(back.rows, rows);
}
