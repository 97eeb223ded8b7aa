//! Why an HTTP proxy did not open a tunnel. The proxy is named by host
//! and port only: its credentials are never part of a message.

/// The proxy could not be reached, or did not open the tunnel to
/// `CONNECT target`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// No TCP connection to the proxy.
    #[error("cannot connect to the proxy {proxy}: {source}")]
    Connect {
        /// The proxy, `host:port`.
        proxy: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Sending `CONNECT` or reading the answer failed.
    #[error("proxy {proxy}: {source}")]
    Io {
        /// The proxy, `host:port`.
        proxy: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The proxy hung up before its answer ended.
    #[error("the proxy {proxy} closed the connection before answering CONNECT {target}")]
    ClosedEarly {
        /// The proxy, `host:port`.
        proxy: String,
        /// Where the tunnel was to lead.
        target: String,
    },
    /// The answer's head is over the limit.
    #[error("the proxy {proxy} answered CONNECT with more than {limit} bytes of head")]
    HeadTooLarge {
        /// The proxy, `host:port`.
        proxy: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// Bytes came after the answer, before this side spoke: they would be
    /// taken for the server's.
    #[error("the proxy {proxy} sent data after accepting CONNECT {target}")]
    DataAfterAnswer {
        /// The proxy, `host:port`.
        proxy: String,
        /// Where the tunnel was to lead.
        target: String,
    },
    /// The proxy answered with a status other than 2xx.
    #[error("the proxy {proxy} refused CONNECT {target}: {status_line}")]
    Refused {
        /// The proxy, `host:port`.
        proxy: String,
        /// Where the tunnel was to lead.
        target: String,
        /// The status code, e.g. 407.
        status: u16,
        /// At most 100 characters of the status line.
        status_line: String,
    },
    /// The answer is not HTTP.
    #[error("the proxy {proxy} answered CONNECT {target} with something not HTTP: {status_line:?}")]
    NotHttp {
        /// The proxy, `host:port`.
        proxy: String,
        /// Where the tunnel was to lead.
        target: String,
        /// At most 100 characters of the first line.
        status_line: String,
    },
}
