//! Opening a WebSocket over TCP, with TLS (rustls, ring) for `wss://`.

use crate::Error;
use http::Uri;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio_websockets::{ClientBuilder, Connector, Limits, MaybeTlsStream, WebSocketStream};

/// A connected WebSocket.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<BufReader<TcpStream>>>;

/// Bytes asked of the kernel per read. The WebSocket reader asks for what
/// is left of its own 8 KiB buffer, about 40 depth-10 book updates; a fast
/// feed then costs a system call (and often an ACK sent back) per 40
/// updates. A 64 KiB read takes a few hundred at once, for one extra copy
/// in user space.
const READ_SIZE: usize = 64 << 10;

/// Opens sockets; holds the TLS configuration, built once per client.
#[derive(Clone)]
pub(crate) struct Transport {
    tls: Arc<Connector>,
    /// The same TLS configuration, for REST over HTTPS.
    rest_tls: tokio_rustls::TlsConnector,
}

impl Transport {
    /// A transport trusting the webpki roots plus `extra_roots` (DER).
    pub(crate) fn new(extra_roots: &[Vec<u8>]) -> Result<Self, Error> {
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
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        Ok(Transport {
            tls: Arc::new(Connector::Rustls(connector.clone())),
            rest_tls: connector,
        })
    }

    /// The TLS connector for HTTPS.
    pub(crate) fn tls(&self) -> &tokio_rustls::TlsConnector {
        &self.rest_tls
    }

    /// Connects to `url` (`ws://` or `wss://`) and completes the upgrade.
    /// The error is a description fit for a log line or a connect error.
    /// The steps of `ClientBuilder::connect`, done here to set the socket's
    /// options.
    pub(crate) async fn connect(&self, url: &Uri) -> Result<Socket, String> {
        // IPv6 hosts come in brackets, which do not resolve.
        let host = url
            .host()
            .ok_or("the URL has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let tls = url.scheme_str() == Some("wss");
        let port = url.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        // Orders and pings are small writes that must leave at once, not
        // wait for the acknowledgement of the previous one (Nagle).
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let connector = if tls {
            self.tls.as_ref()
        } else {
            &Connector::Plain
        };
        let tcp = BufReader::with_capacity(READ_SIZE, tcp);
        let stream = connector.wrap(host, tcp).await.map_err(|e| e.to_string())?;
        // Book snapshots at depth 1000 and the instrument snapshot are large;
        // 16 MiB leaves room without letting a broken peer exhaust memory.
        let limits = Limits::default().max_payload_len(Some(16 << 20));
        let (socket, _response) = ClientBuilder::from_uri(url.clone())
            .limits(limits)
            .connect_on(stream)
            .await
            .map_err(|e| e.to_string())?;
        Ok(socket)
    }
}

/// Parses a `ws://` or `wss://` URL.
pub(crate) fn parse_url(url: &str) -> Result<Uri, Error> {
    let uri: Uri = url
        .parse()
        .map_err(|e| Error::Config(format!("invalid URL {url:?}: {e}")))?;
    match uri.scheme_str() {
        Some("ws" | "wss") if uri.host().is_some() => Ok(uri),
        _ => Err(Error::Config(format!(
            "invalid URL {url:?}: expected ws://host/… or wss://host/…"
        ))),
    }
}
