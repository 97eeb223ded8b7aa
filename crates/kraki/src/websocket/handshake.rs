//! The opening handshake (RFC 6455 §4.1): the upgrade request a client
//! sends, and the checks on the server's answer.

use crate::transport_error::TransportError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::Uri;
use ring::digest;

/// The GUID every server appends to the key (§1.3).
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64.
pub(crate) fn new_key(random: &dyn ring::rand::SecureRandom) -> Result<String, TransportError> {
    let mut nonce = [0u8; 16];
    random
        .fill(&mut nonce)
        .map_err(|_| TransportError::NoRandomness("the WebSocket key"))?;
    Ok(BASE64.encode(nonce))
}

/// The upgrade request for `url` with `key`.
pub(crate) fn request(url: &Uri, key: &str) -> String {
    let target = url.path_and_query().map_or("/", |p| p.as_str());
    let target = if target.is_empty() { "/" } else { target };
    let host = url.authority().map_or("", |a| a.as_str());
    format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: kraki/{}\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The `Sec-WebSocket-Accept` a server must answer to `key`.
pub(crate) fn accept_for(key: &str) -> String {
    let mut context = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    context.update(key.as_bytes());
    context.update(GUID);
    BASE64.encode(context.finish().as_ref())
}

/// Checks the server's answer (`head`: the status line and headers,
/// without the blank line) to a request made with `key`. The error names
/// what is wrong.
pub(crate) fn check_response(head: &str, key: &str) -> Result<(), TransportError> {
    let broken = |what: String| Err(TransportError::Handshake(what));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return broken(format!(
            "the server's answer is not HTTP/1.x: {:?}",
            truncated(status_line)
        ));
    }
    if status != "101" {
        return Err(TransportError::Refused {
            status: status.parse().ok(),
            status_line: truncated(status_line).to_owned(),
        });
    }
    let (mut upgrade, mut connection, mut accept) = (false, false, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("upgrade") {
            upgrade = value.eq_ignore_ascii_case("websocket");
        } else if name.eq_ignore_ascii_case("connection") {
            connection = value
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
        } else if name.eq_ignore_ascii_case("sec-websocket-accept") {
            accept = Some(value);
        } else if name.eq_ignore_ascii_case("sec-websocket-extensions") && !value.is_empty() {
            // Frames of an extension we cannot read (compression, say)
            // must not be taken for plain ones.
            return broken(format!(
                "the server chose extension {value:?}, which was not offered"
            ));
        }
    }
    if !upgrade {
        return broken("the server's 101 answer lacks `Upgrade: websocket`".to_owned());
    }
    if !connection {
        return broken("the server's 101 answer lacks `Connection: Upgrade`".to_owned());
    }
    match accept {
        Some(accept) if accept == accept_for(key) => Ok(()),
        Some(_) => broken("the server's Sec-WebSocket-Accept does not match the key".to_owned()),
        None => broken("the server's 101 answer lacks Sec-WebSocket-Accept".to_owned()),
    }
}

/// At most 100 characters of a line from the server, for an error.
fn truncated(line: &str) -> &str {
    match line.char_indices().nth(100) {
        Some((at, _)) => &line[..at],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn answer(extra: &str) -> String {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo={extra}"
        )
    }

    #[test]
    fn accept_key_of_rfc_6455() {
        assert_eq!(accept_for(KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn requests_carry_path_query_and_host() {
        let url: Uri = "ws://127.0.0.1:8080/v2?x=1".parse().unwrap();
        let text = request(&url, KEY);
        assert!(text.starts_with("GET /v2?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"));
        assert!(text.contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
        let url: Uri = "wss://ws.kraken.com".parse().unwrap();
        assert!(request(&url, KEY).starts_with("GET / HTTP/1.1\r\nHost: ws.kraken.com\r\n"));
    }

    #[test]
    fn keys_are_fresh() {
        let random = ring::rand::SystemRandom::new();
        let a = new_key(&random).unwrap();
        assert_eq!(a.len(), 24);
        assert_ne!(a, new_key(&random).unwrap());
    }

    #[test]
    fn valid_answers_pass() {
        check_response(&answer(""), KEY).unwrap();
        check_response(&answer("\r\nSec-WebSocket-Extensions:"), KEY).unwrap();
    }

    #[test]
    fn wrong_answers_are_named() {
        let err = |head: &str| check_response(head, KEY).unwrap_err().to_string();
        assert_eq!(
            err("HTTP/1.1 403 Forbidden\r\nContent-Length: 0"),
            "the server answered \"HTTP/1.1 403 Forbidden\" instead of switching to WebSocket"
        );
        let refusal = check_response("HTTP/1.1 403 Forbidden", KEY).unwrap_err();
        assert_eq!(refusal.status(), Some(403));
        assert!(err("SSH-2.0-OpenSSH_9.6").contains("not HTTP/1.x"));
        assert!(
            err(&answer("").replace("WebSocket\r\n", "h2c\r\n")).contains("Upgrade: websocket")
        );
        assert!(err(&answer("").replace("keep-alive, Upgrade", "close")).contains("Connection"));
        assert!(err(&answer("").replace("s3pP", "AAAA")).contains("does not match"));
        assert!(
            err(&answer("\r\nSec-WebSocket-Extensions: permessage-deflate"))
                .contains("\"permessage-deflate\", which was not offered")
        );
        let no_accept = "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: upgrade";
        assert!(err(no_accept).contains("lacks Sec-WebSocket-Accept"));
    }
}
