//! The app's screens, one folder per feature.

pub mod lobby;
pub mod meeting;
