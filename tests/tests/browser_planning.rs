//! Planning ahead and Norwegian, in real headless Chromium: a host plans a meeting on `/plan`
//! (title, passcode, a CSV with a bad line, previewed before use), gets the two links, then runs
//! the planned rooms in Norwegian Bokmål with a participant who came by the passcode link.

use plenary_e2e::browser::{Driver, require_dist};
use plenary_e2e::client::Client;
use plenary_e2e::{HarnessError, Result, TestServer};
use plenary_shared::ids::MeetingId;
use plenary_shared::meeting::Credential;
use plenary_shared::protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};

#[tokio::test]
async fn a_planned_meeting_from_csv_runs_in_norwegian() -> Result<()> {
    require_dist()?;
    let server = TestServer::start().await?;
    let driver = Driver::start().await?;
    let planner = driver.page(1280, 800).await?;
    planner.goto(&format!("{}/plan", server.url())).await?;
    planner.fill("Title", "Naturfag 9B").await?;
    planner.fill("Passcode", "424242").await?;

    // An Excel-style export: BOM, semicolons, a quoted name with a comma, one bad line.
    let dir = std::env::temp_dir().join(format!("plenary-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("groups.csv");
    std::fs::write(
        &csv,
        "\u{feff}room;name;email\r\nFjord;Åse Øvrebø;\r\nFjord;\"Berg, Per\";per@skole.no\r\n;Nobody;\r\nFjell;;kari@skole.no\r\n",
    )?;
    planner
        .field("Import CSV")
        .await?
        .send_keys(&csv.to_string_lossy())
        .await
        .map_err(|e| HarnessError::WebDriver(e.to_string()))?;
    planner.until_text("Åse Øvrebø").await?;
    let table = planner
        .eval(
            "return [...document.querySelectorAll('section[aria-label=Preview] tbody tr')].map(tr => tr.innerText.replace(/\\s+/g, ' ').trim());",
            vec![],
        )
        .await?;
    let rows: Vec<String> = table
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        rows,
        vec![
            "Fjord Åse Øvrebø",
            "Fjord Berg, Per per@skole.no",
            "Fjell kari@skole.no"
        ]
    );
    let problems = planner.list_items("Problems in the file").await?;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("Line 4"), "{problems:?}");
    assert!(
        !planner.has_button("Use these rooms").await?,
        "a file with errors is not used whole"
    );
    planner.screenshot("plan-preview-1280").await?;
    planner.click("Use the good rows").await?;
    assert_eq!(planner.field_value("Room name").await?, "Fjord");
    planner.click("Create meeting").await?;
    planner
        .until_role("status", "The meeting is ready.")
        .await?;
    let host_link = planner.field_value("Host link").await?;
    let participant_link = planner.field_value("Participant link").await?;
    assert!(host_link.contains("#host="));
    assert!(
        participant_link.ends_with("#pwd=424242"),
        "{participant_link}"
    );
    planner.screenshot("plan-created-1280").await?;

    // The host opens the host link and switches to Norwegian.
    planner.goto(&host_link).await?;
    planner.select("Language", "Norsk bokmål").await?;
    planner.until_text("Navnet ditt").await?;
    planner.until_text("Naturfag 9B").await?;
    assert!(
        !planner.has_field("Passkode").await?,
        "the host link needs no passcode"
    );
    planner.fill("Navnet ditt", "Hanne").await?;
    planner.click("Bli med").await?;
    planner.until_role("status", "Du er i hovedmøtet").await?;
    planner.until_text("Naturfag 9B").await?;

    // A participant comes by the participant link: the passcode is in it.
    let guest = driver.page(375, 812).await?;
    guest.goto(&participant_link).await?;
    guest.select("Language", "Norsk bokmål").await?;
    assert_eq!(guest.field_value("Passkode").await?, "424242");
    assert!(
        guest.has_field("Passkode").await?,
        "the probe used for the host page sees fields"
    );
    // A wrong passcode is refused in the reader's language.
    guest.fill("Passkode", "000000").await?;
    guest.fill("Navnet ditt", "åse øvrebø").await?;
    guest.click("Bli med").await?;
    guest.until_alert("Passkoden er feil.").await?;
    guest.fill("Passkode", "424242").await?;
    guest.screenshot("join-nb-375").await?;
    guest.click("Bli med").await?;
    guest.until_role("status", "Du er i hovedmøtet").await?;

    // The planned rooms are there, and Åse is in hers.
    planner.click("Grupperom").await?;
    planner
        .until_list("Fjord", "Åse in her planned room", |i| {
            i.iter().any(|p| p.starts_with("åse øvrebø"))
        })
        .await?;
    // A second person with the same name is flagged to the host, not guessed.
    let id = participant_link
        .rsplit("/m/")
        .next()
        .and_then(|rest| rest.split('#').next())
        .unwrap_or_default();
    let mut namesake = Client::connect(server.addr, &MeetingId(id.to_owned())).await?;
    namesake
        .send(&ClientMsg::Join {
            version: PROTOCOL_VERSION,
            name: "Åse Øvrebø".into(),
            email: None,
            credential: Credential::Participant,
            passcode: Some("424242".into()),
        })
        .await?;
    namesake
        .next_until("welcome", |m| matches!(m, ServerMsg::Welcome { .. }))
        .await?;
    planner
        .until_role("status", "Disse passer med samme planlagte person")
        .await?;
    planner
        .until_text("«åse øvrebø»: åse øvrebø, Åse Øvrebø")
        .await?;
    planner
        .choose("Nedtelling etter lukking av grupperom")
        .await?;
    planner.screenshot("panel-nb-1280").await?;
    planner.click("Åpne alle rom").await?;
    planner.until_role("status", "Grupperom - pågår").await?;
    guest.until_alert("Du er invitert til Fjord").await?;
    guest.click("Bli med").await?;
    guest.until_role("status", "Du er i Fjord").await?;
    guest.screenshot("participant-in-room-nb-375").await?;
    planner.click("Lukk alle rom").await?;
    guest.until_role("status", "Du er i hovedmøtet").await?;
    let (view, scroll) = guest.widths().await?;
    assert!(
        view == 375 && scroll <= view,
        "overflow at 375 px: {scroll}"
    );
    guest.close().await?;
    planner.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
