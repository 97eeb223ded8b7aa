//! The WebSocket opening handshake (RFC 6455 §4.2) on hyper's upgrade:
//! the `101` answer (or why the request is not a valid upgrade), then the
//! WebSocket served on the very socket, past hyper.
//!
//! After the upgrade the frames go through tokio-websockets straight on
//! the TCP stream (hyper's `Upgraded` is unwrapped back into it), so the
//! feed's writes cost what they cost before hyper took the HTTP side.

use crate::connection;
use crate::endpoint::Endpoint;
use crate::shared::Shared;
use crate::socket::SimSocket;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use ring::digest;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_websockets::{Limits, ServerBuilder};

/// Largest message accepted from a client; a longer one is answered with
/// close code 1009 (message too big). Requests are a few hundred bytes;
/// the library's own default (64 MiB) would let one client hold that much
/// of the simulator's memory.
pub(crate) const MAX_MESSAGE: usize = 64 << 10;

/// Why a request that asked for a WebSocket does not get one: the status
/// and the text of the answer.
pub(crate) type NotAnUpgrade = (StatusCode, String);

/// RFC 6455 §1.3: the GUID appended to the client's key.
const WS_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Whether the request asks for a WebSocket (valid or not): its `Upgrade`
/// header lists `websocket`.
pub(crate) fn wants_websocket(headers: &HeaderMap) -> bool {
    lists(headers, &UPGRADE, "websocket")
}

/// The endpoint and the `101 Switching Protocols` answer to a valid
/// upgrade request, or the answer that says why it is not one (404 for a
/// path with no WebSocket, 400 for a bad handshake).
pub(crate) fn accept<B>(
    request: &Request<B>,
) -> Result<(Endpoint, Response<Full<Bytes>>), NotAnUpgrade> {
    let endpoint = match request.uri().path() {
        "/v2" => Endpoint::Public,
        "/auth/v2" => Endpoint::Private,
        "/l3/v2" => Endpoint::Level3,
        other => {
            tracing::debug!(path = other, "no WebSocket endpoint here");
            return Err((
                StatusCode::NOT_FOUND,
                format!("no WebSocket endpoint at {other}; try /v2, /auth/v2 or /l3/v2"),
            ));
        }
    };
    let bad = |why: &str| Err((StatusCode::BAD_REQUEST, why.to_owned()));
    let headers = request.headers();
    if request.method() != Method::GET {
        return bad("WebSocket upgrades must be GET requests");
    }
    if !lists(headers, &CONNECTION, "upgrade") {
        return bad("missing Connection: Upgrade");
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return bad("unsupported Sec-WebSocket-Version (13 expected)");
    }
    let Some(key) = headers.get(SEC_WEBSOCKET_KEY) else {
        return bad("missing Sec-WebSocket-Key");
    };
    let accept = HeaderValue::from_str(&accept_key(key.as_bytes())).map_err(|_| {
        (
            StatusCode::BAD_REQUEST,
            String::from("bad Sec-WebSocket-Key"),
        )
    })?;
    let mut response = Response::new(Full::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let out = response.headers_mut();
    out.insert(UPGRADE, HeaderValue::from_static("websocket"));
    out.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    out.insert(SEC_WEBSOCKET_ACCEPT, accept);
    Ok((endpoint, response))
}

/// Serves the WebSocket once hyper has sent the `101` and let go of the
/// socket. `S` is the stream the connection was served on.
pub(crate) async fn serve<S>(upgrade: OnUpgrade, shared: Arc<Shared>, endpoint: Endpoint, id: u64)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let upgraded = match upgrade.await {
        Ok(upgraded) => upgraded,
        Err(e) => {
            tracing::debug!(error = %e, "upgrade failed");
            return;
        }
    };
    let Ok(parts) = upgraded.downcast::<TokioIo<SimSocket<S>>>() else {
        // Not reached: the connection was served on exactly this type.
        tracing::warn!("upgraded stream of an unexpected type");
        return;
    };
    let socket = parts.io.into_inner().into_websocket(parts.read_buf);
    let ws = ServerBuilder::new()
        .limits(Limits::default().max_payload_len(Some(MAX_MESSAGE)))
        .serve(socket);
    connection::serve(ws, shared, endpoint, id).await;
}

/// Whether a comma-separated header lists `token` (case-insensitive), as
/// `Connection: keep-alive, Upgrade` does.
fn lists(headers: &HeaderMap, name: &http::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn accept_key(key: &[u8]) -> String {
    let mut context = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    context.update(key);
    context.update(WS_GUID);
    BASE64.encode(context.finish().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgrade(version: &str, path: &str) -> Request<()> {
        Request::get(path)
            .header("Upgrade", "websocket")
            .header("Connection", "keep-alive, Upgrade")
            .header("Sec-WebSocket-Version", version)
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .body(())
            .unwrap_or_default()
    }

    #[test]
    fn accept_key_of_rfc_6455() {
        // RFC 6455 §1.3's example.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn handshake_checks() {
        let good = upgrade("13", "/v2");
        assert!(wants_websocket(good.headers()));
        let Ok((endpoint, response)) = accept(&good) else {
            panic!("a valid upgrade was refused");
        };
        assert_eq!(endpoint, Endpoint::Public);
        assert_eq!(
            response
                .headers()
                .get(SEC_WEBSOCKET_ACCEPT)
                .map(HeaderValue::as_bytes),
            Some(&b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="[..])
        );
        assert_eq!(
            accept(&upgrade("8", "/v2")).err(),
            Some((
                StatusCode::BAD_REQUEST,
                String::from("unsupported Sec-WebSocket-Version (13 expected)")
            ))
        );
        assert_eq!(
            accept(&upgrade("13", "/v3")).err().map(|e| e.0),
            Some(StatusCode::NOT_FOUND)
        );
    }
}
