//! What a public call's answer means: a typed result, a failure worth
//! another try, or a failure to report. Public calls read and change
//! nothing, so trying again is always safe; only failures that another
//! try may cure are retried, a few times, with growing pauses.

use crate::transport_error::TransportError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::time::Duration;

/// The pauses before the second, third and fourth try.
pub(crate) const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_millis(750),
    Duration::from_millis(2_000),
];

/// Kraken's errors that say "later": its service is down or overloaded.
const TRANSIENT_ERRORS: [&str; 2] = ["EService:Unavailable", "EService:Busy"];

/// How one answer reads.
pub(crate) enum Answer<T> {
    /// The result, typed.
    Result(T),
    /// Kraken's error array, or a body that is not its envelope:
    /// `transient` when another try may succeed (HTTP 5xx or 429, or
    /// `EService:Unavailable`/`EService:Busy`).
    Failed { transient: bool },
    /// The envelope held a result that is not the expected shape: what
    /// is wrong with it.
    Malformed(String),
}

/// Kraken's envelope with the result kept raw until it is typed.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    error: Vec<&'a RawValue>,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
}

/// Reads an answer to a public call.
pub(crate) fn read<T: DeserializeOwned>(status: u16, body: &[u8]) -> Answer<T> {
    let busy_http = status == 429 || (500..600).contains(&status);
    let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(body) else {
        return Answer::Failed {
            transient: busy_http,
        };
    };
    if !envelope.error.is_empty() {
        let transient = busy_http
            || envelope.error.iter().any(|e| {
                let text = e.get().trim_matches('"');
                TRANSIENT_ERRORS.contains(&text)
            });
        return Answer::Failed { transient };
    }
    match envelope.result {
        Some(result) => match serde_json::from_str(result.get()) {
            Ok(typed) => Answer::Result(typed),
            Err(e) => Answer::Malformed(e.to_string()),
        },
        None => Answer::Failed {
            transient: busy_http,
        },
    }
}

/// Whether a failure to exchange the request may pass on another try: a
/// connection that could not be made or broke, or no answer in time.
/// Not a bad URL, a refused proxy, an answer too large to read, or one
/// that is not HTTP (the server would answer the same again).
pub(crate) fn is_transient(error: &TransportError) -> bool {
    match error {
        TransportError::Connect { .. }
        | TransportError::Io { .. }
        | TransportError::Tls { .. }
        | TransportError::Timeout { .. }
        | TransportError::ClosedByServer { .. } => true,
        TransportError::Http { source, .. } => source
            .downcast_ref::<hyper::Error>()
            .is_none_or(|e| !e.is_parse() && !e.is_user()),
        _ => false,
    }
}

/// `name=value&…`, each value percent-encoded (a pair's slash included).
pub(crate) fn query(params: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (name, value) in params {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        for byte in value.bytes() {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn transient(status: u16, body: &str) -> Option<bool> {
        match read::<serde_json::Value>(status, body.as_bytes()) {
            Answer::Failed { transient } => Some(transient),
            _ => None,
        }
    }

    #[test]
    fn only_what_may_pass_is_retried() {
        assert_eq!(transient(200, r#"{"error":["EService:Busy"]}"#), Some(true));
        assert_eq!(
            transient(200, r#"{"error":["EService:Unavailable"]}"#),
            Some(true)
        );
        assert_eq!(
            transient(200, r#"{"error":["EQuery:Unknown asset pair"]}"#),
            Some(false)
        );
        assert_eq!(transient(502, "<html>bad gateway</html>"), Some(true));
        assert_eq!(transient(429, "slow down"), Some(true));
        assert_eq!(transient(404, "not found"), Some(false));
    }

    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(
            query(&[("pair", "BTC/USD".into()), ("since", "17".into())]),
            "pair=BTC%2FUSD&since=17"
        );
    }
}
