//! The REST client: its base URL and transport, the signed call (the
//! WebSocket token) and the public call every market-data endpoint uses.

use crate::Error;
use crate::cleartext;
use crate::keys::{Credentials, api_sign, next_nonce};
use crate::rest::http1::{self, FORM, Header};
use crate::rest::public_call::{self, Answer};
use crate::shown_url;
use crate::transport::Transport;
use http::Uri;
use kraki_proto::Token;
use serde::de::DeserializeOwned;
use serde_json::Value;
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
}

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
        })
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
        let result = self
            .private(credentials, "/0/private/GetWebSocketsToken")
            .await?;
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

    /// A signed POST with a form body holding only the nonce. Refused
    /// before anything is signed when it would travel unencrypted.
    async fn private(&self, credentials: &Credentials, path: &str) -> Result<Value, Error> {
        let host = self.base.host().unwrap_or_default();
        cleartext::check(
            &self.base,
            "the API key and signature",
            self.transport.proxied(host),
            self.unencrypted_credentials.then_some(()).ok_or(OPT_IN),
        )?;
        let nonce = next_nonce();
        let body = format!("nonce={nonce}");
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
        envelope(path, response.status, &response.body)
    }
}

/// Kraken's `{"error":[…],"result":…}`: the result, or the errors verbatim.
fn envelope(what: &str, status: u16, body: &[u8]) -> Result<Value, Error> {
    let parsed: Value = serde_json::from_slice(body).map_err(|_| {
        let shown: String = String::from_utf8_lossy(body).chars().take(120).collect();
        Error::bad_answer(format!(
            "{what}: HTTP {status} with a body that is not JSON: {shown:?}"
        ))
    })?;
    let errors: Vec<String> = parsed
        .get("error")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(Error::Rest(errors));
    }
    match parsed.get("result") {
        Some(result) => Ok(result.clone()),
        None => Err(Error::bad_answer(format!(
            "{what}: HTTP {status} without a result or an error"
        ))),
    }
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
    fn urls_must_be_http() {
        assert!(RestClient::new("ws://127.0.0.1:1").is_err());
        assert!(RestClient::new("http://127.0.0.1:1/").is_ok());
    }
}
