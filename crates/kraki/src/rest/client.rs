//! The REST client: its base URL, transport and settings, the WebSocket
//! token (signed, §8), the public call every market-data endpoint takes
//! (with the retries that are safe for it), and the signed-call path every
//! private call takes (Kraken's nonce, signature, call counter and the
//! retries that are safe).

use crate::cleartext;
use crate::keys::{Credentials, api_sign, next_nonce};
use crate::rest::call_counter::{self, CallCounter};
use crate::rest::envelope::{check_errors, envelope};
use crate::rest::form::form_body;
use crate::rest::http1::{self, FORM, Header};
use crate::rest::public_call::{self, Answer};
use crate::rest_error::RestErrorKind;
use crate::shown_url;
use crate::transport::Transport;
use crate::{Error, RateTier};
use bytes::Bytes;
use http::Uri;
use kraki_proto::Token;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// How a caller lets signed calls go unencrypted, named in the refusal.
const OPT_IN: &str = "RestClient::danger_send_credentials_unencrypted";

/// Kraken's REST endpoint.
pub const REST_URL: &str = "https://api.kraken.com";

/// A REST client for one base URL (`https://api.kraken.com`, or the
/// simulator's `http://127.0.0.1:P`).
#[derive(Clone)]
pub struct RestClient {
    base: Uri,
    transport: Transport,
    timeout: Duration,
    /// Signed calls may go over `http://` to a host other than this
    /// machine (see [`RestClient::danger_send_credentials_unencrypted`]).
    unencrypted_credentials: bool,
    /// Kraken's REST call counter, shared by clones; `None` when calls
    /// are not paced ([`RestClient::unthrottled`]).
    counter: Option<Arc<CallCounter>>,
}

/// Whether a signed call may be made again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Read-only: made again, with a fresh nonce and signature, after a
    /// failure that may pass (a nonce overtaken by another process, a
    /// full counter, a busy exchange, a lost connection).
    ReadOnly,
    /// Made again only when another process using the key overtook its
    /// nonce (`EAPI:Invalid nonce`: Kraken did nothing with it), at once,
    /// with a fresh one. The WebSocket token: any other failure is the
    /// connect's to pace, with its own backoff, but two processes
    /// starting at the same moment must not fail the first connect.
    OvertakenNonce,
}

/// Attempts of a read-only call in all.
const READ_ATTEMPTS: u32 = 4;
/// The pause before the second attempt after a failure other than a full
/// counter; doubled for each further one.
const FIRST_PAUSE: Duration = Duration::from_millis(250);

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base.to_string())
            .finish_non_exhaustive()
    }
}

/// A token from `GetWebSocketsToken` and how long it may wait for its
/// first use.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token (its `Debug` is redacted).
    pub token: Token,
    /// Kraken's `expires`: the token must be used within this time.
    pub expires: Duration,
}

impl RestClient {
    /// A client for `base_url`, trusting the built-in roots.
    ///
    /// # Errors
    /// [`Error::Config`] for a URL that is not `http://` or `https://`.
    pub fn new(base_url: &str) -> Result<Self, Error> {
        Self::with_transport(base_url, Transport::new(&[], None)?)
    }

    pub(crate) fn with_transport(base_url: &str, transport: Transport) -> Result<Self, Error> {
        let shown = shown_url::shown(base_url);
        let base: Uri = base_url
            .trim_end_matches('/')
            .parse()
            .map_err(|e| Error::Config(format!("invalid REST URL {shown:?}: {e}")))?;
        shown_url::refuse_userinfo(&base, "REST URL").map_err(Error::Config)?;
        if !matches!(base.scheme_str(), Some("http" | "https")) || base.host().is_none() {
            return Err(Error::Config(format!(
                "invalid REST URL {shown:?}: expected http://host or https://host"
            )));
        }
        Ok(RestClient {
            base,
            transport,
            timeout: Duration::from_secs(10),
            unencrypted_credentials: false,
            counter: Some(Arc::new(CallCounter::new(RateTier::Starter))),
        })
    }

