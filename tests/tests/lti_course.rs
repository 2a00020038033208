//! A course's meeting over HTTP against the platform simulator: the instructor's launch makes
//! it, a learner who comes first waits and is let in (with the LMS name and role, no join
//! form), course groups become rooms that learners land in, and deep linking returns a link
//! signed with the tool's published key.

use plenary_e2e::client::Client;
use plenary_e2e::lti::{INSTRUCTOR, LEARNER};
use plenary_e2e::lti_course::{course as setup, me_in, person};
use plenary_e2e::{HarnessError, Result, header_of, http_full};
use plenary_shared::api::LtiSession;
use plenary_shared::meeting::command::Command;
use plenary_shared::meeting::rooms::{BreakoutOptions, Place};
use plenary_shared::meeting::{Credential, Role};
use serde_json::json;

#[tokio::test]
async fn instructor_opens_the_course_meeting_and_a_waiting_learner_is_let_in() -> Result<()> {
    let s = setup().await?;
    let learner = person("learner-1", "Lea Learner", LEARNER, "link-1");
    let teacher = person("teacher-1", "Tove Teacher", INSTRUCTOR, "link-1");
    // The learner comes first: no meeting yet, and none made by a learner.
    let early = s.ticket(&learner).await?;
    let LtiSession::Waiting { name, ticket, .. } = s.session_of(&early).await? else {
        panic!("the learner waits for the host");
    };
    assert_eq!(name, "Lea Learner");
    assert_eq!(s.server_meetings(), 0, "a learner makes no meeting");
    // The instructor launches: the meeting is made, and the instructor joins it as host.
    let host_ticket = s.ticket(&teacher).await?;
    let LtiSession::Ready {
        meeting,
        ticket: host_ticket,
        ..
    } = s.session_of(&host_ticket).await?
    else {
        panic!("the host's meeting is ready");
    };
    let host = Client::join(
        s.server.addr,
        &meeting,
        "ignored: the LMS name counts",
        Credential::Launch {
            ticket: host_ticket,
        },
    )
    .await?;
    let view = me_in(&host);
    assert_eq!(view.name, "Tove Teacher");
    assert_eq!(view.role, Role::Host);
    // The waiting learner's next ask finds the meeting; they join as a participant.
    let LtiSession::Ready {
        meeting: found,
        ticket,
        ..
    } = s.session_of(&ticket).await?
    else {
        panic!("the learner is let in once the host is there");
    };
    assert_eq!(found, meeting);
    let learner_client =
        Client::join(s.server.addr, &meeting, "", Credential::Launch { ticket }).await?;
    let view = me_in(&learner_client);
    assert_eq!(view.name, "Lea Learner");
    assert_eq!(view.role, Role::Participant);
    // A second launch of the same link finds the same meeting.
    let again = s.ticket(&teacher).await?;
    let LtiSession::Ready { meeting: same, .. } = s.session_of(&again).await? else {
        panic!("ready");
    };
    assert_eq!(same, meeting);
    // Another link of the course is another meeting.
    let other = s
        .ticket(&person("teacher-1", "Tove Teacher", INSTRUCTOR, "link-2"))
        .await?;
    let LtiSession::Ready {
        meeting: second, ..
    } = s.session_of(&other).await?
    else {
        panic!("ready");
    };
    assert_ne!(second, meeting);
    Ok(())
}

