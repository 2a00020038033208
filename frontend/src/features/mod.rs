//! The app's screens, one folder per feature.

pub mod breakouts;
pub mod chat;
mod fields;
pub mod icons;
pub mod launch;
pub mod lobby;
pub mod media;
pub mod meeting;
pub mod planning;
