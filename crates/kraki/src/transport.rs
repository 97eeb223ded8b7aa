//! Opening a WebSocket over TCP, with TLS (rustls, ring) for `wss://`,
//! directly or through an HTTP proxy.

use crate::Error;
use crate::proxy::Proxy;
use crate::shown_url;
use crate::transport_error::TransportError;
use crate::websocket::{Socket, Stream};
use http::Uri;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use tokio::io::BufReader;
use tokio::net::TcpStream;

/// Book snapshots at depth 1000 and the instrument snapshot are large;
/// 16 MiB leaves room without letting a broken peer exhaust memory.
const MAX_MESSAGE: usize = 16 << 20;

/// What rustls reads through: rustls asks for a few kilobytes at a time,
/// and a fast feed would cost a system call per few dozen book updates.
const TLS_READ_SIZE: usize = 64 << 10;

/// Opens sockets; holds the TLS configuration, built once per client.
#[derive(Clone)]
pub(crate) struct Transport {
    tls: tokio_rustls::TlsConnector,
    proxy: Option<Arc<Proxy>>,
}

impl Transport {
    /// A transport trusting the webpki roots plus `extra_roots` (DER),
    /// connecting through `proxy` where it applies.
    pub(crate) fn new(extra_roots: &[Vec<u8>], proxy: Option<Proxy>) -> Result<Self, Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for der in extra_roots {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| Error::Config(format!("bad root certificate: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(format!("TLS setup: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Transport {
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
            proxy: proxy.map(Arc::new),
        })
    }

    /// A TCP connection to `host:port`, through the proxy when one applies
    /// to `host`; Nagle off, as orders and pings are small writes that
    /// must leave at once.
    pub(crate) async fn tcp(&self, host: &str, port: u16) -> Result<TcpStream, TransportError> {
        if let Some(proxy) = self.proxy.as_ref().filter(|p| p.applies_to(host)) {
            return proxy.tunnel(host, port).await;
        }
        let tcp =
            TcpStream::connect((host, port))
                .await
                .map_err(|source| TransportError::Connect {
                    target: format!("{host}:{port}"),
                    source,
                })?;
        tcp.set_nodelay(true)
            .map_err(TransportError::io("setting TCP_NODELAY"))?;
        Ok(tcp)
    }

    /// A TLS session with `host` over `tcp`.
    pub(crate) async fn tls_with<S>(
        &self,
        host: &str,
        tcp: S,
    ) -> Result<tokio_rustls::client::TlsStream<S>, TransportError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| TransportError::HostName {
            host: host.to_owned(),
            source: Box::new(e),
        })?;
        self.tls
            .connect(name, tcp)
            .await
            .map_err(|source| TransportError::Tls {
                host: host.to_owned(),
                source,
            })
    }

    /// Whether connections to `host` go through the proxy.
    pub(crate) fn proxied(&self, host: &str) -> bool {
        self.proxy.as_ref().is_some_and(|p| p.applies_to(host))
    }

    /// Connects to `url` (`ws://` or `wss://`) and completes the upgrade.
    pub(crate) async fn connect(&self, url: &Uri) -> Result<Socket, TransportError> {
        // IPv6 hosts come in brackets, which do not resolve.
        let host = url
            .host()
            .ok_or_else(|| TransportError::Url("the URL has no host".to_owned()))?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let tls = url.scheme_str() == Some("wss");
        let port = url.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let tcp = self.tcp(host, port).await?;
        let stream = if tls {
            let tcp = BufReader::with_capacity(TLS_READ_SIZE, tcp);
            Stream::Tls(Box::new(self.tls_with(host, tcp).await?))
        } else {
            Stream::Plain(tcp)
        };
        Socket::upgrade(stream, url, MAX_MESSAGE).await
    }
}

/// Parses a `ws://` or `wss://` URL. Errors never quote user info.
pub(crate) fn parse_url(url: &str) -> Result<Uri, Error> {
    let shown = shown_url::shown(url);
    let uri: Uri = url
        .parse()
        .map_err(|e| Error::Config(format!("invalid URL {shown:?}: {e}")))?;
    shown_url::refuse_userinfo(&uri, "WebSocket URL").map_err(Error::Config)?;
    match uri.scheme_str() {
        Some("ws" | "wss") if uri.host().is_some() => Ok(uri),
        _ => Err(Error::Config(format!(
            "invalid URL {shown:?}: expected ws://host/… or wss://host/…"
        ))),
    }
}