    /// The account's verification tier, which sets Kraken's REST call
    /// counter: starter (the default) may reach 15, decaying 0.33 per
    /// second; intermediate 20 at 0.5; pro 20 at 1. Private calls wait
    /// until the counter has room (ledger and trade history queries cost
    /// 2, the others 1), so they are not refused with `EAPI:Rate limit
    /// exceeded`. The counter starts empty and is shared by this client's
    /// clones, per API key.
    pub fn tier(mut self, tier: RateTier) -> Self {
        self.counter = Some(Arc::new(CallCounter::new(tier)));
        self
    }

    /// Sends every call at once, without the local call counter: for a
    /// server with no counter, or to see its refusals.
    pub fn unthrottled(mut self) -> Self {
        self.counter = None;
        self
    }

    /// How long one call may take, connecting and reading the whole
    /// answer included. Default is 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The base URL.
    pub(crate) fn base(&self) -> &Uri {
        &self.base
    }

    /// Lets signed calls (the API key and a signature of the request,
    /// which anyone who reads it can replay while its nonce is unused) go
    /// over `http://` to a host that is not this machine, or through a
    /// proxy. Without it they are refused before a byte is sent; `https://`
    /// and a loopback host reached directly (the simulator) need nothing.
    pub fn danger_send_credentials_unencrypted(mut self) -> Self {
        self.unencrypted_credentials = true;
        self
    }

