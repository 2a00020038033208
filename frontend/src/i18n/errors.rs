//! The server's typed errors in the reader's language. The server also sends an English sentence;
//! the app shows its own words, chosen by the error's code, so nothing the user reads is
//! hard-coded outside `i18n`.

use super::Lang;
use plenary_shared::meeting::command::{CommandError, Required};
use plenary_shared::names::TextError;
use plenary_shared::plan_csv::RowProblem;
use plenary_shared::protocol::ProtocolError;

/// One error, in `lang`.
pub fn describe(error: &ProtocolError, lang: Lang) -> String {
    let nb = lang == Lang::Nb;
    let pick = |en: &str, no: &str| if nb { no.to_owned() } else { en.to_owned() };
    match error {
        ProtocolError::Malformed { .. }
        | ProtocolError::FrameTooLarge { .. }
        | ProtocolError::BinaryFrame
        | ProtocolError::TooManyTiles { .. } => pick(
            "The server could not read a message from this page. Reload the page.",
            "Serveren kunne ikke lese en melding fra denne siden. Last inn siden på nytt.",
        ),
        ProtocolError::UnsupportedVersion { .. } => pick(
            "This page is out of date. Reload it.",
            "Denne siden er utdatert. Last den inn på nytt.",
        ),
        ProtocolError::LaunchExpired => pick(
            "Your launch from the course has expired. Open the meeting from the course again.",
            "Innloggingen fra emnet er utløpt. Åpne møtet fra emnet på nytt.",
        ),
        ProtocolError::UnknownMeeting => pick(
            "There is no meeting here (it may have ended).",
            "Det finnes ikke noe møte her (det kan være avsluttet).",
        ),
        ProtocolError::NotJoined | ProtocolError::AlreadyJoined => pick(
            "The connection got out of step. Reload the page.",
            "Forbindelsen kom i utakt. Last inn siden på nytt.",
        ),
        ProtocolError::UnknownSession => pick(
            "Your session has ended. Join again.",
            "Økten din er avsluttet. Bli med på nytt.",
        ),
        ProtocolError::RateLimited => pick(
            "Too many actions at once. Wait a moment.",
            "For mange handlinger på en gang. Vent litt.",
        ),
        ProtocolError::ShuttingDown => pick(
            "The server is restarting. You will be reconnected.",
            "Serveren starter på nytt. Du blir koblet til igjen.",
        ),
        ProtocolError::JoinTimeout { .. } => pick(
            "The connection waited too long to join. Reload the page.",
            "Forbindelsen ventet for lenge med å bli med. Last inn siden på nytt.",
        ),
        ProtocolError::TooManyConnections {
            from_your_address: true,
        } => pick(
            "Too many connections from your network right now. Try again in a minute.",
            "For mange tilkoblinger fra nettverket ditt akkurat nå. Prøv igjen om et minutt.",
        ),
        ProtocolError::TooManyConnections {
            from_your_address: false,
        } => pick(
            "The server is full right now. Try again in a minute.",
            "Serveren er full akkurat nå. Prøv igjen om et minutt.",
        ),
        ProtocolError::ServerError => pick(
            "Something went wrong on the server. Try again.",
            "Noe gikk galt på serveren. Prøv igjen.",
        ),
        ProtocolError::Rejected { error } => refused(error, lang),
    }
}

fn text_problem(problem: &TextError, lang: Lang) -> String {
    let nb = lang == Lang::Nb;
    match problem {
        TextError::Empty => (if nb { "den er tom" } else { "it is empty" }).to_owned(),
        TextError::TooLong { max } => {
            if nb {
                format!("den er lengre enn {max} tegn")
            } else {
                format!("it is longer than {max} characters")
            }
        }
        TextError::ControlCharacters => (if nb {
            "den inneholder kontrolltegn"
        } else {
            "it contains control characters"
        })
        .to_owned(),
        TextError::NothingVisible => (if nb {
            "den har ingen synlige tegn"
        } else {
            "it has no visible characters"
        })
        .to_owned(),
    }
}

