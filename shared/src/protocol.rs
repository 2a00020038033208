//! The wire protocol between browser and server: JSON text frames holding tagged enums.
//!
//! A client opens a WebSocket to its meeting, sends `Join`, receives `Welcome` with a snapshot,
//! then sends `Command`s and receives `Event`s. Anything it gets wrong comes back as a typed
//! `Error` with a human-readable message; the connection stays usable.

use crate::ids::{ParticipantId, SessionToken};
use crate::media::{ClientSignal, ServerSignal};
use crate::meeting::Credential;
use crate::meeting::command::{Command, CommandError};
use crate::meeting::event::Event;
use crate::meeting::view::MeetingView;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Bumped on any incompatible change. A client speaking another version is told so.
pub const PROTOCOL_VERSION: u16 = 6;

/// Largest text frame the server reads, in bytes. Larger ones are refused with `FrameTooLarge`.
/// Sized for a browser's SDP answer in a large room (about 1 KiB per received track).
pub const MAX_FRAME_BYTES: usize = 128 * 1024;

/// Client → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientMsg {
    /// The first message on a connection.
    Join {
        version: u16,
        name: String,
        /// Optional; lets a plan match by email (an LMS launch provides it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<String>,
        credential: Credential,
        /// The meeting's passcode, if it has one (the host link needs none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        passcode: Option<String>,
    },
    /// Come back after a dropped connection, as the same participant in the same place.
    Resume { version: u16, token: SessionToken },
    /// Any change to the meeting, once joined.
    Command { command: Command },
    /// Ask for the whole current picture (answered with `Snapshot`, after every earlier event).
    Snapshot,
    /// WebRTC signalling for this participant's media connection.
    Media { signal: ClientSignal },
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMsg {
    /// The join worked: who you are and the meeting as it is now.
    Welcome {
        version: u16,
        you: ParticipantId,
        /// Present this with `Resume` to come back after a dropped connection.
        token: SessionToken,
        meeting: MeetingView,
    },
    /// The current picture, as asked for with `ClientMsg::Snapshot`.
    Snapshot { meeting: MeetingView },
    /// Something changed.
    Event { event: Event },
    /// WebRTC signalling for this participant's media connection.
    Media { signal: ServerSignal },
    /// Something the client sent was refused. `message` is `error` in words.
    Error {
        error: ProtocolError,
        message: String,
    },
}

impl ServerMsg {
    /// An error message whose text is the error's own description.
    pub fn error(error: ProtocolError) -> Self {
        let message = error.to_string();
        ServerMsg::Error { error, message }
    }
}

/// Everything that can go wrong between a client and the server.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProtocolError {
    #[error("the message could not be read: {detail}")]
    Malformed { detail: String },
    #[error("the message is {size} bytes; the limit is {limit}")]
    FrameTooLarge { size: usize, limit: usize },
    #[error("binary frames are not part of this protocol")]
    BinaryFrame,
    #[error("this server speaks protocol version {supported}, not {requested}")]
    UnsupportedVersion { requested: u16, supported: u16 },
    #[error("there is no meeting here (it may have ended)")]
    UnknownMeeting,
    #[error("join the meeting before sending commands")]
    NotJoined,
    #[error("this connection has already joined")]
    AlreadyJoined,
    #[error("that session has ended; join again")]
    UnknownSession,
    #[error("too many messages; slow down")]
    RateLimited,
    #[error("{error}")]
    Rejected { error: CommandError },
    #[error("a view may name at most {limit} tiles, not {count}")]
    TooManyTiles { count: usize, limit: usize },
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("join within {seconds} seconds of connecting")]
    JoinTimeout { seconds: u32 },
    #[error("too many connections {}; try again later", if *.from_your_address { "from your network" } else { "to this server" })]
    TooManyConnections { from_your_address: bool },
    #[error("something went wrong on the server; please try again")]
    ServerError,
    #[error(
        "the launch from your course has expired or is not for this meeting; open it from the course again"
    )]
    LaunchExpired,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::HostSecret;

    #[test]
    fn messages_are_tagged_json() {
        let msg = ClientMsg::Join {
            version: PROTOCOL_VERSION,
            name: "Ada".into(),
            email: None,
            passcode: None,
            credential: Credential::Host {
                secret: HostSecret("x".into()),
            },
        };
        let json = serde_json::to_string(&msg).expect("serialise");
        assert_eq!(
            json,
            r#"{"join":{"version":6,"name":"Ada","credential":{"host":{"secret":"x"}}}}"#
        );
        let back: ClientMsg = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, msg);
    }

    #[test]
    fn errors_carry_code_and_message() {
        let msg = ServerMsg::error(ProtocolError::FrameTooLarge {
            size: 200_000,
            limit: MAX_FRAME_BYTES,
        });
        let json = serde_json::to_value(&msg).expect("serialise");
        let error = &json["error"];
        assert_eq!(error["error"]["frame_too_large"]["limit"], MAX_FRAME_BYTES);
        assert_eq!(
            error["message"],
            "the message is 200000 bytes; the limit is 131072"
        );
    }

    #[test]
    fn unknown_message_types_do_not_parse() {
        assert!(serde_json::from_str::<ClientMsg>(r#"{"explode":{}}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>(r#""explode""#).is_err());
    }
}
