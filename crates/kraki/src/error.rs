//! The client's error type.

use crate::rest_error::{RestError, RestErrorKind};
use crate::transport_error::TransportError;
use std::fmt;

/// Everything that can go wrong in the client. Kraken's rejections keep
/// Kraken's error string verbatim; errors of the libraries underneath are
/// wrapped so that their types do not leak into the API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No working connection in the configured attempts
    /// ([`crate::ClientBuilder::connect_attempts`]): from `connect`, none
    /// could be opened; from a `subscribe`, that many in a row failed or
    /// were lost before they were healthy (a server that accepts and drops
    /// every connection). `last` is the cause of the last one.
    #[error("cannot connect to {url} after {attempts} attempt(s): {last}")]
    Connect {
        /// The URL tried.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// A URL or setting was not acceptable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Kraken rejected a request; one entry per failing symbol where the
    /// rejection is per symbol (e.g. `Currency pair not supported XBT/USD`).
    #[error("rejected by Kraken: {}", Rejections(.0))]
    Rejected(Vec<Rejection>),
    /// No answer within the request timeout. For trading calls the outcome
    /// is unknown, not failed.
    #[error("no response to {method} within {timeout_ms} ms")]
    Timeout {
        /// The method.
        method: &'static str,
        /// The timeout applied.
        timeout_ms: u64,
    },
    /// No instrument data for this pair, so its book cannot be verified.
    #[error("unknown symbol {0}: no instrument data, so its book cannot be verified")]
    UnknownSymbol(String),
    /// The client was closed.
    #[error("the client is closed")]
    Closed,
    /// Credentials missing or malformed (never quoting the secret).
    #[error("credentials: {0}")]
    Credentials(String),
    /// Kraken's REST API answered with errors, verbatim (e.g.
    /// `EAPI:Invalid key`).
    #[error("Kraken REST error: {}", .0.join("; "))]
    Rest(Vec<String>),
    /// A REST call could not be made or its answer not read, or an answer
    /// was not what Kraken sends ([`TransportError::BadAnswer`]).
    #[error("REST: {0}")]
    Http(#[source] TransportError),
    /// A WebSocket connection could not be opened (TCP, TLS or upgrade).
    #[error("WebSocket: {0}")]
    WebSocket(#[source] TransportError),
    /// An order or request failed kraki's checks before anything was sent.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A trading request was sent but no answer came (timeout, or the
    /// connection was lost): it may or may not have taken effect.
    #[error("outcome unknown for {method}{}: {reason}", cl_ord_id.as_ref().map(|id| format!(" (cl_ord_id {id})")).unwrap_or_default())]
    OutcomeUnknown {
        /// The method.
        method: &'static str,
        /// Why no answer came.
        reason: String,
        /// The order's client id, to find it again with
        /// `Client::find_order` (set by `add_order`, which has already
        /// looked once).
        cl_ord_id: Option<String>,
    },
    /// The connection is down (reconnecting): nothing was sent.
    #[error("not connected: {0} was not sent")]
    NotConnected(&'static str),
}

impl Error {
    /// An [`Error::Http`] for an answer that arrived but is not what
    /// Kraken sends.
    pub(crate) fn bad_answer(what: impl Into<String>) -> Error {
        Error::Http(TransportError::BadAnswer(what.into()))
    }

    /// True when trying again later may succeed (timeouts, connection
    /// failures); false for rejections, bad configuration and a closed
    /// client.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. } | Error::Timeout { .. } | Error::Http(_) | Error::NotConnected(_)
        )
    }

    /// Kraken's REST errors, each with its kind and its text verbatim;
    /// empty unless this is [`Error::Rest`].
    pub fn rest_errors(&self) -> Vec<RestError> {
        match self {
            Error::Rest(texts) => texts.iter().map(|t| RestError::new(t)).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether this is [`Error::Rest`] with an error of that kind.
    pub fn is_rest_error(&self, kind: RestErrorKind) -> bool {
        self.rest_errors().iter().any(|e| e.kind == kind)
    }

    /// True when Kraken answered with an error.
    pub fn is_rejection(&self) -> bool {
        matches!(self, Error::Rejected(_))
    }

    /// Kraken's error strings, for a rejection.
    pub fn rejections(&self) -> &[Rejection] {
        match self {
            Error::Rejected(r) => r,
            _ => &[],
        }
    }
}

/// One error answer from Kraken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The symbol the error is about, when per symbol.
    pub symbol: Option<String>,
    /// Kraken's error string, verbatim.
    pub error: String,
}

struct Rejections<'a>(&'a [Rejection]);

impl fmt::Display for Rejections<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match &r.symbol {
                Some(s) => write!(f, "{s}: {}", r.error)?,
                None => f.write_str(&r.error)?,
            }
        }
        Ok(())
    }
}
