//! JSON bodies of the REST API, shared so the frontend and the server cannot drift apart.

use crate::ids::{HostSecret, MeetingId};
use serde::{Deserialize, Serialize};

/// Answer to `POST /api/meetings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedMeeting {
    /// Public id: the participant link is `/m/{meeting}`.
    pub meeting: MeetingId,
    /// Host capability: the host link is `/m/{meeting}#host={host_secret}`.
    pub host_secret: HostSecret,
}

/// Every REST error body: a stable machine code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
}