    /// A token for the authenticated WebSocket (`GetWebSocketsToken`).
    ///
    /// # Errors
    /// [`Error::Rest`] with Kraken's error strings verbatim (e.g.
    /// `EAPI:Invalid key`), [`Error::Http`] when Kraken cannot be reached
    /// or answers with something that is not its JSON envelope.
    pub async fn websockets_token(&self, credentials: &Credentials) -> Result<IssuedToken, Error> {
        let path = "/0/private/GetWebSocketsToken";
        let body = self
            .signed(credentials, path, &[], Retry::OvertakenNonce)
            .await?;
        let result = envelope(path, 200, &body)?;
        let token = result
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::bad_answer("GetWebSocketsToken: no token in the result"))?;
        let expires = result.get("expires").and_then(Value::as_u64).unwrap_or(900);
        Ok(IssuedToken {
            token: Token::new(token),
            expires: Duration::from_secs(expires),
        })
    }

    /// A public call: GET `/0/public/{method}` with `params` in the
    /// query, its `result` typed as `T`. Public calls change nothing, so
    /// a failure another try may cure (no connection, no answer in time,
    /// HTTP 5xx or 429, `EService:Unavailable`, `EService:Busy`) is tried
    /// again, up to three times after growing pauses; any other failure
    /// is reported at once.
    pub(crate) async fn public<T: DeserializeOwned>(
        &self,
        method: &str,
        params: &[(&str, String)],
    ) -> Result<T, Error> {
        let path = format!("/0/public/{method}");
        let target = if params.is_empty() {
            path
        } else {
            format!("{path}?{}", public_call::query(params))
        };
        let mut pauses = public_call::RETRY_PAUSES.iter();
        loop {
            let exchanged = http1::request(
                &self.transport,
                &self.base,
                "GET",
                &target,
                &[],
                Vec::new(),
                self.timeout,
            )
            .await;
            let (error, transient) = match exchanged {
                Ok(response) => match public_call::read::<T>(response.status, &response.body) {
                    Answer::Result(typed) => return Ok(typed),
                    Answer::Malformed(problem) => {
                        return Err(Error::bad_answer(format!("{method}: {problem}")));
                    }
                    Answer::Failed { transient } => {
                        let error = envelope(method, response.status, &response.body)
                            .err()
                            .unwrap_or_else(|| {
                                Error::bad_answer(format!(
                                    "{method}: HTTP {} without a usable result",
                                    response.status
                                ))
                            });
                        (error, transient)
                    }
                },
                Err(e) => {
                    let transient = public_call::is_transient(&e);
                    (Error::Http(e), transient)
                }
            };
            match pauses.next() {
                Some(pause) if transient => tokio::time::sleep(*pause).await,
                _ => return Err(error),
            }
        }
    }

    /// A signed POST of `params` to `path`: paced by the call counter
    /// (the token excepted, see [`call_counter`]), and made again as
    /// `retry` allows, each time with a fresh nonce and signature. The
    /// answer's body once its `error` array is empty.
    pub(crate) async fn signed(
        &self,
        credentials: &Credentials,
        path: &str,
        params: &[(&str, String)],
        retry: Retry,
    ) -> Result<Bytes, Error> {
        let counted = path != "/0/private/GetWebSocketsToken";
        let mut attempt = 1;
        loop {
            if let Some(counter) = self.counter.as_ref().filter(|_| counted) {
                counter
                    .take(credentials.key(), call_counter::cost(path))
                    .await;
            }
            let failure = match self.signed_once(credentials, path, params).await {
                Ok(body) => return Ok(body),
                Err(e) => e,
            };
            let again = match retry {
                Retry::ReadOnly => retryable(&failure),
                Retry::OvertakenNonce => failure
                    .rest_errors()
                    .iter()
                    .any(|e| e.kind == RestErrorKind::InvalidNonce),
            };
            if !again || attempt >= READ_ATTEMPTS {
                return Err(failure);
            }
            if retry == Retry::OvertakenNonce {
                // Nothing to wait for: the call was refused unread.
                tracing::debug!(path, attempt, "nonce overtaken; again with a fresh one");
                attempt += 1;
                continue;
            }
            let full = failure
                .rest_errors()
                .iter()
                .any(|e| e.kind == RestErrorKind::RateLimitExceeded);
            match (&self.counter, full) {
                // The next `take` waits for the room.
                (Some(counter), true) => counter.mark_full(credentials.key()),
                _ => tokio::time::sleep(FIRST_PAUSE * 2u32.pow(attempt - 1)).await,
            }
            tracing::debug!(path, attempt, "retrying a read-only REST call: {failure}");
            attempt += 1;
        }
    }

    /// One signed POST with a fresh nonce. Refused before anything is
    /// signed when it would travel unencrypted.
    async fn signed_once(
        &self,
        credentials: &Credentials,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Bytes, Error> {
        let host = self.base.host().unwrap_or_default();
        cleartext::check(
            &self.base,
            "the API key and signature",
            self.transport.proxied(host),
            self.unencrypted_credentials.then_some(()).ok_or(OPT_IN),
        )?;
        let nonce = next_nonce();
        let body = form_body(nonce, params);
        let sign = Zeroizing::new(api_sign(credentials.secret(), path, nonce, body.as_bytes()));
        let headers = [
            Header {
                name: "API-Key",
                value: credentials.key(),
                secret: true,
            },
            Header {
                name: "API-Sign",
                value: sign.as_str(),
                secret: true,
            },
            FORM,
        ];
        let response = http1::request(
            &self.transport,
            &self.base,
            "POST",
            path,
            &headers,
            body.into_bytes(),
            self.timeout,
        )
        .await
        .map_err(Error::Http)?;
        check_errors(path, response.status, &response.body)?;
        Ok(response.body)
    }
}

/// Whether a read-only call that failed so may succeed if made again.
fn retryable(error: &Error) -> bool {
    match error {
        Error::Rest(_) => error
            .rest_errors()
            .iter()
            .any(|e| e.kind.is_retryable_for_reads()),
        Error::Http(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_must_be_http() {
        assert!(RestClient::new("ws://127.0.0.1:1").is_err());
        assert!(RestClient::new("http://127.0.0.1:1/").is_ok());
    }
}
