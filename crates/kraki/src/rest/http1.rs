//! One HTTP/1.1 exchange per connection (`Connection: close`), over TCP or
//! TLS, directly or through the proxy, on hyper.
//!
//! kraki makes a REST call once per (re)connect of the authenticated
//! WebSocket (for the token) and a few per CLI run (asset pairs, candle
//! pages), so connection reuse buys nothing; what matters is that
//! whatever a server answers ends in a named error with memory bounded. hyper parses the
//! head, chunked bodies (sizes with checked arithmetic, extensions and
//! trailers capped) and `Content-Length`; the limits below bound the rest.

use crate::transport::Transport;
use crate::transport_error::{Oversized, TransportError};
use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, USER_AGENT};
use http::{HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Largest response body accepted (AssetPairs for every pair is ~1 MB).
pub(crate) const MAX_BODY: usize = 32 << 20;
/// Largest response head (status line and headers) accepted; also the cap
/// on a chunked body's trailers. Kraken's heads are well under 2 KiB.
pub(crate) const MAX_HEAD: usize = 16 << 10;
/// Most header fields accepted in a response head.
const MAX_HEADERS: usize = 64;
/// hyper's read buffer: it must hold the largest head, and at least the
/// 8 KiB hyper requires.
const READ_BUFFER: usize = 64 << 10;

/// A response: status and body.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

/// A header to send with a request. `secret` ones (a signature, a key)
/// are marked sensitive, so no `Debug` of the request shows them.
pub(crate) struct Header<'a> {
    pub(crate) name: &'static str,
    pub(crate) value: &'a str,
    pub(crate) secret: bool,
}

/// One request. `target` is the path and query; `headers` are added to
/// `Host`, `User-Agent` and `Connection: close`, and `Content-Length`
/// when there is a body. The whole exchange, connecting included, is
/// bounded by `timeout`. No error quotes a header value.
pub(crate) async fn request(
    transport: &Transport,
    base: &Uri,
    method: &str,
    target: &str,
    headers: &[Header<'_>],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<HttpResponse, TransportError> {
    // IPv6 hosts come in brackets, which neither resolve nor name a
    // certificate.
    let host = base
        .host()
        .ok_or_else(|| TransportError::Url(format!("no host in {base}")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let https = match base.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => {
            return Err(TransportError::Url(format!(
                "{base}: expected an http:// or https:// URL"
            )));
        }
    };
    let port = base.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = base
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_else(|| host.clone());
    let request = build(method, target, &authority, headers, body)?;
    let exchange = async {
        let tcp = transport.tcp(&host, port).await?;
        if https {
            let stream = transport.tls_with(&host, tcp).await?;
            exchange(stream, request).await
        } else {
            exchange(tcp, request).await
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| TransportError::Timeout {
            peer: authority.clone(),
            limit: timeout,
        })?
}

pub(crate) fn build(
    method: &str,
    target: &str,
    authority: &str,
    headers: &[Header<'_>],
    body: Vec<u8>,
) -> Result<Request<Full<Bytes>>, TransportError> {
    let mut request = Request::builder()
        .method(method)
        .uri(target)
        .header(HOST, authority)
        .header(
            USER_AGENT,
            concat!("kraki/", env!("CARGO_PKG_VERSION")).to_owned(),
        )
        .header(CONNECTION, "close");
    if !body.is_empty() {
        request = request.header(CONTENT_LENGTH, body.len());
    }
    let mut request =
        request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| TransportError::Request {
                detail: format!("cannot build the request for {target}: {e}"),
                source: Some(Box::new(e)),
            })?;
    for header in headers {
        // The value is not kept as a source: it may be a secret.
        let mut value =
            HeaderValue::from_str(header.value).map_err(|_| TransportError::Request {
                detail: format!("the {} header holds characters HTTP forbids", header.name),
                source: None,
            })?;
        value.set_sensitive(header.secret);
        request.headers_mut().append(header.name, value);
    }
    Ok(request)
}

/// Sends `request` over `stream` and reads the whole answer, driving the
/// connection beside the exchange (no task is spawned for it).
pub(crate) async fn exchange<S>(
    stream: S,
    request: Request<Full<Bytes>>,
) -> Result<HttpResponse, TransportError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(READ_BUFFER)
        .max_header_size(MAX_HEAD)
        .max_headers(MAX_HEADERS)
        .handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(describe)?;
    let answer = async {
        let response = sender.send_request(request).await.map_err(describe)?;
        let status = response.status().as_u16();
        // Refused before a byte of it is read.
        if let Some(length) = response.headers().get(CONTENT_LENGTH) {
            let length = length.to_str().ok().and_then(|v| v.parse::<u64>().ok());
            if length.is_some_and(|n| n > MAX_BODY as u64) {
                return Err(TransportError::TooLarge {
                    what: Oversized::AnnouncedBody,
                    limit: MAX_BODY,
                });
            }
        }
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    TransportError::TooLarge {
                        what: Oversized::Body,
                        limit: MAX_BODY,
                    }
                } else {
                    match e.downcast::<hyper::Error>() {
                        Ok(e) => describe(*e),
                        Err(e) => TransportError::Http {
                            detail: e.to_string(),
                            source: e,
                        },
                    }
                }
            })?
            .to_bytes();
        Ok(HttpResponse { status, body })
    };
    tokio::pin!(answer, connection);
    tokio::select! {
        result = &mut answer => result,
        // The connection ends by itself once the answer is read
        // (`Connection: close`); an error there is the answer's error.
        ended = &mut connection => match ended {
            Ok(()) => answer.await,
            Err(e) => Err(describe(e)),
        },
    }
}

