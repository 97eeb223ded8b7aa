//! The publisher's own connection to a NATS server: a TCP socket (TLS
//! over it after the server's cleartext `INFO` when the URL, the options
//! or the server ask), the handshake (`INFO`, then `CONNECT`, signed
//! with the user's NKEY when the server sends a nonce, and a `PING`
//! answered by `PONG`),
//! one read buffer parsed in place, and whole output buffers written
//! with one call. The publisher owns it in its own task, so a publish
//! is bytes appended to a buffer, not a command handed to another task.
//! The protocol itself is in `wire.rs`; this file only moves bytes.

use super::error::NatsError;
use super::options::Secured;
use super::socket::Socket;
use super::url_login::UrlLogin;
use super::wire::{self, Connect, Frame, WireError};
use std::time::Duration;
use tokio::net::TcpStream;

/// How long connecting and the handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a write may wait for the server to take any of it.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What one read asks for: many acks per system call.
const READ_SIZE: usize = 64 << 10;

/// The NATS servers to try, in order, the credentials of the URL, and
/// the TLS setup and NKEY of the options. Its `Debug` shows neither
/// user nor password nor token nor key.
#[derive(Clone)]
pub(crate) struct Endpoint {
    servers: Vec<(String, u16)>,
    login: UrlLogin,
    /// A `tls://` URL: TLS with every server of the list, as a server
    /// of a list that wants TLS must not get the connection in
    /// cleartext because another was written `nats://`.
    tls: bool,
    secured: Secured,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("servers", &self.servers)
            .field("tls", &self.tls)
            .field("secured", &self.secured)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// Reads `nats://[user:password@|token@]host[:port]` (`tls://` for
    /// TLS), or several such separated by commas (tried in turn); the
    /// scheme and port may be left out (4222). `secured` is the TLS
    /// setup and the NKEY of the options.
    pub(crate) fn parse(url: &str, secured: Secured) -> Result<Endpoint, NatsError> {
        let refuse = |reason: &str| NatsError::connect(url, reason);
        let mut endpoint = Endpoint {
            servers: Vec::new(),
            login: UrlLogin::default(),
            tls: false,
            secured,
        };
        for one in url.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let rest = match one.split_once("://") {
                Some(("nats", rest)) => rest,
                Some(("tls", rest)) => {
                    endpoint.tls = true;
                    rest
                }
                Some(_) => return Err(refuse("the scheme must be nats:// or tls://")),
                None => one,
            };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host_port = match authority.rsplit_once('@') {
                Some((info, host_port)) => {
                    match info.split_once(':') {
                        Some((user, pass)) => {
                            endpoint.login.user = Some(percent_decoded(user));
                            endpoint.login.pass = Some(percent_decoded(pass));
                        }
                        None => endpoint.login.token = Some(percent_decoded(info)),
                    }
                    host_port
                }
                None => authority,
            };
            endpoint
                .servers
                .push(host_and_port(host_port).ok_or_else(|| refuse("bad host or port"))?);
        }
        if endpoint.servers.is_empty() {
            return Err(refuse("no server given"));
        }
        let credentials = !endpoint.login.is_empty();
        let encrypted = endpoint.tls || endpoint.secured.tls.required();
        let local = endpoint
            .servers
            .iter()
            .all(|(host, _)| crate::loopback::is_loopback(host));
        if credentials && !encrypted && !local && !endpoint.secured.cleartext_credentials {
            return Err(refuse(
                "refusing to send the URL's password or token unencrypted to a host that is not \
                 this machine: anyone on the path could read it; use tls:// (or, knowing that, \
                 NatsOptions::danger_send_credentials_unencrypted, \
                 --nats-danger-send-credentials-unencrypted)",
            ));
        }
        Ok(endpoint)
    }

    /// async-nats's options for these servers: the TLS setup and NKEY
    /// of the options, and the URL's credentials, which async-nats does
    /// not take from a URL itself.
    pub(crate) fn connect_options(&self) -> async_nats::ConnectOptions {
        self.secured.connect_options(&self.login)
    }

    /// The servers as async-nats is given them: `tls://` for all when
    /// the URL asked for TLS with one, and no user info, which async-nats
    /// would not send but would show in its logs.
    pub(crate) fn server_urls(&self) -> Vec<String> {
        let scheme = if self.tls { "tls" } else { "nats" };
        self.servers
            .iter()
            .map(|(host, port)| {
                if host.contains(':') {
                    format!("{scheme}://[{host}]:{port}")
                } else {
                    format!("{scheme}://{host}:{port}")
                }
            })
            .collect()
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn host_and_port(text: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after {
            "" => (host, None),
            port => (host, Some(port.strip_prefix(':')?)),
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => 4222,
    };
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

/// `%XX` escapes of a URL's user info decoded; anything else kept.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Why a connection could not be made or was lost. Never holds a
/// credential: the server's `-ERR` text is its own.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LinkError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the server broke the NATS protocol: {0}")]
    Wire(#[from] WireError),
    #[error("the server refused: {0}")]
    Refused(String),
    #[error(
        "TLS was asked for (a tls:// URL, a CA or a client certificate) but the server does not offer it"
    )]
    TlsNotOffered,
    /// The TLS handshake failed; the reason in words.
    #[error("{0}")]
    Tls(String),
    /// The server's nonce could not be signed.
    #[error("{0}")]
    Sign(String),
    #[error("the server's first frame is not INFO")]
    NoInfo,
    #[error("no answer from the server within {0:?}")]
    Timeout(Duration),
    #[error("the server closed the connection")]
    Closed,
}

