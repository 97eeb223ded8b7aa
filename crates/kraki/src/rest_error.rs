//! Kraken's REST `error` strings as typed kinds. [`crate::Error::Rest`]
//! keeps the strings verbatim; [`crate::Error::rest_errors`] gives each
//! with its kind, so a caller matches a variant rather than a text.

/// What one of Kraken's REST error strings says. Unknown strings are
/// [`RestErrorKind::Other`]; the verbatim text is in [`RestError::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RestErrorKind {
    /// `EAPI:Invalid nonce`: the nonce was not above the last one this
    /// key used (another process with the key got ahead, or a clock went
    /// back).
    InvalidNonce,
    /// `EAPI:Invalid signature`: the secret does not match the key, or
    /// the request was changed on its way.
    InvalidSignature,
    /// `EAPI:Invalid key`: no such API key.
    InvalidKey,
    /// `EAPI:Bad request`: a request Kraken could not read.
    BadRequest,
    /// `EGeneral:Permission denied`: the key lacks the permission the
    /// call needs (e.g. `Query Ledger Entries`).
    PermissionDenied,
    /// `EAPI:Rate limit exceeded`: the key's REST call counter is full.
    RateLimitExceeded,
    /// `EGeneral:Temporary lockout`: too many failed calls; wait.
    TemporaryLockout,
    /// `EGeneral:Invalid arguments…`: a parameter Kraken refused.
    InvalidArguments,
    /// `EGeneral:Unknown method`: no such endpoint.
    UnknownMethod,
    /// `EQuery:Unknown asset pair`.
    UnknownAssetPair,
    /// `EQuery:Unknown asset`.
    UnknownAsset,
    /// `EOrder:Invalid order`: e.g. an order id `QueryOrders` does not
    /// know.
    InvalidOrder,
    /// `EOrder:Unknown order`.
    UnknownOrder,
    /// `EOrder:Insufficient funds`.
    InsufficientFunds,
    /// `EService:Unavailable`: the exchange is down or in maintenance.
    ServiceUnavailable,
    /// `EService:Busy`: the exchange is overloaded; try later.
    ServiceBusy,
    /// `EService: Throttled: <time>`: too many concurrent requests.
    Throttled,
    /// Anything else.
    Other,
}

impl RestErrorKind {
    /// The kind of one error string.
    #[must_use]
    pub fn of(text: &str) -> RestErrorKind {
        let text = text.trim();
        let starts = |prefix: &str| text.starts_with(prefix);
        match text {
            "EAPI:Invalid nonce" => RestErrorKind::InvalidNonce,
            "EAPI:Invalid signature" => RestErrorKind::InvalidSignature,
            "EAPI:Invalid key" => RestErrorKind::InvalidKey,
            "EAPI:Bad request" => RestErrorKind::BadRequest,
            "EGeneral:Permission denied" => RestErrorKind::PermissionDenied,
            "EAPI:Rate limit exceeded" => RestErrorKind::RateLimitExceeded,
            "EGeneral:Temporary lockout" => RestErrorKind::TemporaryLockout,
            "EGeneral:Unknown method" => RestErrorKind::UnknownMethod,
            "EQuery:Unknown asset pair" => RestErrorKind::UnknownAssetPair,
            "EQuery:Unknown asset" => RestErrorKind::UnknownAsset,
            "EOrder:Invalid order" => RestErrorKind::InvalidOrder,
            "EOrder:Unknown order" => RestErrorKind::UnknownOrder,
            "EOrder:Insufficient funds" => RestErrorKind::InsufficientFunds,
            "EService:Unavailable" => RestErrorKind::ServiceUnavailable,
            "EService:Busy" => RestErrorKind::ServiceBusy,
            _ if starts("EGeneral:Invalid arguments") => RestErrorKind::InvalidArguments,
            _ if starts("EService: Throttled") || starts("EService:Throttled") => {
                RestErrorKind::Throttled
            }
            _ => RestErrorKind::Other,
        }
    }

    /// Whether a read-only call that failed with it may succeed when
    /// made again with a fresh nonce and signature: a nonce another
    /// process overtook, a full counter, a busy or throttled exchange.
    #[must_use]
    pub fn is_retryable_for_reads(self) -> bool {
        matches!(
            self,
            RestErrorKind::InvalidNonce
                | RestErrorKind::RateLimitExceeded
                | RestErrorKind::ServiceBusy
                | RestErrorKind::ServiceUnavailable
                | RestErrorKind::Throttled
        )
    }
}

/// One of Kraken's REST error strings with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    /// What it says.
    pub kind: RestErrorKind,
    /// The string as Kraken sent it.
    pub text: String,
}

impl RestError {
    /// The error for `text`.
    #[must_use]
    pub fn new(text: &str) -> RestError {
        RestError {
            kind: RestErrorKind::of(text),
            text: text.to_owned(),
        }
    }
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn krakens_strings_get_their_kinds() {
        for (text, kind) in [
            ("EAPI:Invalid nonce", RestErrorKind::InvalidNonce),
            ("EAPI:Invalid signature", RestErrorKind::InvalidSignature),
            ("EAPI:Invalid key", RestErrorKind::InvalidKey),
            (
                "EGeneral:Permission denied",
                RestErrorKind::PermissionDenied,
            ),
            ("EAPI:Rate limit exceeded", RestErrorKind::RateLimitExceeded),
            (
                "EGeneral:Invalid arguments",
                RestErrorKind::InvalidArguments,
            ),
            (
                "EGeneral:Invalid arguments:ofs",
                RestErrorKind::InvalidArguments,
            ),
            ("EQuery:Unknown asset pair", RestErrorKind::UnknownAssetPair),
            ("EService: Throttled: 1700000000", RestErrorKind::Throttled),
            ("EFuture:Something new", RestErrorKind::Other),
        ] {
            let error = RestError::new(text);
            assert_eq!(error.kind, kind, "{text}");
            assert_eq!(error.to_string(), text);
        }
        assert!(RestErrorKind::InvalidNonce.is_retryable_for_reads());
        assert!(!RestErrorKind::PermissionDenied.is_retryable_for_reads());
        assert!(!RestErrorKind::InvalidSignature.is_retryable_for_reads());
    }
}
