//! The platforms' public keys, fetched from their `jwks_url` on first need, cached, and fetched
//! again once when a token names a key we do not know (a platform that rotated its key): such
//! refetches at most once per `REFETCH_EVERY` per platform, so forged `kid`s cannot make us
//! hammer the platform.

use super::client::HttpClient;
use super::verify::LaunchError;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Shortest time between two fetches of one platform's keys.
pub const REFETCH_EVERY: Duration = Duration::from_secs(10);
/// Most keys kept per platform (a set holds a few).
pub const MAX_KEYS: usize = 32;

#[derive(Default)]
struct Cached {
    keys: HashMap<String, DecodingKey>,
    /// Whether the set was fetched at all, and when it was last fetched for an unknown `kid`.
    fetched: bool,
    refetched: Option<Instant>,
}

/// Every platform's keys, by platform index in the registration.
#[derive(Default)]
pub struct KeySets {
    sets: Mutex<HashMap<usize, Cached>>,
}

impl std::fmt::Debug for KeySets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySets")
    }
}

impl KeySets {
    /// The key `kid` of platform `index`, fetching its set from `url` when it is not known
    /// (and was not fetched in the last `REFETCH_EVERY`).
    pub async fn key(
        &self,
        client: &HttpClient,
        index: usize,
        url: &str,
        kid: &str,
    ) -> Result<DecodingKey, LaunchError> {
        // One fetch at a time: a burst of launches after a rotation waits for the same fetch.
        let mut sets = self.sets.lock().await;
        let cached = sets.entry(index).or_default();
        if let Some(key) = cached.keys.get(kid) {
            return Ok(key.clone());
        }
        if cached.fetched {
            if cached
                .refetched
                .is_some_and(|at| at.elapsed() < REFETCH_EVERY)
            {
                return Err(LaunchError::UnknownKey(kid.to_owned()));
            }
            cached.refetched = Some(Instant::now());
        }
        cached.fetched = true;
        let answer = client
            .get_json(url, None, "application/json")
            .await
            .map_err(|e| LaunchError::KeysUnavailable(e.to_string()))?;
        cached.keys = parse_set(&answer.json);
        tracing::info!(url, keys = cached.keys.len(), "platform keys fetched");
        cached
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| LaunchError::UnknownKey(kid.to_owned()))
    }
}

/// The RSA signing keys of a JWK set, by `kid`. Keys of other kinds or without an id are
/// skipped one by one, so one odd key does not hide the others.
pub fn parse_set(json: &serde_json::Value) -> HashMap<String, DecodingKey> {
    json.get("keys")
        .and_then(serde_json::Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
                .filter(|jwk| {
                    matches!(
                        jwk.algorithm,
                        jsonwebtoken::jwk::AlgorithmParameters::RSA(_)
                    )
                })
                .filter_map(|jwk| {
                    let kid = jwk.common.key_id.clone()?;
                    Some((kid, DecodingKey::from_jwk(&jwk).ok()?))
                })
                .take(MAX_KEYS)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_keys_are_skipped_and_rsa_keys_kept() {
        let set = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"},
            {"kty": "EC", "kid": "b", "crv": "P-256", "x": "x", "y": "y"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kty": "weird"}
        ]});
        let keys = parse_set(&set);
        assert_eq!(keys.len(), 1);
        assert!(keys.contains_key("a"));
        assert!(parse_set(&serde_json::json!({"nokeys": 1})).is_empty());
    }
}