/// The part of the server's `INFO` the handshake needs.
#[derive(serde::Deserialize)]
struct Info {
    #[serde(default)]
    tls_required: bool,
    /// TLS offered but not required (`allow_non_tls`).
    #[serde(default)]
    tls_available: bool,
    /// What the client signs with its NKEY, when the server asks for
    /// NKEY or JWT authentication.
    #[serde(default)]
    nonce: Option<String>,
    /// The largest message the server takes; a larger one is refused by
    /// closing the connection.
    #[serde(default)]
    max_payload: Option<u64>,
}

/// The server's default, for a server that does not say.
const DEFAULT_MAX_PAYLOAD: usize = 1 << 20;

/// A connection past its handshake.
pub(crate) struct Connection {
    socket: Socket,
    /// Bytes read; `read[start..end]` not yet parsed.
    read: Vec<u8>,
    start: usize,
    end: usize,
    max_payload: usize,
}

impl Connection {
    /// Connects to the first server of `endpoint` that answers and
    /// completes the handshake as `name`.
    pub(crate) async fn open(endpoint: &Endpoint, name: &str) -> Result<Connection, LinkError> {
        tokio::time::timeout(HANDSHAKE_TIMEOUT, Connection::handshake(endpoint, name))
            .await
            .map_err(|_| LinkError::Timeout(HANDSHAKE_TIMEOUT))?
    }

    async fn handshake(endpoint: &Endpoint, name: &str) -> Result<Connection, LinkError> {
        let mut last = LinkError::Closed;
        let mut stream = None;
        for (host, port) in &endpoint.servers {
            match TcpStream::connect((host.as_str(), *port)).await {
                Ok(s) => {
                    stream = Some((s, host));
                    break;
                }
                Err(e) => last = LinkError::Io(e),
            }
        }
        let (stream, host) = stream.ok_or(last)?;
        // Acks and publishes are small and must leave at once; the
        // publisher batches them itself.
        stream.set_nodelay(true)?;
        let mut conn = Connection {
            socket: Socket::Plain(stream),
            read: vec![0; READ_SIZE],
            start: 0,
            end: 0,
            max_payload: DEFAULT_MAX_PAYLOAD,
        };
        let mut info = None;
        while info.is_none() {
            conn.read().await?;
            conn.frames(|frame| {
                info = Some(match frame {
                    Frame::Info(json) => {
                        serde_json::from_slice::<Info>(json).map_err(|_| LinkError::NoInfo)
                    }
                    _ => Err(LinkError::NoInfo),
                });
                false
            })?;
        }
        let info = info.unwrap_or(Err(LinkError::NoInfo))?;
        let tls = endpoint.tls || endpoint.secured.tls.required() || info.tls_required;
        if tls {
            if !info.tls_required && !info.tls_available {
                return Err(LinkError::TlsNotOffered);
            }
            conn = conn.upgrade(endpoint, host).await?;
        }
        if let Some(max) = info.max_payload {
            conn.max_payload = usize::try_from(max).unwrap_or(usize::MAX);
        }
        // A TLS refusal that comes after the handshake (TLS 1.3 says the
        // server's verdict on the client's certificate as an alert) is
        // told in words as the handshake's own are.
        conn.login(endpoint, name, &info, tls)
            .await
            .map_err(|e| match e {
                LinkError::Io(io) => match super::tls::tls_reason(host, &io) {
                    Some(why) => LinkError::Tls(format!("TLS with {host}: {why}")),
                    None => LinkError::Io(io),
                },
                other => other,
            })?;
        Ok(conn)
    }

