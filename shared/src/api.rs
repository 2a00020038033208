//! JSON bodies of the REST API, shared so the frontend and the server cannot drift apart.

use crate::ids::{HostSecret, MeetingId};
use crate::meeting::info::MeetingInfo;
use crate::meeting::plan::Plan;
use crate::plan_csv::{CsvImport, RowError};
use serde::{Deserialize, Serialize};

/// Body of `POST /api/meetings` (all optional): the settings and a breakout plan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewMeeting {
    #[serde(default)]
    pub info: MeetingInfo,
    #[serde(default)]
    pub plan: Option<Plan>,
}

/// Answer to `POST /api/meetings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedMeeting {
    /// Public id: the participant link is `/m/{meeting}`.
    pub meeting: MeetingId,
    /// Host capability: the host link is `/m/{meeting}#host={host_secret}`.
    pub host_secret: HostSecret,
}

/// Every REST error body: a stable machine code and a sentence for people; for a CSV file with
/// bad rows, each row's line and problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<RowError>,
}

/// Answer to `PUT /api/meetings/{id}/plan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSaved {
    pub rooms: usize,
    pub people: usize,
}

/// Answer to `POST /api/meetings/{id}/plan/csv`: what was read, and whether it was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvImported {
    pub import: CsvImport,
    pub applied: bool,
}

/// Answer to `GET /api/lti/session` (with the launch ticket as a bearer token): where a person
/// launched from a course stands. A fresh ticket comes with every answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LtiSession {
    /// The course's meeting is there: join it with `Credential::Launch { ticket }`.
    Ready {
        meeting: MeetingId,
        name: String,
        title: String,
        ticket: String,
        /// The course's roster (and its groups) can be planned by (for its hosts only).
        #[serde(default)]
        roster: bool,
        #[serde(default)]
        groups: bool,
    },
    /// No host has opened the meeting yet: ask again in a few seconds.
    Waiting {
        name: String,
        title: String,
        ticket: String,
    },
}

/// Query of `GET /api/lti/course-plan`: a plan from the course's groups (one room each) or its
/// roster (dealt into `rooms` rooms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoursePlanQuery {
    pub from: CoursePlanSource,
    #[serde(default)]
    pub rooms: Option<usize>,
}

/// Where a course plan comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoursePlanSource {
    Groups,
    Roster,
}
