//! Just enough HTTP/1.1 for one port that serves both WebSocket upgrades
//! and a handful of REST endpoints.
//!
//! Why not hyper: the simulator needs request heads, `Content-Length` and
//! chunked bodies, keep-alive and the RFC 6455 handshake, about 200 lines;
//! hyper would add a dozen crates to every build of the workspace for that.
//! Why not `tokio_websockets::ServerBuilder::accept`: it reads the head
//! itself, so the path is only known after the upgrade is done, and a plain
//! HTTP request would have to be told apart by peeking at the socket. Here
//! the head is read once, through a `BufReader` that keeps any byte read
//! past it, and then either answered (REST) or upgraded (WebSocket) with
//! `ServerBuilder::serve`, which takes over the same buffered stream.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::digest;
use std::io;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest request head accepted (Kraken's edge answers 431 beyond ~16 KiB).
const MAX_HEAD: u64 = 16 * 1024;
/// Longest request body accepted; the token request body is a few bytes.
const MAX_BODY: u64 = 64 * 1024;
/// RFC 6455 §1.3: the GUID appended to the client's key.
const WS_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A request line and its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) method: String,
    /// The path, without the query.
    pub(crate) path: String,
    /// The query string without `?`, empty when absent.
    pub(crate) query: String,
    /// HTTP/1.0 closes after each response unless asked otherwise.
    http10: bool,
    /// Names lower-cased, values trimmed, in arrival order.
    headers: Vec<(String, String)>,
}

impl Head {
    /// The first header of that (lower-case) name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated header lists `token` (case-insensitive),
    /// as `Connection: keep-alive, Upgrade` does.
    fn lists(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// A WebSocket upgrade request (RFC 6455 §4.2.1), valid or not.
    pub(crate) fn wants_websocket(&self) -> bool {
        self.lists("upgrade", "websocket")
    }

    /// Whether the connection stays open after the response.
    pub(crate) fn keep_alive(&self) -> bool {
        if self.http10 {
            self.lists("connection", "keep-alive")
        } else {
            !self.lists("connection", "close")
        }
    }
}

/// Reads one request head. `Ok(None)` when the peer closed the connection
/// cleanly before sending anything (the end of a keep-alive connection).
///
/// # Errors
/// On I/O errors, a head over the size limit or one that is not HTTP/1.x.
pub(crate) async fn read_head<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<Option<Head>> {
    let mut lines: Vec<String> = Vec::new();
    let mut budget = MAX_HEAD;
    loop {
        let mut line = Vec::new();
        let n = (&mut *reader)
            .take(budget)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            if lines.is_empty() {
                return Ok(None);
            }
            return Err(invalid("connection closed inside the request head"));
        }
        if line.last() != Some(&b'\n') {
            return Err(invalid("request head too large"));
        }
        budget -= n as u64;
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        if text.is_empty() {
            // RFC 9112 §2.2: empty lines before the request line are ignored.
            if lines.is_empty() {
                continue;
            }
            break;
        }
        lines.push(text);
    }
    let mut request_line = lines[0].split_whitespace();
    let (Some(method), Some(target), Some(version)) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(invalid("malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("not HTTP/1.x"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Some(Head {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        http10: version == "HTTP/1.0",
        headers,
    }))
}

/// Reads the body that follows `head`: `Content-Length` or chunked.
///
/// # Errors
/// On I/O errors, a body over the size limit or a malformed chunk.
pub(crate) async fn read_body<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    head: &Head,
) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if head
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        loop {
            let mut size_line = Vec::new();
            (&mut *reader)
                .take(1024)
                .read_until(b'\n', &mut size_line)
                .await?;
            let text = String::from_utf8_lossy(&size_line);
            let hex = text.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(hex, 16).map_err(|_| invalid("malformed chunk size"))?;
            if body.len() as u64 + size > MAX_BODY {
                return Err(invalid("request body too large"));
            }
            if size == 0 {
                // Trailers, if any, end with an empty line.
                loop {
                    let mut trailer = Vec::new();
                    let n = (&mut *reader)
                        .take(MAX_HEAD)
                        .read_until(b'\n', &mut trailer)
                        .await?;
                    if n == 0 || trailer.trim_ascii().is_empty() {
                        return Ok(body);
                    }
                }
            }
            let start = body.len();
            body.resize(start + size as usize, 0);
            reader.read_exact(&mut body[start..]).await?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf).await?;
        }
    }
    let length: u64 = match head.header("content-length") {
        Some(l) => l.parse().map_err(|_| invalid("malformed Content-Length"))?,
        None => 0,
    };
    if length > MAX_BODY {
        return Err(invalid("request body too large"));
    }
    body.resize(length as usize, 0);
    reader.read_exact(&mut body).await?;
    Ok(body)
}

