//! Credentials travel only over TLS. An API key, a signature (which
//! anyone who reads it can replay for a token while its nonce is unused)
//! and a WebSocket token are refused on `ws://` and `http://` before a
//! byte is sent, unless the host is this machine and no proxy stands in
//! between, or the caller opted in by name.

use crate::error::Error;
use crate::loopback::is_loopback;
use http::Uri;

/// Whether `url` may carry credentials. `what` says what would travel
/// ("the API key and signature", "the WebSocket token"); `proxied` is
/// whether the connection to its host goes through a proxy; `opt_in` is
/// `Ok` when the caller opted in, else the name of the method that
/// would, for the refusal to name.
pub(crate) fn check(
    url: &Uri,
    what: &str,
    proxied: bool,
    opt_in: Result<(), &str>,
) -> Result<(), Error> {
    let encrypted = matches!(url.scheme_str(), Some("https" | "wss"));
    let local = url.host().is_some_and(is_loopback) && !proxied;
    let opt_in = match opt_in {
        Ok(()) => return Ok(()),
        Err(_) if encrypted || local => return Ok(()),
        Err(name) => name,
    };
    let why = if proxied {
        "through a proxy"
    } else {
        "to a host that is not this machine"
    };
    Err(Error::Config(format!(
        "refusing to send {what} unencrypted {why} ({url}): anyone on the path could read and \
         replay them; use {} (or, knowing that, {opt_in})",
        if url.scheme_str() == Some("http") {
            "https://"
        } else {
            "wss://"
        },
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NO: Result<(), &str> = Err("ClientBuilder::danger_send_credentials_unencrypted");

    fn uri(text: &str) -> Uri {
        text.parse().unwrap()
    }

    #[test]
    fn tls_always_passes() {
        for url in ["wss://ws-auth.kraken.com/v2", "https://api.kraken.com"] {
            check(&uri(url), "x", false, NO).unwrap();
            check(&uri(url), "x", true, NO).unwrap();
        }
    }

    #[test]
    fn loopback_passes_unless_proxied() {
        for url in [
            "ws://127.0.0.1:9/auth/v2",
            "http://localhost:9",
            "http://[::1]:9",
        ] {
            check(&uri(url), "x", false, NO).unwrap();
            assert!(check(&uri(url), "x", true, NO).is_err(), "{url}");
        }
    }

    #[test]
    fn a_remote_cleartext_url_is_refused_with_the_way_out() {
        let err = check(
            &uri("http://api.example.com"),
            "the API key and signature",
            false,
            NO,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration: refusing to send the API key and signature unencrypted to a \
             host that is not this machine (http://api.example.com/): anyone on the path could \
             read and replay them; use https:// (or, knowing that, \
             ClientBuilder::danger_send_credentials_unencrypted)"
        );
        let err = check(&uri("ws://127.0.0.1:1/v2"), "the WebSocket token", true, NO)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("through a proxy") && err.contains("use wss://"),
            "{err}"
        );
    }

    #[test]
    fn opting_in_passes() {
        check(&uri("ws://ws-auth.example.com/v2"), "x", true, Ok(())).unwrap();
    }
}
