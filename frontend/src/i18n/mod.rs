//! Every user-facing string, per language. Components take their words from a `Texts` table
//! chosen once from the browser's language (and switchable), never from literals of their own.

mod en;
mod nb;

use plenary_shared::meeting::Role;

/// A language the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Nb,
}

impl Lang {
    /// Picks a language from a BCP 47 tag such as `nb-NO`; English when unsure.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "nb" | "no" | "nn" => Lang::Nb,
            _ => Lang::En,
        }
    }

    /// The strings of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &en::TEXTS,
            Lang::Nb => &nb::TEXTS,
        }
    }

    /// The `lang` attribute value.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
        }
    }
}

/// The words of one language.
pub struct Texts {
    pub app_name: &'static str,
    pub tagline: &'static str,
    pub your_name: &'static str,
    pub start_meeting: &'static str,
    pub starting: &'static str,
    pub join: &'static str,
    pub joining: &'static str,
    pub join_heading: &'static str,
    pub invite_link: &'static str,
    pub invite_hint: &'static str,
    pub participants: &'static str,
    pub you_suffix: &'static str,
    pub role_host: &'static str,
    pub role_co_host: &'static str,
    pub leave_meeting: &'static str,
    pub left_meeting: &'static str,
    pub rejoin: &'static str,
    pub not_found: &'static str,
    pub go_home: &'static str,
    pub reconnecting: &'static str,
    pub language: &'static str,
    pub could_not_start: &'static str,
    pub chat: &'static str,
    pub chat_message: &'static str,
    pub send: &'static str,
    pub broadcast_from_host: &'static str,
}

impl Texts {
    /// The badge for a role, if it has one.
    pub fn role_badge(&self, role: Role) -> Option<&'static str> {
        match role {
            Role::Host => Some(self.role_host),
            Role::CoHost => Some(self.role_co_host),
            Role::Participant => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_tags_pick_a_language() {
        assert_eq!(Lang::from_tag("nb-NO"), Lang::Nb);
        assert_eq!(Lang::from_tag("no"), Lang::Nb);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
    }

    #[test]
    fn the_ui_contract_words_are_used_in_english() {
        let t = Lang::En.texts();
        assert_eq!(t.start_meeting, "Start a meeting");
        assert_eq!(t.invite_link, "Invite link");
        assert_eq!(t.your_name, "Your name");
        assert_eq!(t.join, "Join");
        assert_eq!(t.participants, "Participants");
        assert_eq!(t.leave_meeting, "Leave meeting");
    }

    #[test]
    fn norwegian_differs_where_it_should() {
        let (en, nb) = (Lang::En.texts(), Lang::Nb.texts());
        assert_ne!(en.start_meeting, nb.start_meeting);
        assert_ne!(en.participants, nb.participants);
    }
}