#[tokio::test]
async fn course_groups_become_rooms_and_learners_land_in_theirs() -> Result<()> {
    let s = setup().await?;
    s.platform.set_roster(
        &[
            ("teacher-1", "Tove Teacher", INSTRUCTOR, &[]),
            ("l1", "Ada", LEARNER, &["g-blue"]),
            ("l2", "Bo", LEARNER, &["g-red"]),
            ("l3", "Cy", LEARNER, &["g-blue"]),
            ("l4", "Di", LEARNER, &["g-red"]),
        ],
        &[("g-blue", "Blue table"), ("g-red", "Red table")],
    )?;
    let teacher = person("teacher-1", "Tove Teacher", INSTRUCTOR, "link-1");
    let ticket = s.ticket(&teacher).await?;
    let LtiSession::Ready {
        meeting,
        ticket,
        roster,
        groups,
        ..
    } = s.session_of(&ticket).await?
    else {
        panic!("ready");
    };
    assert!(
        roster && groups,
        "the host is offered the roster and the groups"
    );
    // The roster in two pages (five members, two a page: three pages), then the groups.
    let auth = format!("Bearer {ticket}");
    let (status, _, body) = http_full(
        s.server.addr,
        "GET",
        "/api/lti/course-plan?from=groups",
        &[("Authorization", &auth)],
        b"",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let plan: plenary_shared::meeting::plan::Plan = serde_json::from_str(&body)?;
    let (pages, tokens) = s.platform.service_counts();
    assert_eq!(pages, 3, "every page of the roster was read");
    assert_eq!(tokens, 2, "one token per scope (roster, groups)");
    let rooms: Vec<(String, Vec<String>)> = plan
        .rooms
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                r.members.iter().map(|m| m.label().to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(
        rooms,
        vec![
            (
                "Blue table".to_owned(),
                vec!["Ada".to_owned(), "Cy".to_owned()]
            ),
            (
                "Red table".to_owned(),
                vec!["Bo".to_owned(), "Di".to_owned()]
            ),
        ]
    );
    // A second plan reuses the cached tokens.
    let (status, _, body) = http_full(
        s.server.addr,
        "GET",
        "/api/lti/course-plan?from=roster&rooms=2",
        &[("Authorization", &auth)],
        b"",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(s.platform.service_counts().1, 2, "tokens are cached");

    // The host loads the groups plan into the meeting like any plan.
    let host_ticket = ticket.clone();
    let mut host = Client::join(s.server.addr, &meeting, "", Credential::Launch { ticket }).await?;
    host.command(Command::LoadPlan { plan }).await?;
    host.until_view("the group rooms", |v| v.rooms.len() == 2)
        .await?;
    // Learners launch and join; someone typing a learner's name is not placed.
    let mut learners = Vec::new();
    for (sub, name) in [("l1", "Ada"), ("l2", "Bo"), ("l3", "Cy")] {
        let t = s.ticket(&person(sub, name, LEARNER, "link-1")).await?;
        let LtiSession::Ready { ticket, .. } = s.session_of(&t).await? else {
            panic!("ready");
        };
        learners
            .push(Client::join(s.server.addr, &meeting, "", Credential::Launch { ticket }).await?);
    }
    let mut impostor = Client::join(s.server.addr, &meeting, "Di", Credential::Participant).await?;
    host.command(Command::SetOptions {
        options: BreakoutOptions {
            move_automatically: true,
            ..BreakoutOptions::default()
        },
    })
    .await?;
    host.command(Command::OpenRooms).await?;
    host.sync().await?;
    let room_named =
        |c: &Client, name: &str| c.view.rooms.iter().find(|r| r.name == name).map(|r| r.id);
    for (c, group) in learners
        .iter_mut()
        .zip(["Blue table", "Red table", "Blue table"])
    {
        c.sync().await?;
        let me = c.me.expect("joined");
        let expected = room_named(c, group).map(|room| Place::Room { room });
        assert_eq!(
            c.view.participant(me).map(|p| p.place),
            expected,
            "{} lands in {group}",
            me_in(c).name
        );
    }
    impostor.sync().await?;
    let me = impostor.me.expect("joined");
    assert_eq!(
        impostor.view.participant(me).and_then(|p| p.assigned),
        None,
        "a typed name does not take a course member's place"
    );
    // The host sees who of the plan has not come: Di (the impostor typed her name only).
    let (status, _, body) = http_full(
        s.server.addr,
        "GET",
        "/api/lti/absent",
        &[("Authorization", &format!("Bearer {host_ticket}"))],
        b"",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let absent: Vec<plenary_shared::meeting::arrivals::Absent> = serde_json::from_str(&body)?;
    assert_eq!(
        absent,
        vec![plenary_shared::meeting::arrivals::Absent {
            name: "Di".into(),
            room: Some("Red table".into())
        }]
    );
    // A learner's ticket cannot read the roster.
    let t = s.ticket(&person("l4", "Di", LEARNER, "link-1")).await?;
    let (status, _, body) = http_full(
        s.server.addr,
        "GET",
        "/api/lti/course-plan?from=groups",
        &[("Authorization", &format!("Bearer {t}"))],
        b"",
    )
    .await?;
    assert_eq!(status, 403, "{body}");
    Ok(())
}

#[tokio::test]
async fn deep_linking_returns_a_link_signed_with_the_published_key() -> Result<()> {
    let s = setup().await?;
    let teacher = person("teacher-1", "Tove Teacher", INSTRUCTOR, "ignored");
    let (status, _, page) = s
        .launch_as(&teacher, |c| {
            c["https://purl.imsglobal.org/spec/lti/claim/message_type"] =
                json!("LtiDeepLinkingRequest");
            c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = json!({
                "deep_link_return_url": "http://localhost:1/return",
                "accept_types": ["ltiResourceLink"],
                "data": "opaque-platform-data"
            });
        })
        .await?;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Add a Plenary meeting"), "{page}");
    let ticket = page
        .split("name=\"ticket\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| HarnessError::Other("no ticket in the form".into()))?;
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("ticket", ticket)
        .append_pair("title", "Week 3 seminar")
        .append_pair("start", "2026-12-10T09:00")
        .append_pair("start_ms", "1796893200000")
        .finish();
    let (status, head, body) = http_full(
        s.server.addr,
        "POST",
        "/lti/deep-link",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let policy = header_of(&head, "content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("form-action http://localhost:1"),
        "{policy}"
    );
    assert!(
        body.contains("action=\"http://localhost:1/return\""),
        "{body}"
    );
    let jwt = body
        .split("name=\"JWT\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| HarnessError::Other("no JWT in the answer".into()))?;
    // The platform checks the answer against the tool's published keys.
    let claims = plenary_e2e::lti::verify_tool_jwt(&s.tool_url, jwt).await?;
    assert_eq!(claims["iss"], plenary_e2e::lti::CLIENT_ID);
    assert_eq!(claims["aud"], s.platform.issuer());
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque-platform-data"
    );
    let item = &claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0];
    assert_eq!(item["type"], "ltiResourceLink");
    assert_eq!(item["title"], "Week 3 seminar");
    assert_eq!(item["url"], format!("{}/lti/launch", s.tool_url));
    assert_eq!(item["custom"]["start"], "2026-12-10T09:00");
    assert_eq!(item["custom"]["start_ms"], "1796893200000");
    // Launched, the link's meeting starts then (what the join page shows).
    let custom = item["custom"].clone();
    let (status, head, body) = s
        .launch_as(
            &person("teacher-1", "Tove Teacher", INSTRUCTOR, "week-3"),
            |c| c["https://purl.imsglobal.org/spec/lti/claim/custom"] = custom,
        )
        .await?;
    assert_eq!(status, 303, "{body}");
    let ticket = header_of(&head, "location")
        .and_then(|l| l.strip_prefix("/lti/join#ticket=").map(str::to_owned))
        .ok_or_else(|| HarnessError::Other("no ticket".into()))?;
    let LtiSession::Ready { meeting, .. } = s.session_of(&ticket).await? else {
        panic!("ready");
    };
    let (status, info) =
        plenary_e2e::http_request(s.server.addr, "GET", &format!("/api/meetings/{meeting}"))
            .await?;
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&info)?;
    assert_eq!(info["starts_at"], 1_796_893_200_000u64, "{info}");
    // Learners may not add meetings.
    let (status, _, page) = s
        .launch_as(&person("l1", "Ada", LEARNER, "x"), |c| {
            c["https://purl.imsglobal.org/spec/lti/claim/message_type"] =
                json!("LtiDeepLinkingRequest");
            c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] =
                json!({"deep_link_return_url": "http://localhost:1/return"});
        })
        .await?;
    assert_eq!(status, 403, "{page}");
    Ok(())
}

#[tokio::test]
async fn a_course_link_gets_a_new_meeting_after_the_host_ended_the_last() -> Result<()> {
    let s = setup().await?;
    let teacher = person("teacher-1", "Tove Teacher", INSTRUCTOR, "link-1");
    let t = s.ticket(&teacher).await?;
    let LtiSession::Ready {
        meeting: first,
        ticket,
        ..
    } = s.session_of(&t).await?
    else {
        panic!("ready");
    };
    let mut host = Client::join(s.server.addr, &first, "", Credential::Launch { ticket }).await?;
    host.command(Command::EndMeeting).await?;
    assert_eq!(host.closed_with().await?, Some(1000), "the meeting is over");
    // A learner now waits (the last meeting is over) until the next lesson's host launch.
    let l = s
        .ticket(&person("learner-1", "Lea", LEARNER, "link-1"))
        .await?;
    assert!(matches!(
        s.session_of(&l).await?,
        LtiSession::Waiting { .. }
    ));
    let t = s.ticket(&teacher).await?;
    let LtiSession::Ready { meeting: next, .. } = s.session_of(&t).await? else {
        panic!("ready");
    };
    assert_ne!(next, first, "a fresh meeting for the link");
    let LtiSession::Ready { meeting: found, .. } = s.session_of(&l).await? else {
        panic!("the learner is let into the new one");
    };
    assert_eq!(found, next);
    Ok(())
}