    /// `CONNECT`, with the signed nonce when the server sent one, then
    /// `PING`; done at the server's `PONG`.
    async fn login(
        &mut self,
        endpoint: &Endpoint,
        name: &str,
        info: &Info,
        tls: bool,
    ) -> Result<(), LinkError> {
        let conn = self;
        let signer = endpoint.secured.signer.as_deref();
        let sig = match (signer, &info.nonce) {
            (Some(signer), Some(nonce)) => {
                Some(signer.sign(nonce.as_bytes()).map_err(LinkError::Sign)?)
            }
            _ => None,
        };
        let jwt = signer.and_then(|s| s.jwt());
        // The public key goes alone; with a JWT, the JWT names it.
        let nkey = signer.filter(|_| jwt.is_none()).map(|s| s.public_key());
        let connect = Connect {
            name,
            tls,
            user: endpoint.login.user.as_deref(),
            pass: endpoint.login.pass.as_deref(),
            token: endpoint.login.token.as_deref(),
            jwt,
            nkey: nkey.as_deref(),
            sig: sig.as_deref(),
        };
        // The CONNECT holds the URL's password or token: wiped, spare
        // room included, when the handshake ends. Room for all of it
        // from the start, so no growth leaves a copy in a freed buffer.
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(connect.room()));
        wire::connect(&mut out, &connect);
        // The PONG says the CONNECT was accepted: a refusal comes first
        // as -ERR.
        wire::ping(&mut out);
        conn.write(&mut out).await?;
        let mut answer: Option<Result<(), LinkError>> = None;
        while answer.is_none() {
            conn.read().await?;
            conn.frames(|frame| {
                match frame {
                    Frame::Pong => answer = Some(Ok(())),
                    Frame::Err(text) => {
                        answer = Some(Err(LinkError::Refused(wire::printable(text))))
                    }
                    Frame::Ping => wire::pong(&mut out),
                    Frame::Info(_) | Frame::Ok | Frame::Msg(_) => {}
                }
                answer.is_none()
            })?;
            if !out.is_empty() {
                conn.write(&mut out).await?;
            }
        }
        answer.unwrap_or(Err(LinkError::Closed))
    }

    /// TLS over the cleartext socket, once the server's `INFO` is read
    /// (the NATS protocol's order: the server says `tls_required`, then
    /// the client starts the handshake).
    async fn upgrade(self, endpoint: &Endpoint, host: &str) -> Result<Connection, LinkError> {
        let Socket::Plain(tcp) = self.socket else {
            return Ok(self);
        };
        let tls = endpoint
            .secured
            .tls
            .connect(host, tcp)
            .await
            .map_err(LinkError::Tls)?;
        Ok(Connection {
            socket: Socket::Tls(Box::new(tls)),
            // Nothing may follow INFO before the handshake; what did was
            // not protected by TLS and is dropped.
            start: 0,
            end: 0,
            ..self
        })
    }

    /// The largest message (headers and payload) the server takes.
    pub(crate) fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// Waits for bytes and reads what the socket has. Cancel-safe: a
    /// read not completed has taken nothing.
    pub(crate) async fn read(&mut self) -> Result<(), LinkError> {
        self.make_room()?;
        match self.socket.read(&mut self.read[self.end..]).await? {
            0 => Err(LinkError::Closed),
            n => {
                self.end += n;
                Ok(())
            }
        }
    }

    /// Reads what the socket has without waiting; `false` when nothing
    /// was there. No system call when the runtime knows the socket is
    /// not readable.
    pub(crate) fn try_read(&mut self) -> Result<bool, LinkError> {
        self.make_room()?;
        match self.socket.try_read(&mut self.read[self.end..])? {
            Some(0) => Err(LinkError::Closed),
            Some(n) => {
                self.end += n;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Hands each whole frame read so far to `f`, in order, until `f`
    /// returns `false`; the rest stays for later.
    pub(crate) fn frames(&mut self, mut f: impl FnMut(Frame<'_>) -> bool) -> Result<(), LinkError> {
        while let Some((frame, used)) = wire::parse(&self.read[self.start..self.end])? {
            self.start += used;
            if !f(frame) {
                break;
            }
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        Ok(())
    }

    /// Writes all of `out` and empties it. A server that takes nothing
    /// for `WRITE_TIMEOUT` (stopped, or gone without closing the socket)
    /// counts as lost, so the publisher reconnects rather than waits on
    /// it; the usual write is one system call with no timer.
    pub(crate) async fn write(&mut self, out: &mut Vec<u8>) -> Result<(), LinkError> {
        use std::io::ErrorKind;
        match self.socket.write_all(out, WRITE_TIMEOUT).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::TimedOut => {
                return Err(LinkError::Timeout(WRITE_TIMEOUT));
            }
            Err(e) if e.kind() == ErrorKind::WriteZero => return Err(LinkError::Closed),
            Err(e) => return Err(e.into()),
        }
        out.clear();
        Ok(())
    }

    /// Space to read into: the unparsed rest moved to the front, the
    /// buffer grown only for a frame larger than it (bounded by the
    /// protocol's limits, which the parser enforces).
    fn make_room(&mut self) -> Result<(), LinkError> {
        if self.end < self.read.len() {
            return Ok(());
        }
        if self.start > 0 {
            self.read.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            return Ok(());
        }
        let most = wire::MAX_LINE + wire::MAX_PAYLOAD + 4;
        if self.read.len() >= most {
            // The parser refuses a frame this large before it is whole.
            return Err(LinkError::Wire(WireError::TooLarge(self.read.len() as u64)));
        }
        let grown = (self.read.len() * 2).min(most);
        self.read.resize(grown, 0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::nats::NatsOptions;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// No TLS setup beyond the URL's, no NKEY.
    fn plain() -> Secured {
        NatsOptions::new().load().unwrap()
    }

    /// [`plain`], letting credentials travel without TLS.
    fn cleartext_allowed() -> Secured {
        NatsOptions::new()
            .danger_send_credentials_unencrypted()
            .load()
            .unwrap()
    }

    /// A one-connection fake server: sends `greeting`, reads what the
    /// client sends until `until` appears (or the client goes), then sends
    /// `answer`; returns what the client sent.
    async fn fake_server(
        greeting: &'static [u8],
        until: &'static [u8],
        answer: &'static [u8],
    ) -> (Endpoint, tokio::task::JoinHandle<Vec<u8>>) {
        fake_server_as("nats", greeting, until, answer).await
    }

    /// [`fake_server`] reached by a `scheme://` URL.
    async fn fake_server_as(
        scheme: &str,
        greeting: &'static [u8],
        until: &'static [u8],
        answer: &'static [u8],
    ) -> (Endpoint, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            socket.write_all(greeting).await.unwrap();
            let mut got = Vec::new();
            let mut chunk = [0u8; 4096];
            while !got.windows(until.len()).any(|w| w == until) {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = socket.write_all(answer).await;
            // Whatever the client sends until it goes.
            while let Ok(n @ 1..) = socket.read(&mut chunk).await {
                got.extend_from_slice(&chunk[..n]);
            }
            got
        });
        let url = format!("{scheme}://desk:hunter2@127.0.0.1:{port}");
        (Endpoint::parse(&url, plain()).unwrap(), served)
    }

    #[tokio::test]
    async fn the_handshake_sends_the_credentials_and_waits_for_the_pong() {
        let (endpoint, served) = fake_server(
            b"INFO {\"server_id\":\"x\",\"max_payload\":4096}\r\n",
            b"PING\r\n",
            b"PING\r\nPONG\r\n",
        )
        .await;
        let conn = Connection::open(&endpoint, "kraki relay").await.unwrap();
        assert_eq!(conn.max_payload(), 4096);
        drop(conn);
        let sent = String::from_utf8(served.await.unwrap()).unwrap();
        assert!(sent.starts_with("CONNECT {\"verbose\":false,"), "{sent}");
        assert!(
            sent.contains(r#""headers":true,"no_responders":true,"user":"desk","pass":"hunter2"}"#),
            "{sent}"
        );
        // The server's PING during the handshake is answered.
        assert!(sent.ends_with("\r\nPING\r\nPONG\r\n"), "{sent}");
    }

    #[tokio::test]
    async fn the_servers_nonce_is_signed_with_the_nkey_or_creds_and_the_seed_never_sent() {
        use base64::Engine;
        let user = nkeys::KeyPair::new_user();
        let seed = user.seed().unwrap();
        let dir = std::env::temp_dir().join(format!("kraki-conn-nkey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let seed_file = dir.join("user.nk");
        std::fs::write(&seed_file, format!("{seed}\n")).unwrap();
        let secured = NatsOptions::new().nkey_file(&seed_file).load().unwrap();
        let (plain_endpoint, served) = fake_server(
            b"INFO {\"nonce\":\"n0nce-xyz\",\"auth_required\":true}\r\n",
            b"PING\r\n",
            b"PONG\r\n",
        )
        .await;
        let endpoint = Endpoint {
            secured,
            ..plain_endpoint
        };
        drop(Connection::open(&endpoint, "n").await.unwrap());
        let sent = String::from_utf8(served.await.unwrap()).unwrap();
        assert!(!sent.contains(&seed[2..]), "{sent}");
        let line = sent.lines().next().unwrap();
        let json: serde_json::Value =
            serde_json::from_str(line.strip_prefix("CONNECT ").unwrap()).unwrap();
        assert_eq!(json["nkey"], user.public_key().as_str());
        assert!(json.get("jwt").is_none(), "{line}");
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(json["sig"].as_str().unwrap())
            .unwrap();
        user.verify(b"n0nce-xyz", &sig).unwrap();
        assert!(!format!("{endpoint:?}").contains(&seed[2..]));

        // A .creds file: the JWT instead of the public key, the same
        // signature; the JWT is not shown either.
        let creds_file = dir.join("user.creds");
        std::fs::write(
            &creds_file,
            format!(
                "-----BEGIN NATS USER JWT-----\neyJ0eXAi.the-user-jwt.c2ln\n------END NATS USER JWT------\n\n\
                 -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
            ),
        )
        .unwrap();
        let secured = NatsOptions::new().creds_file(&creds_file).load().unwrap();
        let (plain_endpoint, served) = fake_server(
            b"INFO {\"nonce\":\"other-nonce\"}\r\n",
            b"PING\r\n",
            b"PONG\r\n",
        )
        .await;
        let endpoint = Endpoint {
            secured,
            ..plain_endpoint
        };
        drop(Connection::open(&endpoint, "n").await.unwrap());
        let sent = String::from_utf8(served.await.unwrap()).unwrap();
        let line = sent.lines().next().unwrap();
        let json: serde_json::Value =
            serde_json::from_str(line.strip_prefix("CONNECT ").unwrap()).unwrap();
        assert_eq!(json["jwt"], "eyJ0eXAi.the-user-jwt.c2ln");
        assert!(json.get("nkey").is_none(), "{line}");
        assert!(!sent.contains(&seed[2..]), "{sent}");
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(json["sig"].as_str().unwrap())
            .unwrap();
        user.verify(b"other-nonce", &sig).unwrap();
        let shown = format!("{endpoint:?}");
        assert!(
            !shown.contains(&seed[2..]) && !shown.contains("the-user-jwt"),
            "{shown}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Either stream a test server speaks over.
    trait Duplex: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
    impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Duplex for T {}

    /// A NATS server that answers the handshake (over TLS with `tls`),
    /// then holds the connection open reading nothing, until `stop`.
    async fn stalling_server(
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> (u16, tokio::sync::oneshot::Sender<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let info: &[u8] = match tls {
                Some(_) => b"INFO {\"tls_required\":true}\r\n",
                None => b"INFO {}\r\n",
            };
            tcp.write_all(info).await.unwrap();
            let mut socket: Box<dyn Duplex> = match tls {
                Some(acceptor) => Box::new(acceptor.accept(tcp).await.unwrap()),
                None => Box::new(tcp),
            };
            let mut got = Vec::new();
            let mut chunk = [0u8; 4096];
            while !got.ends_with(b"PING\r\n") {
                let n = socket.read(&mut chunk).await.unwrap();
                got.extend_from_slice(&chunk[..n]);
            }
            socket.write_all(b"PONG\r\n").await.unwrap();
            socket.flush().await.unwrap();
            // Holds the socket open, reading nothing more.
            let _ = stopped.await;
            drop(socket);
        });
        (port, stop)
    }

    /// Writes more than the sockets' buffers hold through `endpoint`'s
    /// stalling server: the error and how long it took.
    async fn stalled_write(endpoint: Endpoint) -> (LinkError, Duration) {
        let mut conn = Connection::open(&endpoint, "n").await.unwrap();
        let mut out = vec![b'x'; 64 << 20];
        let started = std::time::Instant::now();
        let e = conn.write(&mut out).await.err().unwrap();
        (e, started.elapsed())
    }

    /// A server that stops reading (stopped, or its machine gone without
    /// closing the socket) is found by the write timeout, over TCP and
    /// over TLS alike: the publisher then reconnects instead of waiting
    /// on it for ever.
    #[tokio::test]
    async fn a_server_that_stops_reading_times_the_write_out() {
        let cert = rcgen::generate_simple_self_signed(["localhost".to_owned()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
        let server = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
        let dir = std::env::temp_dir().join(format!("kraki-conn-stall-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        let pem = crate::nats::tls::tests::pem("CERTIFICATE", cert.cert.der());
        std::fs::write(&ca, pem).unwrap();
        let trusting = NatsOptions::new().ca_file(&ca).load().unwrap();

        let (plain_port, stop_plain) = stalling_server(None).await;
        let (tls_port, stop_tls) = stalling_server(Some(tokio_rustls::TlsAcceptor::from(
            std::sync::Arc::new(server),
        )))
        .await;
        let plain_endpoint =
            Endpoint::parse(&format!("nats://127.0.0.1:{plain_port}"), plain()).unwrap();
        let tls_endpoint =
            Endpoint::parse(&format!("tls://localhost:{tls_port}"), trusting).unwrap();
        // Both at once: one wait of the timeout.
        let (over_tcp, over_tls) =
            tokio::join!(stalled_write(plain_endpoint), stalled_write(tls_endpoint));
        for (e, waited) in [over_tcp, over_tls] {
            assert!(matches!(e, LinkError::Timeout(WRITE_TIMEOUT)), "{e}");
            assert!(
                waited >= WRITE_TIMEOUT && waited < WRITE_TIMEOUT * 2,
                "{waited:?}"
            );
        }
        let _ = (stop_plain.send(()), stop_tls.send(()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_refusal_tls_or_garbage_is_a_typed_error_never_showing_the_password() {
        let refused = fake_server(
            b"INFO {}\r\n",
            b"PING\r\n",
            b"-ERR 'Authorization Violation'\r\n",
        );
        let (endpoint, _served) = refused.await;
        let e = Connection::open(&endpoint, "n").await.err().unwrap();
        assert_eq!(
            e.to_string(),
            "the server refused: 'Authorization Violation'"
        );
        // TLS asked for by the URL, not offered by the server: refused
        // before anything is sent in cleartext.
        let (endpoint, served) = fake_server_as("tls", b"INFO {}\r\n", b"\n", b"").await;
        let e = Connection::open(&endpoint, "n").await.err().unwrap();
        assert!(matches!(e, LinkError::TlsNotOffered), "{e}");
        assert!(e.to_string().contains("does not offer"), "{e}");
        assert!(served.await.unwrap().is_empty());
        let (endpoint, _served) = fake_server(b"HELLO there\r\n", b"\n", b"").await;
        let e = Connection::open(&endpoint, "n").await.err().unwrap();
        assert_eq!(
            e.to_string(),
            "the server broke the NATS protocol: unknown operation \"HELLO\""
        );
        let (endpoint, _served) = fake_server(b"PONG\r\n", b"\n", b"").await;
        let e = Connection::open(&endpoint, "n").await.err().unwrap();
        assert!(matches!(e, LinkError::NoInfo), "{e}");
        let (endpoint, _served) =
            fake_server(b"INFO {}\r\n", b"PING\r\n", b"MSG a 1 999999999\r\n").await;
        let e = Connection::open(&endpoint, "n").await.err().unwrap();
        assert!(!format!("{e} {e:?}").contains("hunter2"), "{e:?}");
        assert_eq!(
            e.to_string(),
            "the server broke the NATS protocol: a message of 999999999 bytes, above the 1048576 read"
        );
    }

    #[test]
    fn urls_give_servers_and_credentials_never_shown() {
        let e = Endpoint::parse("nats://desk:hunter%32@bus:4333", cleartext_allowed()).unwrap();
        assert_eq!(e.servers, [("bus".to_owned(), 4333)]);
        assert_eq!(
            (e.login.user.as_deref(), e.login.pass.as_deref()),
            (Some("desk"), Some("hunter2"))
        );
        let shown = format!("{e:?}");
        assert!(
            !shown.contains("hunter") && !shown.contains("desk"),
            "{shown}"
        );
        let e = Endpoint::parse(
            "nats://s3cret@[::1],localhost:5,nats://a",
            cleartext_allowed(),
        )
        .unwrap();
        assert_eq!(
            e.servers,
            [
                ("::1".to_owned(), 4222),
                ("localhost".to_owned(), 5),
                ("a".to_owned(), 4222)
            ]
        );
        assert_eq!(e.login.token.as_deref(), Some("s3cret"));
        // async-nats gets the servers without the user info.
        assert_eq!(
            e.server_urls(),
            ["nats://[::1]:4222", "nats://localhost:5", "nats://a:4222"]
        );
        for bad in [
            "",
            "nats://",
            "http://a",
            "nats://a:x",
            "nats://a:99999",
            "[::1",
        ] {
            assert!(Endpoint::parse(bad, plain()).is_err(), "{bad}");
        }
        assert!(!e.tls);
        // One tls:// URL in a list: TLS with every server.
        let e = Endpoint::parse("nats://a,tls://u:hunter2@b:4443", plain()).unwrap();
        assert!(e.tls);
        assert_eq!(e.servers[1], ("b".to_owned(), 4443));
        assert_eq!(e.server_urls(), ["tls://a:4222", "tls://b:4443"]);
        let shown = format!("{e:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let refused = Endpoint::parse("http://u:hunter2@a", plain())
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("tls://") && !refused.contains("hunter2"),
            "{refused}"
        );
    }

    #[test]
    fn credentials_travel_unencrypted_only_to_this_machine_or_when_asked() {
        // Refused before anything connects, naming the way out, never
        // the password.
        for url in [
            "nats://desk:hunter2@bus:4222",
            "nats://hunter2@bus",
            "nats://u:hunter2@127.0.0.1,nats://bus",
        ] {
            let refused = Endpoint::parse(url, plain()).unwrap_err().to_string();
            assert!(
                refused.contains("refusing to send the URL's password or token unencrypted")
                    && refused.contains("tls://")
                    && refused.contains("danger_send_credentials_unencrypted")
                    && !refused.contains("hunter2"),
                "{refused}"
            );
            Endpoint::parse(url, cleartext_allowed()).unwrap();
        }
        // TLS asked for by the URL, or this machine only, or no
        // credentials: nothing to refuse.
        for url in [
            "tls://desk:hunter2@bus:4222",
            "nats://a,tls://u:hunter2@b:4443",
            "nats://desk:hunter2@127.0.0.1:4222",
            "nats://hunter2@localhost,nats://[::1]:5",
            "nats://bus:4222",
        ] {
            Endpoint::parse(url, plain()).unwrap();
        }
    }
}
