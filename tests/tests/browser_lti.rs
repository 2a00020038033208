//! A course in an LMS, in real headless Chromium with third-party cookies blocked: the
//! simulated platform's course page (on `localhost`) frames the tool (on `127.0.0.1`, another
//! site). A learner launches first, in a frame that does not let the tool use the camera, is
//! offered a new window, takes it and waits there; the instructor launches in a frame that
//! allows devices and is host of the course's meeting at once, with no join form; the waiting
//! learner is let in by themselves, under the name the platform gave.

use plenary_e2e::browser::{Driver, require_dist};
use plenary_e2e::lti::{INSTRUCTOR, LEARNER, Person, Platform, start_tool};
use plenary_e2e::{HarnessError, Result};

fn person(sub: &str, name: &str, role: &str) -> Person {
    Person {
        sub: sub.into(),
        name: name.into(),
        roles: vec![role.into()],
        context: "course-1".into(),
        resource_link: "link-1".into(),
    }
}

#[tokio::test]
async fn instructor_and_learner_launch_from_a_course_page() -> Result<()> {
    require_dist()?;
    let platform = Platform::start().await?;
    let (server, tool_url) = start_tool(&platform).await?;
    let driver = Driver::start()
        .await?
        .with_flags(&["--test-third-party-cookie-phaseout"]);

    // The learner, first, in a frame without `allow="camera; microphone"`.
    platform.launch_next(person("learner-1", "Lea Learner", LEARNER))?;
    let framed = driver.page(1000, 800).await?;
    framed
        .goto(&platform.course_page(&tool_url, "learner-1", false))
        .await?;
    framed.until_text("Course page").await?;
    // The login kept its state in the platform's client-side storage (on the course page).
    let stored = framed
        .until_eval(
            "return Object.keys(window.ltiStore || {}).filter(k => k.startsWith('state_')).length",
            |v| v.as_u64() == Some(1),
        )
        .await;
    stored.map_err(|e| HarnessError::Other(format!("the state was not stored: {e}")))?;
    framed.enter_frame(0).await?;
    framed
        .until_text("does not let Plenary use your camera and microphone")
        .await?;
    assert!(
        !framed.has_field("Your name").await?,
        "a launch never shows the join form"
    );
    let new_window = framed
        .eval(
            "const a = [...document.querySelectorAll('a')].find(a => a.innerText.includes('Open in a new window')); return a ? a.href : null;",
            vec![],
        )
        .await?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| HarnessError::Other("no `Open in a new window` link".into()))?;
    assert!(
        new_window.starts_with(&format!("{tool_url}/lti/join#ticket=")),
        "the new window keeps the identity: {new_window}"
    );
    framed.screenshot("lti-framed-without-devices").await?;
    framed.close().await?;

    // The new window: top-level, so the devices can be asked for; no host yet.
    let learner = driver.page(1000, 800).await?;
    learner.goto(&new_window).await?;
    learner
        .until_text("The meeting has not started yet")
        .await?;
    assert_eq!(server.meetings(), 0, "a learner makes no meeting");
    learner.screenshot("lti-waiting").await?;

    // The instructor, in a frame that allows the devices: host at once.
    platform.launch_next(person("teacher-1", "Tove Teacher", INSTRUCTOR))?;
    let teacher = driver.page(1000, 800).await?;
    teacher
        .goto(&platform.course_page(&tool_url, "teacher-1", true))
        .await?;
    teacher.until_text("Course page").await?;
    teacher.enter_frame(0).await?;
    teacher.open_panel("Participants").await?;
    teacher
        .until_list("Participants", "the instructor in the meeting", |items| {
            items
                .iter()
                .any(|i| i.contains("Tove Teacher") && i.contains("Host"))
        })
        .await?;
    assert!(!teacher.has_field("Your name").await?);
    // The waiting learner is let in by themselves, as the platform named them.
    teacher
        .until_list("Participants", "the learner let in", |items| {
            items.len() == 2 && items.iter().any(|i| i.contains("Lea Learner"))
        })
        .await?;
    learner.open_panel("Participants").await?;
    learner
        .until_list("Participants", "the learner's own list", |items| {
            items
                .iter()
                .any(|i| i.contains("Tove Teacher") && i.contains("Host"))
                && items.iter().any(|i| i.contains("Lea Learner"))
        })
        .await?;
    assert_eq!(server.meetings(), 1, "one meeting for the course link");
    teacher.screenshot("lti-instructor-in-frame").await?;

    // The course's groups become the rooms; the learner is in hers by platform identity.
    platform.set_roster(
        &[
            ("teacher-1", "Tove Teacher", INSTRUCTOR, &[]),
            ("learner-1", "Lea Learner", LEARNER, &["g-blue"]),
            ("learner-2", "Ola Absent", LEARNER, &["g-red"]),
        ],
        &[("g-blue", "Blue table"), ("g-red", "Red table")],
    )?;
    teacher.click("Breakout rooms").await?;
    teacher.click("Use course groups").await?;
    teacher
        .until_list("Blue table", "the learner planned in her group", |items| {
            items.iter().any(|i| i.contains("Lea Learner"))
        })
        .await?;
    // Who on the roster has not come is shown, with their room.
    teacher
        .until_list("Not here yet", "the absent learner", |items| {
            items == ["Ola Absent · Red table"]
        })
        .await?;
    teacher.screenshot("lti-course-groups").await?;
    learner.close().await?;
    teacher.close().await?;

    // A launch pushed into a browser whose platform storage does not hold its state (login
    // CSRF) goes no further than the check.
    platform.launch_next(person("learner-2", "Mallory", LEARNER))?;
    let pushed = driver.page(1000, 800).await?;
    pushed
        .goto(&platform.course_page_with(&tool_url, "learner-2", true, true))
        .await?;
    pushed.until_text("Course page").await?;
    pushed.enter_frame(0).await?;
    pushed
        .until_role("alert", "could not be matched with your browser")
        .await?;
    assert_eq!(server.meetings(), 1);
    pushed.close().await?;
    Ok(())
}
