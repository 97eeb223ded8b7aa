//! API credentials: the public key and the base64 private key, taken from
//! the environment or given in code. The secret is decoded once, kept in
//! memory that is zeroed on drop, and never printed.

use crate::Error;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::fmt;
use zeroize::Zeroizing;

/// The environment variables read by [`Credentials::from_env`], in order
/// of preference: kraki's names, then the names Kraken's own REST tools
/// use.
pub const ENV_NAMES: [(&str, &str); 2] = [
    ("KRAKEN_API_KEY", "KRAKEN_API_SECRET"),
    ("KRAKEN_REST_API_KEY", "KRAKEN_REST_API_PRIVATE_KEY"),
];

/// A Kraken API key and its private key.
///
/// `Debug` shows the first characters of the public key only; the private
/// key is never shown, logged or put in an error.
#[derive(Clone)]
pub struct Credentials {
    /// Public, but a handle on the account all the same: zeroed on drop.
    key: Zeroizing<String>,
    secret: Zeroizing<Vec<u8>>,
}

impl Credentials {
    /// Credentials from a public key and a base64 private key, as Kraken
    /// shows them when the key is created.
    ///
    /// # Errors
    /// [`Error::Credentials`] when either is empty or the private key is
    /// not base64 (the message does not quote it).
    pub fn new(key: impl Into<String>, secret_base64: &str) -> Result<Self, Error> {
        let given = Zeroizing::new(key.into());
        let key = Zeroizing::new(given.trim().to_owned());
        if key.is_empty() {
            return Err(Error::Credentials("the API key is empty".to_owned()));
        }
        let secret_base64 = Zeroizing::new(secret_base64.trim().to_owned());
        if secret_base64.is_empty() {
            return Err(Error::Credentials("the API secret is empty".to_owned()));
        }
        let secret = BASE64
            .decode(secret_base64.as_bytes())
            .map_err(|_| Error::Credentials("the API secret is not valid base64".to_owned()))?;
        Ok(Credentials {
            key,
            secret: Zeroizing::new(secret),
        })
    }

    /// Credentials from `KRAKEN_API_KEY` / `KRAKEN_API_SECRET`, else from
    /// `KRAKEN_REST_API_KEY` / `KRAKEN_REST_API_PRIVATE_KEY`.
    ///
    /// # Errors
    /// [`Error::Credentials`] naming the variables when neither pair is
    /// set, or when the secret is not base64.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Credentials::from_env`] over any lookup (tests use a map).
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        for (key_name, secret_name) in ENV_NAMES {
            let key = lookup(key_name).filter(|k| !k.trim().is_empty());
            let secret = lookup(secret_name).map(Zeroizing::new);
            match (key, secret) {
                (Some(key), Some(secret)) => return Self::new(key, &secret),
                (Some(_), None) => {
                    return Err(Error::Credentials(format!(
                        "{key_name} is set but {secret_name} is not"
                    )));
                }
                _ => {}
            }
        }
        Err(Error::Credentials(
            "no API credentials: set KRAKEN_API_KEY and KRAKEN_API_SECRET \
             (or KRAKEN_REST_API_KEY and KRAKEN_REST_API_PRIVATE_KEY)"
                .to_owned(),
        ))
    }

    /// The public API key, sent as the `API-Key` header.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The decoded private key, for signing.
    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.key.chars().take(4).collect();
        f.debug_struct("Credentials")
            .field("key", &format_args!("{shown}…"))
            .field("secret", &format_args!("<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn kraki_names_win_over_krakens_rest_names() {
        let c = Credentials::from_lookup(lookup(&[
            ("KRAKEN_API_KEY", "first"),
            ("KRAKEN_API_SECRET", SECRET),
            ("KRAKEN_REST_API_KEY", "second"),
            ("KRAKEN_REST_API_PRIVATE_KEY", SECRET),
        ]))
        .unwrap();
        assert_eq!(c.key(), "first");
        let c = Credentials::from_lookup(lookup(&[
            ("KRAKEN_REST_API_KEY", "second"),
            ("KRAKEN_REST_API_PRIVATE_KEY", SECRET),
        ]))
        .unwrap();
        assert_eq!(c.key(), "second");
        assert_eq!(c.secret().len(), 64);
    }

    #[test]
    fn missing_or_bad_credentials_are_named_without_the_secret() {
        let none = Credentials::from_lookup(lookup(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            none.contains("KRAKEN_API_KEY") && none.contains("KRAKEN_API_SECRET"),
            "{none}"
        );
        let half = Credentials::from_lookup(lookup(&[("KRAKEN_API_KEY", "k")]))
            .unwrap_err()
            .to_string();
        assert!(half.contains("KRAKEN_API_SECRET is not"), "{half}");
        let bad = Credentials::new("k", "not base64 at all!")
            .unwrap_err()
            .to_string();
        assert!(
            bad.contains("not valid base64") && !bad.contains("at all"),
            "{bad}"
        );
        assert!(Credentials::new(" ", SECRET).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials::new("ABCDEFGHIJ", SECRET).unwrap();
        let shown = format!("{c:?}");
        assert!(
            shown.contains("ABCD…") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(
            !shown.contains("EFGH") && !shown.contains("kQH5"),
            "{shown}"
        );
    }
}
