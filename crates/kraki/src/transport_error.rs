//! Why a connection (WebSocket or REST) could not be opened, or broke:
//! the error of the layer under [`crate::Error::WebSocket`] and
//! [`crate::Error::Http`].
//!
//! Each message reads on its own in a log line, so it quotes the cause as
//! well; `source()` hands the cause out too (the `std::io::Error` of a
//! refused connect, the TLS or HTTP library's error) for callers that
//! inspect it rather than print it. No message quotes a URL's user info
//! or a proxy's credentials: URLs with user info are refused before any
//! connection, and proxies are named by host and port only.

use crate::proxy_error::ProxyError;
use std::fmt;
use std::time::Duration;

/// An error of a library underneath, kept as a source without naming
/// its type in kraki's API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong opening, reading or writing a connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The URL cannot be connected to (no host, a scheme not served).
    #[error("{0}")]
    Url(String),
    /// The TCP connection was not opened (refused, unreachable, the name
    /// did not resolve).
    #[error("cannot connect to {target}: {source}")]
    Connect {
        /// `host:port`.
        target: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing an open connection failed.
    #[error("{source}")]
    Io {
        /// What was being done, e.g. `"receiving"`.
        during: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The host is not a name a certificate can be checked against.
    #[error("bad host name {host}: {source}")]
    HostName {
        /// The host.
        host: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The TLS handshake failed (a certificate not trusted, say).
    #[error("TLS with {host}: {source}")]
    Tls {
        /// The host.
        host: String,
        /// Why; its own source is the TLS library's error, when it has
        /// one.
        #[source]
        source: std::io::Error,
    },
    /// No answer in time.
    #[error("no answer from {peer} within {limit:?}")]
    Timeout {
        /// The URL or `host:port` that did not answer.
        peer: String,
        /// How long was waited.
        limit: Duration,
    },
    /// The server answered the WebSocket upgrade with another status.
    #[error("the server answered {status_line:?} instead of switching to WebSocket")]
    Refused {
        /// The status code, when the status line has one.
        status: Option<u16>,
        /// At most 100 characters of the status line.
        status_line: String,
    },
    /// The server's answer to the upgrade breaks RFC 6455 (a missing
    /// header, a wrong accept key, an extension not offered).
    #[error("{0}")]
    Handshake(String),
    /// A frame breaks RFC 6455.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A text message that is not UTF-8.
    #[error("a text message is not valid UTF-8: {0}")]
    InvalidText(#[source] std::str::Utf8Error),
    /// Something the server sent is over a limit, refused before it is
    /// read whole.
    #[error("{}", TooLarge(*.what, *.limit))]
    TooLarge {
        /// What was too large.
        what: Oversized,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The server ended the connection: with a close frame (its code and
    /// reason, described), or without one.
    #[error("closed by the server{}", Closing(.close.as_deref()))]
    ClosedByServer {
        /// The close frame's description, if one came.
        close: Option<String>,
    },
    /// The HTTP proxy could not open the tunnel.
    #[error("{0}")]
    Proxy(#[source] ProxyError),
    /// An HTTP request could not be built (never quoting header values).
    #[error("HTTP: {detail}")]
    Request {
        /// What is wrong.
        detail: String,
        /// The HTTP library's error, when it gave one.
        #[source]
        source: Option<BoxError>,
    },
    /// The HTTP exchange failed: the connection, or an answer that is not
    /// HTTP. `detail` is the HTTP library's error and its causes.
    #[error("HTTP: {detail}")]
    Http {
        /// The error with its causes, in words.
        detail: String,
        /// The HTTP library's error.
        #[source]
        source: BoxError,
    },
    /// No random bytes for a WebSocket key or frame mask.
    #[error("no randomness for {0}")]
    NoRandomness(&'static str),
    /// An answer arrived whole but is not what Kraken sends (no JSON
    /// envelope, a field missing, a result of another method).
    #[error("{0}")]
    BadAnswer(String),
}

impl TransportError {
    /// The status the server or proxy refused with, if it refused.
    pub fn status(&self) -> Option<u16> {
        match self {
            TransportError::Refused { status, .. } => *status,
            TransportError::Proxy(ProxyError::Refused { status, .. }) => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn io(during: &'static str) -> impl FnOnce(std::io::Error) -> TransportError {
        move |source| TransportError::Io { during, source }
    }
}

impl From<ProxyError> for TransportError {
    fn from(error: ProxyError) -> Self {
        TransportError::Proxy(error)
    }
}

/// What was over its limit, for [`TransportError::TooLarge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Oversized {
    /// One frame, announcing this many payload bytes.
    Frame {
        /// The payload length announced.
        size: usize,
    },
    /// A message put together from fragments.
    Message,
    /// The server's answer to the upgrade request.
    HandshakeAnswer,
    /// An HTTP body, by its `Content-Length`.
    AnnouncedBody,
    /// An HTTP body, as read.
    Body,
}

/// The words for a [`TransportError::TooLarge`].
struct TooLarge(Oversized, usize);

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let TooLarge(what, limit) = *self;
        match what {
            Oversized::Frame { size } => {
                write!(f, "a frame of {size} bytes is over the {limit}-byte limit")
            }
            Oversized::Message => {
                write!(f, "a fragmented message is over the {limit}-byte limit")
            }
            Oversized::HandshakeAnswer => {
                write!(f, "the server's handshake answer is over {limit} bytes")
            }
            // Body limits are whole mebibytes.
            Oversized::AnnouncedBody => write!(
                f,
                "HTTP: the answer announces a body over the {} MiB limit",
                limit >> 20
            ),
            Oversized::Body => write!(f, "HTTP: the body is over the {} MiB limit", limit >> 20),
        }
    }
}

/// How a [`TransportError::ClosedByServer`] ended: the close frame, or
/// its absence.
struct Closing<'a>(Option<&'a str>);

impl fmt::Display for Closing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(why) => write!(f, ": {why}"),
            None => f.write_str(" without a close frame"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Error;
    use crate::transport::Transport;
    use std::error::Error as _;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// The transport error under a kraki error, found through `source()`.
    fn transport_of(error: &Error) -> &TransportError {
        error
            .source()
            .and_then(|s| s.downcast_ref::<TransportError>())
            .unwrap()
    }

    #[tokio::test]
    async fn a_refused_connect_chains_down_to_the_io_error() {
        // A port that was just free: nobody listens on it any more.
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap().port()
        };
        let url = format!("ws://127.0.0.1:{port}/v2").parse().unwrap();
        let transport = Transport::new(&[], None).unwrap();
        let error = Error::WebSocket(transport.connect(&url).await.err().unwrap());
        let io = transport_of(&error)
            .source()
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            error.to_string(),
            format!("WebSocket: cannot connect to 127.0.0.1:{port}: {io}")
        );
    }

    #[tokio::test]
    async fn a_refused_upgrade_keeps_its_status() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/v2", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut request = [0; 1024];
            let _ = tcp.read(&mut request).await;
            let _ = tcp
                .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                .await;
        });
        let transport = Transport::new(&[], None).unwrap();
        let error = Error::WebSocket(transport.connect(&url).await.err().unwrap());
        let refusal = transport_of(&error);
        assert!(
            matches!(
                refusal,
                TransportError::Refused {
                    status: Some(403),
                    ..
                }
            ),
            "{refusal:?}"
        );
        assert_eq!(refusal.status(), Some(403));
        assert_eq!(
            error.to_string(),
            "WebSocket: the server answered \"HTTP/1.1 403 Forbidden\" instead of switching to WebSocket"
        );
    }

    #[test]
    fn messages_read_as_before() {
        let shown = |e: TransportError| e.to_string();
        assert_eq!(
            shown(TransportError::ClosedByServer { close: None }),
            "closed by the server without a close frame"
        );
        assert_eq!(
            shown(TransportError::ClosedByServer {
                close: Some("code 1001".to_owned())
            }),
            "closed by the server: code 1001"
        );
        assert_eq!(
            shown(TransportError::TooLarge {
                what: Oversized::Body,
                limit: 32 << 20
            }),
            "HTTP: the body is over the 32 MiB limit"
        );
        assert_eq!(
            shown(TransportError::Protocol(
                "a fragmented control frame".to_owned()
            )),
            "protocol error: a fragmented control frame"
        );
        assert_eq!(
            shown(TransportError::Timeout {
                peer: "ws://127.0.0.1:1/v2".to_owned(),
                limit: Duration::from_secs(10)
            }),
            "no answer from ws://127.0.0.1:1/v2 within 10s"
        );
        let proxy = TransportError::from(ProxyError::Refused {
            proxy: "proxy:3128".to_owned(),
            target: "ws.kraken.com:443".to_owned(),
            status: 407,
            status_line: "HTTP/1.1 407 Proxy Authentication Required".to_owned(),
        });
        assert_eq!(proxy.status(), Some(407));
        assert_eq!(
            Error::WebSocket(proxy).to_string(),
            "WebSocket: the proxy proxy:3128 refused CONNECT ws.kraken.com:443: HTTP/1.1 407 Proxy Authentication Required"
        );
        assert_eq!(
            Error::bad_answer("AssetPairs: HTTP 200 without a result or an error").to_string(),
            "REST: AssetPairs: HTTP 200 without a result or an error"
        );
    }
}