/// Writes a complete response with a body.
///
/// # Errors
/// When the socket fails.
pub(crate) async fn write_response<W: AsyncWrite + Unpin>(
    writer: &mut W,
    status: u16,
    content_type: &str,
    body: &[u8],
    keep_alive: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        _ => "Error",
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    // One write, so that the response leaves in one segment (no delay).
    response.extend_from_slice(body);
    writer.write_all(&response).await?;
    writer.flush().await
}

/// The `101 Switching Protocols` answer to a valid upgrade request, or why
/// the request is not one (RFC 6455 §4.2.1).
pub(crate) fn websocket_handshake(head: &Head) -> Result<String, &'static str> {
    if head.method != "GET" {
        return Err("WebSocket upgrades must be GET requests");
    }
    if !head.lists("connection", "upgrade") {
        return Err("missing Connection: Upgrade");
    }
    if head.header("sec-websocket-version") != Some("13") {
        return Err("unsupported Sec-WebSocket-Version (13 expected)");
    }
    let key = head
        .header("sec-websocket-key")
        .ok_or("missing Sec-WebSocket-Key")?;
    Ok(format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        websocket_accept(key)
    ))
}

fn websocket_accept(key: &str) -> String {
    let mut context = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    context.update(key.as_bytes());
    context.update(WS_GUID);
    BASE64.encode(context.finish().as_ref())
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn head_of(raw: &str) -> Head {
        let mut reader = tokio::io::BufReader::new(raw.as_bytes());
        read_head(&mut reader).await.unwrap().unwrap()
    }

    #[test]
    fn accept_key_of_rfc_6455() {
        // RFC 6455 §1.3's example.
        assert_eq!(
            websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[tokio::test]
    async fn heads_and_bodies() {
        let raw = "\r\nPOST /0/private/GetWebSocketsToken?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nConnection: keep-alive, Upgrade\r\n\r\nnonce=1rest";
        let mut reader = tokio::io::BufReader::new(raw.as_bytes());
        let head = read_head(&mut reader).await.unwrap().unwrap();
        assert_eq!(head.method, "POST");
        assert_eq!(head.path, "/0/private/GetWebSocketsToken");
        assert_eq!(head.query, "x=1");
        assert!(head.keep_alive());
        assert!(head.lists("connection", "upgrade"));
        assert_eq!(read_body(&mut reader, &head).await.unwrap(), b"nonce=1");

        let raw = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nnonce\r\n2;x=y\r\n=7\r\n0\r\n\r\n";
        let mut reader = tokio::io::BufReader::new(raw.as_bytes());
        let head = read_head(&mut reader).await.unwrap().unwrap();
        assert_eq!(read_body(&mut reader, &head).await.unwrap(), b"nonce=7");

        assert!(!head_of("GET / HTTP/1.0\r\n\r\n").await.keep_alive());
        assert!(
            !head_of("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
                .await
                .keep_alive()
        );
        let mut empty = tokio::io::BufReader::new(&b""[..]);
        assert!(read_head(&mut empty).await.unwrap().is_none());
        let long = vec![b'a'; 20_000];
        let mut huge = tokio::io::BufReader::new(long.as_slice());
        assert!(read_head(&mut huge).await.is_err());
    }

    #[tokio::test]
    async fn handshake_checks() {
        let good = "GET /v2 HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        let head = head_of(good).await;
        assert!(head.wants_websocket());
        assert!(
            websocket_handshake(&head)
                .unwrap()
                .contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")
        );
        let old = good.replace("Version: 13", "Version: 8");
        assert!(websocket_handshake(&head_of(&old).await).is_err());
    }
}
