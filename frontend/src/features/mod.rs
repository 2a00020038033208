//! The app's screens, one folder per feature.

pub mod chat;
pub mod lobby;
pub mod meeting;