/// hyper's error, described with its causes, e.g. "message head is too
/// large".
fn describe(error: hyper::Error) -> TransportError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    // hyper names the breach ("message head is too large"), not the
    // limit it broke.
    if error.is_parse() && text.contains("too large") {
        text.push_str(&format!(
            " (limits: {MAX_HEAD} bytes, {MAX_HEADERS} header fields)"
        ));
    }
    TransportError::Http {
        detail: text,
        source: Box::new(error),
    }
}

/// A `Content-Type` header for a form body.
pub(crate) const FORM: Header<'static> = Header {
    name: "Content-Type",
    value: "application/x-www-form-urlencoded; charset=utf-8",
    secret: false,
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn an_ipv6_host_is_reached_without_its_brackets() {
        let listener = tokio::net::TcpListener::bind("[::1]:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0];
                tcp.read_exact(&mut byte).await.unwrap();
                head.push(byte[0]);
            }
            tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await
                .unwrap();
            String::from_utf8(head).unwrap()
        });
        let base: Uri = format!("http://[::1]:{port}").parse().unwrap();
        let transport = Transport::new(&[], None).unwrap();
        let response = request(
            &transport,
            &base,
            "GET",
            "/x",
            &[],
            Vec::new(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!((response.status, &response.body[..]), (200, &b"ok"[..]));
        let head = server.await.unwrap().to_ascii_lowercase();
        assert!(
            head.contains(&format!("\r\nhost: [::1]:{port}\r\n")),
            "{head}"
        );
    }

    #[test]
    fn secret_headers_are_hidden_from_debug() {
        let request = build(
            "POST",
            "/0/private/GetWebSocketsToken",
            "api.kraken.com",
            &[Header {
                name: "API-Sign",
                value: "c2lnbmF0dXJl",
                secret: true,
            }],
            b"nonce=1".to_vec(),
        )
        .unwrap();
        let shown = format!("{request:?}");
        assert!(!shown.contains("c2lnbmF0dXJl"), "{shown}");
        assert!(shown.contains("Sensitive"), "{shown}");
    }

    #[test]
    fn a_header_value_with_a_line_break_is_refused_without_being_shown() {
        let err = build(
            "GET",
            "/",
            "h",
            &[Header {
                name: "API-Key",
                value: "key\r\nX-Injected: 1",
                secret: true,
            }],
            Vec::new(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "HTTP: the API-Key header holds characters HTTP forbids"
        );
    }
}
