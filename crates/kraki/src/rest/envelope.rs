//! Kraken's REST envelope, `{"error":[…],"result":…}`: the errors
//! verbatim as [`Error::Rest`], or the result, raw or typed.

use crate::Error;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The errors of an answer, read without its result.
#[derive(Deserialize)]
struct Errors {
    #[serde(default)]
    error: Vec<Value>,
}

/// `Ok` when the answer is JSON with an empty (or no) `error` array;
/// Kraken's errors verbatim otherwise.
pub(crate) fn check_errors(what: &str, status: u16, body: &[u8]) -> Result<(), Error> {
    let parsed: Errors = serde_json::from_slice(body).map_err(|_| {
        let shown: String = String::from_utf8_lossy(body).chars().take(120).collect();
        Error::bad_answer(format!(
            "{what}: HTTP {status} with a body that is not Kraken's JSON envelope: {shown:?}"
        ))
    })?;
    if parsed.error.is_empty() {
        return Ok(());
    }
    Err(Error::Rest(
        parsed
            .error
            .iter()
            .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
            .collect(),
    ))
}

/// The `result`, as raw JSON.
pub(crate) fn envelope(what: &str, status: u16, body: &[u8]) -> Result<Value, Error> {
    typed(what, status, body)
}

/// The `result`, read as `T` straight from the body, so that decimals keep
/// the digits Kraken sent.
pub(crate) fn typed<T: DeserializeOwned>(what: &str, status: u16, body: &[u8]) -> Result<T, Error> {
    check_errors(what, status, body)?;
    #[derive(Deserialize)]
    struct Envelope<T> {
        result: Option<T>,
    }
    let envelope: Envelope<T> = serde_json::from_slice(body)
        .map_err(|e| Error::bad_answer(format!("{what}: a result not in Kraken's shape: {e}")))?;
    envelope.result.ok_or_else(|| {
        Error::bad_answer(format!(
            "{what}: HTTP {status} without a result or an error"
        ))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn krakens_errors_come_back_verbatim() {
        let err = envelope("x", 200, br#"{"error":["EAPI:Invalid nonce"]}"#).unwrap_err();
        assert!(
            matches!(&err, Error::Rest(e) if e == &["EAPI:Invalid nonce"]),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "Kraken REST error: EAPI:Invalid nonce");
    }

    #[test]
    fn a_non_json_body_is_described() {
        let err = envelope("AssetPairs", 502, b"<html>bad gateway</html>").unwrap_err();
        assert!(err.to_string().contains("HTTP 502"), "{err}");
    }

    #[test]
    fn a_result_of_the_wrong_shape_is_named() {
        let err =
            typed::<Vec<u8>>("Balance", 200, br#"{"error":[],"result":{"a":1}}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("Balance: a result not in Kraken's shape"),
            "{err}"
        );
        let err = envelope("Balance", 200, br#"{"error":[]}"#).unwrap_err();
        assert!(err.to_string().contains("without a result"), "{err}");
    }
}