/// Why the meeting refused something, in `lang`.
pub fn refused(error: &CommandError, lang: Lang) -> String {
    use CommandError as E;
    let nb = lang == Lang::Nb;
    let pick = |en: &str, no: &str| if nb { no.to_owned() } else { en.to_owned() };
    match error {
        E::NotAllowed { required } => match (required, nb) {
            (Required::Host, false) => "Only the host may do that.".into(),
            (Required::Host, true) => "Bare verten kan gjøre det.".into(),
            (Required::HostOrCoHost, false) => "Only the host or a co-host may do that.".into(),
            (Required::HostOrCoHost, true) => "Bare verten eller en medvert kan gjøre det.".into(),
        },
        E::UnknownParticipant => pick(
            "That person is no longer in the meeting.",
            "Den personen er ikke lenger i møtet.",
        ),
        E::InvalidName { problem } => {
            let why = text_problem(problem, lang);
            if nb {
                format!("Navnet kan ikke brukes: {why}.")
            } else {
                format!("That name cannot be used: {why}.")
            }
        }
        E::InvalidText { problem } => {
            let why = text_problem(problem, lang);
            if nb {
                format!("Teksten kan ikke brukes: {why}.")
            } else {
                format!("That text cannot be used: {why}.")
            }
        }
        E::InvalidEmail => pick(
            "That email address does not look right.",
            "Den e-postadressen ser ikke riktig ut.",
        ),
        E::NeedsParticipant | E::NotInMeeting => pick(
            "You are not in this meeting. Join again.",
            "Du er ikke i dette møtet. Bli med på nytt.",
        ),
        E::AlreadyInRole => pick(
            "That person already has that role.",
            "Den personen har allerede den rollen.",
        ),
        E::MeetingFull { max } => {
            if nb {
                format!("Møtet er fullt ({max} deltakere).")
            } else {
                format!("The meeting is full ({max} participants).")
            }
        }
        E::InvalidRoomCount { max } => {
            if nb {
                format!("Antall rom må være mellom 1 og {max}.")
            } else {
                format!("The number of rooms must be between 1 and {max}.")
            }
        }
        E::InvalidGroupSize => pick(
            "The group size must be at least 1.",
            "Gruppestørrelsen må være minst 1.",
        ),
        E::UnknownRoom => pick(
            "That room no longer exists.",
            "Det rommet finnes ikke lenger.",
        ),
        E::NoRooms => pick(
            "There are no breakout rooms.",
            "Det finnes ingen grupperom.",
        ),
        E::AlreadyOpen => pick(
            "The breakout rooms are already open.",
            "Grupperommene er allerede åpne.",
        ),
        E::NotOpen => pick(
            "The breakout rooms are not open.",
            "Grupperommene er ikke åpne.",
        ),
        E::RoomNotOpen => pick("That room is not open.", "Det rommet er ikke åpent."),
        E::ChoosingNotAllowed => pick(
            "Participants may not choose their room in this session.",
            "Deltakerne kan ikke velge rom selv i denne økten.",
        ),
        E::ReturnNotAllowed => pick(
            "Participants may not return to the main session in this session.",
            "Deltakerne kan ikke gå tilbake til hovedmøtet i denne økten.",
        ),
        E::NotInRoom => pick(
            "You are not in a breakout room.",
            "Du er ikke i et grupperom.",
        ),
        E::AlreadyThere => pick("You are already there.", "Du er allerede der."),
        E::AlreadyAsked => pick(
            "You have already asked for help.",
            "Du har allerede bedt om hjelp.",
        ),
        E::UnknownHelpRequest | E::AlreadyResolved => pick(
            "That request for help was already handled.",
            "Den forespørselen om hjelp er allerede tatt hånd om.",
        ),
        E::NoTimer => pick(
            "That room has no timer.",
            "Det rommet har ingen tidsbegrensning.",
        ),
        E::RotationRunning => pick(
            "A speed-networking rotation is running; its rounds keep their own time.",
            "En rotasjon pågår; rundene har sin egen tid.",
        ),
        E::InvalidOptions => pick(
            "An option is out of range.",
            "Et av alternativene er utenfor gyldig område.",
        ),
        E::SelfUnmuteForbidden => pick(
            "The host does not allow you to unmute yourself right now.",
            "Verten lar deg ikke slå på lyden selv akkurat nå.",
        ),
        E::CannotMuteHost => pick("The host cannot be muted.", "Verten kan ikke dempes."),
        E::PasscodeRequired => pick(
            "This meeting needs a passcode.",
            "Dette møtet krever en passkode.",
        ),
        E::WrongPasscode => pick("That passcode is not right.", "Passkoden er feil."),
        E::InvalidInfo { reason } => {
            if nb {
                format!("Innstillingene er ikke gyldige ({reason}).")
            } else {
                format!("The meeting settings are not valid: {reason}.")
            }
        }
        E::UnknownGroupSet => pick(
            "There are no saved groups by that name.",
            "Det finnes ingen lagrede grupper med det navnet.",
        ),
        E::TooManyGroupSets { max } => {
            if nb {
                format!("Du kan lagre høyst {max} gruppesett.")
            } else {
                format!("At most {max} group sets can be saved.")
            }
        }
        E::InvalidPlan { reason } => {
            if nb {
                format!("Planen er ikke gyldig ({reason}).")
            } else {
                format!("The plan is not valid: {reason}.")
            }
        }
        E::MeetingEnded => pick("This meeting has ended.", "Dette møtet er avsluttet."),
        E::LaunchNotChecked => pick(
            "Your launch from the learning platform could not be checked. Open the meeting from the course again.",
            "Innloggingen fra læringsplattformen kunne ikke kontrolleres. Åpne møtet fra emnet på nytt.",
        ),
        E::TooManyPasscodeTries { retry_after_secs } => {
            if nb {
                format!("For mange feil passkoder. Prøv igjen om {retry_after_secs} sekunder.")
            } else {
                format!("Too many wrong passcodes. Try again in {retry_after_secs} seconds.")
            }
        }
        E::InvalidRotation { max } => {
            if nb {
                format!(
                    "En rotasjon trenger 1–50 runder, grupper på minst 2 og 1–{max} minutter per runde."
                )
            } else {
                format!(
                    "A rotation needs 1 to 50 rounds, groups of at least 2, and 1 to {max} minutes a round."
                )
            }
        }
    }
}

