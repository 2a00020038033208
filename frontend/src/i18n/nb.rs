//! Norwegian Bokmål strings.

use super::Texts;

pub const TEXTS: Texts = Texts {
    app_name: "Plenary",
    tagline: "Møter som deles i grupperom og samles igjen.",
    your_name: "Navnet ditt",
    start_meeting: "Start et møte",
    starting: "Starter …",
    join: "Bli med",
    joining: "Blir med …",
    join_heading: "Bli med i møtet",
    invite_link: "Invitasjonslenke",
    invite_hint: "Del denne lenken med deltakerne.",
    participants: "Deltakere",
    you_suffix: "(deg)",
    role_host: "Vert",
    role_co_host: "Medvert",
    leave_meeting: "Forlat møtet",
    left_meeting: "Du har forlatt møtet.",
    rejoin: "Bli med igjen",
    not_found: "Det finnes ingenting på denne adressen.",
    go_home: "Gå til startsiden",
    reconnecting: "Forbindelsen ble brutt. Kobler til igjen …",
    language: "Språk",
    could_not_start: "Kunne ikke starte et møte",
    chat: "Chat",
    chat_message: "Chatmelding",
    send: "Send",
    broadcast_from_host: "Melding fra verten",
};
