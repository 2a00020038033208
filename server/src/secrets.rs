//! Unguessable identifiers and capabilities, from the operating system's random source.
//! The only place the server makes randomness; everything else receives it.

use plenary_shared::ids::{HostSecret, MeetingId, SessionToken};
use thiserror::Error;

/// The operating system could not supply random bytes.
#[derive(Debug, Error)]
#[error("no randomness available: {0}")]
pub struct RandomnessError(String);

fn random_bytes<const N: usize>() -> Result<[u8; N], RandomnessError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| RandomnessError(e.to_string()))?;
    Ok(buf)
}

/// URL-safe base64 without padding.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// A 192-bit host capability.
pub fn host_secret() -> Result<HostSecret, RandomnessError> {
    Ok(HostSecret(base64url(&random_bytes::<24>()?)))
}

/// A 192-bit resume capability for one participant.
pub fn session_token() -> Result<SessionToken, RandomnessError> {
    Ok(SessionToken(base64url(&random_bytes::<24>()?)))
}

/// A 256-bit single-use value (an OIDC `state` or `nonce`), base64url.
pub fn token_256() -> Result<String, RandomnessError> {
    Ok(base64url(&random_bytes::<32>()?))
}

/// A seed for a meeting's random choices (automatic splits, rotations).
pub fn seed() -> Result<u64, RandomnessError> {
    Ok(u64::from_le_bytes(random_bytes::<8>()?))
}

/// A readable meeting id like `kqzv-mtrb-wx` (about 47 bits): it is only a participant link.
pub fn meeting_id() -> Result<MeetingId, RandomnessError> {
    const LETTERS: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";
    let bytes = random_bytes::<10>()?;
    let mut id = String::with_capacity(12);
    for (i, b) in bytes.iter().enumerate() {
        if i == 4 || i == 8 {
            id.push('-');
        }
        // 256 is not a multiple of 26; the bias (under 1 %) does not matter for a public id.
        id.push(char::from(LETTERS[usize::from(*b) % 26]));
    }
    Ok(MeetingId(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_known_vectors() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn host_secrets_are_long_and_distinct() {
        let a = host_secret().expect("random");
        let b = host_secret().expect("random");
        assert_eq!(a.0.len(), 32); // 24 bytes = 192 bits
        assert!(!a.matches(&b));
    }

    #[test]
    fn meeting_ids_are_readable() {
        let id = meeting_id().expect("random").0;
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_lowercase()));
    }
}
