//! Just enough HTTP/1.1 for Kraken's REST calls: one request per
//! connection (`Connection: close`), over TCP or TLS, with bodies sized by
//! `Content-Length`, chunked, or ended by the close.
//!
//! kraki makes a REST call once per (re)connect of the authenticated
//! WebSocket (for the token) and once per CLI run (asset pairs), so
//! connection reuse buys nothing; a full HTTP client crate would bring
//! more code than this file.

use crate::transport::Transport;
use http::Uri;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Largest response body accepted (AssetPairs for every pair is ~1 MB).
const MAX_BODY: usize = 32 << 20;
/// Largest response head accepted.
const MAX_HEAD: usize = 64 << 10;

/// A response: status and body.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// One request. `target` is the path and query; `headers` are added to
/// `Host`, `User-Agent`, `Content-Length` and `Connection: close`. The
/// error is a description fit for an error message (it never contains
/// header values, which may carry a signature).
pub(crate) async fn request(
    transport: &Transport,
    base: &Uri,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<HttpResponse, String> {
    // IPv6 hosts come in brackets, which neither resolve nor name a
    // certificate.
    let host = base
        .host()
        .ok_or_else(|| format!("no host in {base}"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let https = match base.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(format!("{base}: expected an http:// or https:// URL")),
    };
    let port = base.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = base
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_else(|| host.clone());
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: kraki/{}\r\nContent-Length: {}\r\nConnection: close\r\n",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    for (name, value) in headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let exchange = async {
        let tcp = transport.tcp(&host, port).await?;
        if https {
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| format!("bad host name {host}: {e}"))?;
            let stream = transport
                .tls()
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS with {host}: {e}"))?;
            exchange(stream, head.as_bytes(), body).await
        } else {
            exchange(tcp, head.as_bytes(), body).await
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("no answer from {authority} within {timeout:?}"))?
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: &[u8],
    body: &[u8],
) -> Result<HttpResponse, String> {
    let io = |e: std::io::Error| format!("HTTP: {e}");
    stream.write_all(head).await.map_err(io)?;
    stream.write_all(body).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.map_err(io)?;
    let status = parse_status(&status_line)?;
    let mut length = None;
    let mut chunked = false;
    let mut head_size = status_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).await.map_err(io)?;
        head_size += n;
        if n == 0 || head_size > MAX_HEAD {
            return Err("HTTP: the response head is cut short or too large".to_owned());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("HTTP: bad Content-Length {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let body = if chunked {
        read_chunked(&mut reader).await?
    } else if let Some(length) = length {
        if length > MAX_BODY {
            return Err(format!("HTTP: a {length}-byte body is too large"));
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await.map_err(io)?;
        body
    } else {
        let mut body = Vec::new();
        (&mut reader)
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body)
            .await
            .map_err(io)?;
        if body.len() > MAX_BODY {
            return Err("HTTP: the body is too large".to_owned());
        }
        body
    };
    Ok(HttpResponse { status, body })
}

fn parse_status(line: &str) -> Result<u16, String> {
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next().and_then(|s| s.parse().ok())) {
        (Some(version), Some(status)) if version.starts_with("HTTP/1.") => Ok(status),
        _ => Err(format!(
            "HTTP: not an HTTP/1.x response: {:?}",
            line.trim_end()
        )),
    }
}

async fn read_chunked<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Result<Vec<u8>, String> {
    let io = |e: std::io::Error| format!("HTTP: {e}");
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line).await.map_err(io)?;
        let size_text = size_line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("HTTP: bad chunk size {size_text:?}"))?;
        if size == 0 {
            // Trailers, if any, end with an empty line; the close ends them too.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).await.map_err(io)? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err("HTTP: the body is too large".to_owned());
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).await.map_err(io)?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).await.map_err(io)?;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn chunked_bodies_are_joined() {
        let wire = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
        let mut reader = BufReader::new(&wire[..]);
        assert_eq!(read_chunked(&mut reader).await.unwrap(), b"hello, world");
    }

    #[tokio::test]
    async fn a_bad_chunk_size_is_named() {
        let mut reader = BufReader::new(&b"zz\r\n"[..]);
        let err = read_chunked(&mut reader).await.unwrap_err();
        assert!(err.contains("bad chunk size \"zz\""), "{err}");
    }

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
            b"",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!((response.status, &response.body[..]), (200, &b"ok"[..]));
        let head = server.await.unwrap();
        assert!(
            head.contains(&format!("\r\nHost: [::1]:{port}\r\n")),
            "{head}"
        );
    }

    #[test]
    fn status_lines() {
        assert_eq!(parse_status("HTTP/1.1 200 OK\r\n").unwrap(), 200);
        assert_eq!(parse_status("HTTP/1.0 404 Not Found").unwrap(), 404);
        assert!(parse_status("SSH-2.0-OpenSSH").is_err());
    }
}
