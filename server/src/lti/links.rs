//! Which meeting belongs to which course link: one meeting per (issuer, deployment, course,
//! resource link), kept in the store (and in memory without one), found again after a course
//! copy through the course's earlier ids (`$Context.id.history`).

use crate::store::Store;
use plenary_shared::ids::MeetingId;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Most links remembered in memory when there is no store.
pub const MAX_MEMORY_LINKS: usize = 100_000;

/// The key of a course: its issuer, deployment and context id, as one unambiguous string.
pub fn course_key(issuer: &str, deployment: &str, context: &str) -> String {
    serde_json::json!([issuer, deployment, context]).to_string()
}

/// The key of one link of a course.
pub fn link_key(course: &str, resource_link: &str) -> String {
    serde_json::json!([course, resource_link]).to_string()
}

/// The book of course links.
#[derive(Debug)]
pub struct Links {
    store: Option<Store>,
    /// link → (course, meeting), for a server without a store.
    memory: Mutex<HashMap<String, (String, MeetingId)>>,
}

impl Links {
    pub fn new(store: Option<Store>) -> Links {
        Links {
            store,
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// The meeting recorded for `link`.
    pub async fn meeting_of(&self, link: &str) -> Option<MeetingId> {
        match &self.store {
            Some(store) => store.lti_link(link).await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot read a course link");
                None
            }),
            None => self
                .memory
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(link)
                .map(|(_, m)| m.clone()),
        }
    }

    async fn course(&self, course: &str) -> Vec<MeetingId> {
        match &self.store {
            Some(store) => store.lti_course_links(course).await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot read a course's links");
                Vec::new()
            }),
            None => self
                .memory
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .filter(|(c, _)| c == course)
                .map(|(_, m)| m.clone())
                .collect(),
        }
    }

    /// Records that `link` of `course` is `meeting`.
    pub async fn set(&self, link: &str, course: &str, meeting: &MeetingId) {
        match &self.store {
            Some(store) => {
                if let Err(e) = store.set_lti_link(link, course, meeting).await {
                    tracing::error!(error = %e, "cannot record a course link");
                }
            }
            None => {
                let mut memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
                if memory.len() < MAX_MEMORY_LINKS || memory.contains_key(link) {
                    memory.insert(link.to_owned(), (course.to_owned(), meeting.clone()));
                } else {
                    tracing::warn!("too many course links in memory; this one is not kept");
                }
            }
        }
    }

    /// The meeting of `resource_link` in the course (`issuer`, `deployment`, `context`), or,
    /// for a copied course, of the same link in one of its `history` courses (or the only link
    /// such a course had); one found through the history is recorded for the copy.
    pub async fn find(
        &self,
        issuer: &str,
        deployment: &str,
        context: &str,
        history: &[String],
        resource_link: &str,
    ) -> Option<MeetingId> {
        let course = course_key(issuer, deployment, context);
        let link = link_key(&course, resource_link);
        if let Some(found) = self.meeting_of(&link).await {
            return Some(found);
        }
        for old in history {
            let old_course = course_key(issuer, deployment, old);
            let found = match self.meeting_of(&link_key(&old_course, resource_link)).await {
                Some(found) => Some(found),
                None => match self.course(&old_course).await.as_slice() {
                    [only] => Some(only.clone()),
                    _ => None,
                },
            };
            if let Some(found) = found {
                self.set(&link, &course, &found).await;
                return Some(found);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_copied_course_finds_its_meeting_through_its_history() {
        let links = Links::new(None);
        let m = MeetingId("abcd-efgh-ij".into());
        let old = course_key("iss", "dep", "course-2025");
        links.set(&link_key(&old, "rl-1"), &old, &m).await;
        assert_eq!(
            links.find("iss", "dep", "course-2025", &[], "rl-1").await,
            Some(m.clone())
        );
        // The copy has a new course id and a new link id; its history names the old course.
        assert_eq!(
            links.find("iss", "dep", "course-2026", &[], "rl-9").await,
            None
        );
        let history = vec!["course-2025".to_owned()];
        assert_eq!(
            links
                .find("iss", "dep", "course-2026", &history, "rl-9")
                .await,
            Some(m.clone())
        );
        // Recorded for the copy: found now without the history.
        assert_eq!(
            links.find("iss", "dep", "course-2026", &[], "rl-9").await,
            Some(m)
        );
        // Another deployment is another course.
        assert_eq!(
            links.find("iss", "dep2", "course-2025", &[], "rl-1").await,
            None
        );
    }
}
