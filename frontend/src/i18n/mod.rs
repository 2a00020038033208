//! Every user-facing string, per language. Components take their words from a `Texts` table
//! chosen once from the browser's language (and switchable), never from literals of their own.

mod en;
pub mod errors;
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
    pub plan_meeting: &'static str,
    pub title: &'static str,
    pub start_time: &'static str,
    pub starts: &'static str,
    pub passcode: &'static str,
    pub passcode_hint: &'static str,
    pub co_hosts: &'static str,
    pub co_hosts_hint: &'static str,
    pub breakout_rooms: &'static str,
    pub import_csv: &'static str,
    pub csv_hint: &'static str,
    pub preview: &'static str,
    pub col_room: &'static str,
    pub col_name: &'static str,
    pub col_email: &'static str,
    pub csv_problems: &'static str,
    pub line: &'static str,
    pub use_rooms: &'static str,
    pub use_good_rows: &'static str,
    pub discard: &'static str,
    pub add_room: &'static str,
    pub remove_room: &'static str,
    pub room_name: &'static str,
    pub topic: &'static str,
    pub people: &'static str,
    pub create_meeting: &'static str,
    pub creating: &'static str,
    pub could_not_create: &'static str,
    pub meeting_created: &'static str,
    pub host_link: &'static str,
    pub host_link_hint: &'static str,
    pub participant_link: &'static str,
    pub open_meeting: &'static str,
    pub make_co_host: &'static str,
    pub planned_co_host: &'static str,
    pub mute: &'static str,
    pub unmute: &'static str,
    pub muted: &'static str,
    pub mute_all: &'static str,
    pub remove_co_host: &'static str,
    pub main_session: &'static str,
    pub not_assigned: &'static str,
    pub room_for: &'static str,
    pub number_of_rooms: &'static str,
    pub assign_automatically: &'static str,
    pub assign_manually: &'static str,
    pub let_choose: &'static str,
    pub create_rooms: &'static str,
    pub recreate: &'static str,
    pub people_per_room: &'static str,
    pub rename: &'static str,
    pub new_name: &'static str,
    pub save: &'static str,
    pub cancel: &'static str,
    pub delete_room: &'static str,
    pub options: &'static str,
    pub opt_move_auto: &'static str,
    pub opt_choose: &'static str,
    pub opt_return: &'static str,
    pub opt_auto_close: &'static str,
    pub minutes: &'static str,
    pub opt_notify: &'static str,
    pub opt_countdown: &'static str,
    pub countdown_seconds: &'static str,
    pub open_all: &'static str,
    pub close_all: &'static str,
    pub in_progress: &'static str,
    pub time_left: &'static str,
    pub closing_in: &'static str,
    pub broadcast_all: &'static str,
    pub message: &'static str,
    pub broadcast: &'static str,
    pub send_to: &'static str,
    pub all_rooms: &'static str,
    pub chars_left: &'static str,
    pub help_requests: &'static str,
    pub asks_for_help_in: &'static str,
    pub no_help_requests: &'static str,
    pub unassigned: &'static str,
    pub drag_hint: &'static str,
    pub you_are_in: &'static str,
    pub you_are_in_main: &'static str,
    pub invited_to: &'static str,
    pub leave_breakout: &'static str,
    pub choose_room: &'static str,
    pub ask_for_help: &'static str,
    pub help_asked: &'static str,
    pub rooms_close_in: &'static str,
    pub seconds: &'static str,
    pub time_up_in: &'static str,
    pub round: &'static str,
    pub of: &'static str,
    pub saved_groups: &'static str,
    pub group_set_name: &'static str,
    pub save_groups: &'static str,
    pub use_groups: &'static str,
    pub status_bar: &'static str,
    pub people_count: &'static str,
    pub group_size: &'static str,
    pub or_word: &'static str,
    pub closing: &'static str,
    pub connection_problem: &'static str,
    pub plan_conflict: &'static str,
    pub video_of: &'static str,
    pub screen_of: &'static str,
    pub stop_video: &'static str,
    pub start_video: &'static str,
    pub share_screen: &'static str,
    pub stop_sharing: &'static str,
    pub muted_badge: &'static str,
    pub speaking: &'static str,
    pub raise_hand: &'static str,
    pub lower_hand: &'static str,
    pub hand_raised: &'static str,
    pub hand: &'static str,
    pub speaker_view: &'static str,
    pub gallery_view: &'static str,
    pub pin: &'static str,
    pub unpin: &'static str,
    pub page: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub media_connecting: &'static str,
    pub media_failed: &'static str,
    pub media_blocked: &'static str,
    pub connection: &'static str,
    pub path_udp: &'static str,
    pub path_tcp: &'static str,
    pub path_relay: &'static str,
    pub no_devices: &'static str,
    pub videos: &'static str,
    pub camera_preview: &'static str,
    pub end_meeting_for_all: &'static str,
    pub remove: &'static str,
    pub meeting_ended: &'static str,
    pub removed_by: &'static str,
    pub removed: &'static str,
    pub taken_over: &'static str,
    pub use_here: &'static str,
    pub rejoining: &'static str,
    pub lti_opening: &'static str,
    pub lti_waiting: &'static str,
    pub lti_failed: &'static str,
    pub lti_no_devices: &'static str,
    pub lti_open_window: &'static str,
    pub lti_stay: &'static str,
    pub use_course_groups: &'static str,
    pub use_course_roster: &'static str,
    pub not_here_yet: &'static str,
    pub meeting_controls: &'static str,
    pub shortcut_mute: &'static str,
    pub shortcut_video: &'static str,
    pub shortcut_hand: &'static str,
    pub keyboard_shortcuts: &'static str,
    pub close: &'static str,
    pub close_panel: &'static str,
    pub dismiss: &'static str,
    pub show: &'static str,
    pub quality_good: &'static str,
    pub quality_fair: &'static str,
    pub quality_poor: &'static str,
    pub default_device: &'static str,
    pub camera: &'static str,
    pub microphone: &'static str,
    pub speaker: &'static str,
    pub mic_level: &'static str,
    pub settings: &'static str,
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
