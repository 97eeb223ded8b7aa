//! Domain newtypes for the identifiers on the wire.

use std::fmt;

/// Defines a string newtype that serializes as a plain JSON string.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            #[inline]
            fn eq(&self, other: &str) -> bool {
                same_text(&self.0, other)
            }
        }

        impl PartialEq<&str> for $name {
            #[inline]
            fn eq(&self, other: &&str) -> bool {
                same_text(&self.0, other)
            }
        }
    };
}

/// Whether two texts are equal. Short ones (a pair's name, compared with
/// every book message, is 7 or 8 bytes) are compared as two overlapping
/// words, which is a few instructions instead of a call to `memcmp`.
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    fn ends<const N: usize>(s: &[u8]) -> Option<(&[u8; N], &[u8; N])> {
        Some((s.first_chunk()?, s.last_chunk()?))
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        4..8 => ends::<4>(a) == ends::<4>(b),
        8..=16 => ends::<8>(a) == ends::<8>(b),
        _ => a == b,
    }
}

string_id!(
    /// A trading pair in v2 form, e.g. `BTC/USD`.
    Symbol
);
string_id!(
    /// Kraken's order id, e.g. `OK4GJX-KSTLS-7DZZO5`.
    OrderId
);
string_id!(
    /// The client's own order id (UUID, 32 hex digits, or ASCII ≤ 18 chars).
    ClOrdId
);
string_id!(
    /// An asset code, e.g. `BTC`.
    Asset
);

/// The request id echoed in every response to a request. Kraken does not
/// check uniqueness; kraki's client makes them unique per connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ReqId(pub u64);

impl fmt::Display for ReqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A WebSocket session token. Its `Debug` never shows the value; only
/// serialization into a request does. Zeroed on drop, like the secret it
/// stands for.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Wraps a token received from `GetWebSocketsToken`.
    pub fn new(value: impl Into<String>) -> Self {
        Token(value.into())
    }

    /// The secret text, for putting on the wire. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_is_redacted() {
        let t = Token::new("G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(serde_json::to_string(&t).unwrap().contains("G38a1"));
    }

    #[test]
    fn ids_compare_with_text() {
        assert_eq!(Symbol::from("BTC/USD"), "BTC/USD");
        assert_eq!(format!("{:?}", OrderId::from("X")), "\"X\"");
        // Every length around the word compares, a difference at each
        // byte, and a different length, are told apart.
        for len in 0..=20 {
            let text: String = "ABCDEFGHIJKLMNOPQRSTU".chars().take(len).collect();
            let symbol = Symbol::from(text.as_str());
            assert!(symbol == text.as_str(), "{text}");
            for at in 0..len {
                let mut other = text.clone().into_bytes();
                other[at] = b'x';
                let other = String::from_utf8(other).unwrap();
                assert!(symbol != other.as_str(), "{text} vs {other}");
            }
            assert!(symbol != format!("{text}x").as_str(), "{text}");
        }
    }
}