/// What is wrong with a line of a CSV file, in `lang`.
pub fn row_problem(problem: &RowProblem, lang: Lang) -> String {
    use RowProblem as P;
    let nb = lang == Lang::Nb;
    let two = |en: String, no: String| if nb { no } else { en };
    match problem {
        P::Empty => two("the file is empty".into(), "filen er tom".into()),
        P::NotUtf8 => two(
            "the file is not UTF-8 text".into(),
            "filen er ikke UTF-8-tekst".into(),
        ),
        P::UnknownColumn { column } => two(
            format!("unknown column \"{column}\" (the columns are room, name, email)"),
            format!("ukjent kolonne «{column}» (kolonnene er room, name, email)"),
        ),
        P::DuplicateColumn { column } => two(
            format!("the column \"{column}\" appears twice"),
            format!("kolonnen «{column}» står to ganger"),
        ),
        P::MissingRoomColumn => two(
            "there is no \"room\" column".into(),
            "det mangler en «room»-kolonne".into(),
        ),
        P::MissingIdentityColumns => two(
            "there is neither a \"name\" nor an \"email\" column".into(),
            "det finnes verken en «name»- eller en «email»-kolonne".into(),
        ),
        P::WrongFieldCount { expected, found } => two(
            format!("expected {expected} fields, found {found}"),
            format!("ventet {expected} felt, fant {found}"),
        ),
        P::EmptyRoom => two("the room is empty".into(), "rommet er tomt".into()),
        P::EmptyIdentity => two(
            "the row has neither a name nor an email".into(),
            "raden har verken navn eller e-post".into(),
        ),
        P::RoomNameTooLong { max } => two(
            format!("the room name is longer than {max} characters"),
            format!("romnavnet er lengre enn {max} tegn"),
        ),
        P::NameTooLong { max } => two(
            format!("the name is longer than {max} characters"),
            format!("navnet er lengre enn {max} tegn"),
        ),
        P::InvalidEmail { email } => two(
            format!("\"{email}\" is not an email address"),
            format!("«{email}» er ikke en e-postadresse"),
        ),
        P::DuplicatePerson { who, first_line } => two(
            format!("{who} is already planned on line {first_line}"),
            format!("{who} er allerede planlagt på linje {first_line}"),
        ),
        P::TooManyRooms { max } => two(
            format!("a plan holds at most {max} rooms"),
            format!("en plan kan ha høyst {max} rom"),
        ),
        P::TooManyRows { max } => two(
            format!("a file holds at most {max} rows"),
            format!("en fil kan ha høyst {max} rader"),
        ),
        P::Unreadable { detail } => two(
            format!("the line could not be read: {detail}"),
            format!("linjen kunne ikke leses: {detail}"),
        ),
        P::BadRoomName { problem } => two(
            format!(
                "the room name cannot be used: {}",
                text_problem(problem, Lang::En)
            ),
            format!(
                "romnavnet kan ikke brukes: {}",
                text_problem(problem, Lang::Nb)
            ),
        ),
        P::BadName { problem } => two(
            format!(
                "the name cannot be used: {}",
                text_problem(problem, Lang::En)
            ),
            format!(
                "navnet kan ikke brukes: {}",
                text_problem(problem, Lang::Nb)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_differently_in_each_language() {
        let e = ProtocolError::Rejected {
            error: CommandError::WrongPasscode,
        };
        assert_eq!(describe(&e, Lang::En), "That passcode is not right.");
        assert_eq!(describe(&e, Lang::Nb), "Passkoden er feil.");
        let e = CommandError::InvalidName {
            problem: TextError::TooLong { max: 64 },
        };
        assert!(refused(&e, Lang::Nb).contains("64 tegn"));
        assert_eq!(
            row_problem(&RowProblem::EmptyRoom, Lang::Nb),
            "rommet er tomt"
        );
        assert_eq!(
            row_problem(&RowProblem::EmptyRoom, Lang::En),
            RowProblem::EmptyRoom.to_string(),
            "English matches the server's words"
        );
    }
}
