//! How kraki reaches a NATS server beyond its URL: the CA and client
//! certificate for TLS, and NKEY or JWT (`.creds`) credentials. Only
//! file paths are held here; the files are read once, when a relay or
//! consumer starts, into [`Secured`], which both the relay's publisher
//! and the async-nats connection use.

use super::error::NatsError;
use super::nkey::Signer;
use super::tls::Tls;
use super::url_login::UrlLogin;
use std::path::PathBuf;
use std::sync::Arc;

/// TLS and authentication for a NATS connection, besides what the URL
/// says (`tls://` for TLS; `user:password@` or `token@` for plain
/// credentials). Paths only: the files are read when the relay or
/// consumer starts, before anything connects, and their contents are
/// never shown (`Debug` shows the paths).
///
/// The URL's password or token and an NKEY or `.creds` file may be given
/// together: both are sent, by the relay's publisher and the async-nats
/// connection alike, and the server checks the one its configuration
/// asks for.
///
/// A password or token in a `nats://` URL travels unencrypted only to
/// this machine; for any other host the URL is refused before anything
/// connects, unless [`NatsOptions::danger_send_credentials_unencrypted`].
///
/// A CA file or a client certificate means TLS with every server,
/// whatever its URL says: a server that does not offer TLS is refused,
/// never sent anything in cleartext. Without a CA file the server's
/// certificate is checked against the public web CAs (webpki-roots).
/// The relay's publisher and the async-nats connection (JetStream
/// management, consumers) get the same setup.
///
/// # Example
/// ```no_run
/// # async fn run(client: &kraki::Client) -> Result<(), kraki::nats::NatsError> {
/// use kraki::nats::{NatsOptions, Relay, RelayConfig};
/// let options = NatsOptions::new()
///     .ca_file("/etc/kraki/nats-ca.pem")
///     .client_cert("/etc/kraki/relay.pem", "/etc/kraki/relay-key.pem")
///     .nkey_file("/etc/kraki/relay.nk");
/// // A missing or bad file is named here, before anything connects.
/// options.check()?;
/// let config = RelayConfig::new("tls://bus:4222", ["book"], ["BTC/USD"])
///     .with_nats_options(options);
/// let _relay = Relay::start(client, config).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatsOptions {
    /// A PEM file of the CA certificates that sign the server's
    /// certificate (instead of the public web CAs). Setting it requires
    /// TLS.
    pub ca_file: Option<PathBuf>,
    /// A PEM certificate chain and its private key, for servers that ask
    /// for a client certificate (mutual TLS). Setting it requires TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// A NATS credentials file (`.creds`: a user JWT and its NKEY seed).
    pub creds_file: Option<PathBuf>,
    /// A file holding a user's NKEY seed (`SU…`), for servers that list
    /// the user's public key.
    pub nkey_file: Option<PathBuf>,
    /// Sends a password or token of the URL to a host that is not this
    /// machine without TLS. Off: such a URL is refused before anything
    /// connects, since anyone on the path could read the password.
    pub danger_send_credentials_unencrypted: bool,
}

impl NatsOptions {
    /// No TLS unless the URL or the server asks for it, no credentials
    /// beyond the URL's.
    pub fn new() -> Self {
        NatsOptions::default()
    }

    /// Trusts the CA certificates of the PEM file `path` (instead of the
    /// public web CAs), and requires TLS.
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Presents the PEM certificate chain `cert` with its private key
    /// `key` when the server asks, and requires TLS.
    #[must_use]
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_cert = Some((cert.into(), key.into()));
        self
    }

    /// Authenticates with the NATS credentials file `path` (user JWT and
    /// NKEY seed).
    #[must_use]
    pub fn creds_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.creds_file = Some(path.into());
        self
    }

    /// Authenticates with the NKEY seed in the file `path`.
    #[must_use]
    pub fn nkey_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.nkey_file = Some(path.into());
        self
    }

    /// Reads every file given and reports the first that cannot be used,
    /// naming it and the problem (missing, not PEM, no key, a bad seed);
    /// nothing is connected. [`super::Relay::start`] and the consumers
    /// check the same before connecting: this is for a program that wants
    /// to refuse bad options before anything else.
    ///
    /// # Errors
    /// [`NatsError::Options`].
    pub fn check(&self) -> Result<(), NatsError> {
        self.load().map(drop)
    }

    /// [`Self::check`], and the NATS URL with these options: its form,
    /// and a password or token that would travel unencrypted (see
    /// [`Self::danger_send_credentials_unencrypted`]).
    ///
    /// # Errors
    /// [`NatsError::Options`], or [`NatsError::Connect`] for the URL
    /// (shown without its user info).
    pub fn check_with_url(&self, url: &str) -> Result<(), NatsError> {
        super::connection::Endpoint::parse(url, self.load()?).map(drop)
    }

    /// Lets a password or token of the URL travel without TLS to a host
    /// that is not this machine (a trusted network, a tunnel): anyone on
    /// the path can read it.
    #[must_use]
    pub fn danger_send_credentials_unencrypted(mut self) -> Self {
        self.danger_send_credentials_unencrypted = true;
        self
    }

    /// The files read: the TLS setup and the signer. Errors name the file
    /// and the problem, never what the file holds.
    pub(crate) fn load(&self) -> Result<Secured, NatsError> {
        let refuse = NatsError::Options;
        let tls = Tls::load(self.ca_file.as_deref(), self.client_cert.as_ref()).map_err(refuse)?;
        let signer = match (&self.creds_file, &self.nkey_file) {
            (Some(_), Some(_)) => {
                return Err(refuse(
                    "give a credentials file or an NKEY seed file, not both".to_owned(),
                ));
            }
            (Some(creds), None) => Some(Signer::from_creds_file(creds).map_err(refuse)?),
            (None, Some(seed)) => Some(Signer::from_seed_file(seed).map_err(refuse)?),
            (None, None) => None,
        };
        Ok(Secured {
            tls: Arc::new(tls),
            signer: signer.map(Arc::new),
            cleartext_credentials: self.danger_send_credentials_unencrypted,
        })
    }
}

/// [`NatsOptions`] with its files read, shared by every connection of a
/// relay or consumer.
#[derive(Debug, Clone)]
pub(crate) struct Secured {
    pub(crate) tls: Arc<Tls>,
    pub(crate) signer: Option<Arc<Signer>>,
    /// [`NatsOptions::danger_send_credentials_unencrypted`].
    pub(crate) cleartext_credentials: bool,
}

impl Secured {
    /// async-nats's options with the same TLS setup and credentials, so
    /// the management and reading connections trust the servers the
    /// publisher trusts and log in as the same user: `login`, the URL's
    /// password or token, and the NKEY or JWT of the options. Given both,
    /// async-nats sends both, as the publisher does, and the server
    /// checks the one its configuration asks for. kraki's signer signs
    /// the server's nonce: async-nats is handed the public key (or JWT)
    /// and the signature, never the seed, since a copy inside async-nats
    /// would be a plain `String` that is never wiped.
    pub(crate) fn connect_options(&self, login: &UrlLogin) -> async_nats::ConnectOptions {
        let options = match &self.signer {
            None => login.added_to(async_nats::ConnectOptions::new()),
            Some(signer) => match signer.jwt() {
                Some(jwt) => {
                    let signer = signer.clone();
                    login.added_to(async_nats::ConnectOptions::new().jwt(
                        jwt.to_owned(),
                        move |nonce| {
                            let signed = signer.sign_raw(&nonce);
                            async move { signed.map_err(async_nats::AuthError::new) }
                        },
                    ))
                }
                // async-nats signs for an NKEY alone only from the seed;
                // its auth callback instead sends what it returns: the
                // public key, and the raw signature, which async-nats
                // encodes for `sig` itself. What it returns replaces the
                // options' user, password and token, so it returns the
                // URL's too. Like the publisher, no key is sent when the
                // server sent no nonce (it asks for no NKEY).
                None => {
                    let signer = signer.clone();
                    let login = login.clone();
                    async_nats::ConnectOptions::with_auth_callback(move |nonce| {
                        let mut auth = async_nats::Auth::new();
                        login.fill(&mut auth);
                        let signed = if nonce.is_empty() {
                            Ok(auth)
                        } else {
                            signer.sign_raw(&nonce).map(|signature| {
                                auth.nkey = Some(signer.public_key());
                                auth.signature = Some(signature);
                                auth
                            })
                        };
                        async move { signed.map_err(async_nats::AuthError::new) }
                    })
                }
            },
        };
        options
            .tls_client_config(self.tls.client_config())
            .require_tls(self.tls.required())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use base64::Engine;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// What async-nats sends, with `options`, to a fake server that
    /// greets it with `info`: its `CONNECT` line as JSON, and the whole
    /// text.
    async fn connect_sent(
        options: async_nats::ConnectOptions,
        info: &'static str,
    ) -> (serde_json::Value, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            socket.write_all(info.as_bytes()).await.unwrap();
            let mut got = Vec::new();
            let mut chunk = [0u8; 4096];
            while !got.ends_with(b"PING\r\n") {
                match socket.read(&mut chunk).await.unwrap() {
                    0 => break,
                    n => got.extend_from_slice(&chunk[..n]),
                }
            }
            socket.write_all(b"PONG\r\n").await.unwrap();
            String::from_utf8(got).unwrap()
        });
        let client = options
            .connect(format!("nats://127.0.0.1:{port}"))
            .await
            .unwrap();
        let sent = served.await.unwrap();
        drop(client);
        let line = sent.lines().next().unwrap();
        let json = serde_json::from_str(line.strip_prefix("CONNECT ").unwrap()).unwrap();
        (json, sent)
    }

    const NO_NONCE: &str = "INFO {\"server_id\":\"x\"}\r\n";
    const NONCE: &str =
        "INFO {\"server_id\":\"x\",\"nonce\":\"n0nce-xyz\",\"auth_required\":true}\r\n";

    /// A fresh user: its key pair, and the options loaded from its seed
    /// file and from a `.creds` file holding the same seed (the files
    /// removed once read).
    fn user_files(name: &str) -> (nkeys::KeyPair, Secured, Secured) {
        let user = nkeys::KeyPair::new_user();
        let seed = user.seed().unwrap();
        let dir = std::env::temp_dir().join(format!("kraki-options-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let seed_file = dir.join("user.nk");
        std::fs::write(&seed_file, format!("{seed}\n")).unwrap();
        let creds_file = dir.join("user.creds");
        std::fs::write(
            &creds_file,
            format!(
                "-----BEGIN NATS USER JWT-----\neyJ0eXAi.the-user-jwt.c2ln\n------END NATS USER JWT------\n\n\
                 -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
            ),
        )
        .unwrap();
        let nkey = NatsOptions::new().nkey_file(&seed_file).load().unwrap();
        let creds = NatsOptions::new().creds_file(&creds_file).load().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        (user, nkey, creds)
    }

    #[tokio::test]
    async fn async_nats_sends_kraki_signers_signature_and_never_the_seed() {
        let (user, nkey, creds) = user_files("nkey");
        let seed = user.seed().unwrap();
        let info = NONCE;

        // NKEY alone: the public key, and the nonce's signature in
        // base64url without padding, as the server checks it.
        let (json, sent) = connect_sent(nkey.connect_options(&UrlLogin::default()), info).await;
        assert!(!sent.contains(&seed[2..]), "{sent}");
        assert_eq!(json["nkey"], user.public_key().as_str());
        assert!(json["jwt"].is_null(), "{sent}");
        let sig = json["sig"].as_str().unwrap();
        assert!(!sig.contains(['=', '+', '/']), "{sig}");
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .unwrap();
        user.verify(b"n0nce-xyz", &sig).unwrap();

        // A .creds file: the JWT instead of the public key.
        let (json, sent) = connect_sent(creds.connect_options(&UrlLogin::default()), info).await;
        assert!(!sent.contains(&seed[2..]), "{sent}");
        assert_eq!(json["jwt"], "eyJ0eXAi.the-user-jwt.c2ln");
        assert!(json["nkey"].is_null(), "{sent}");
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(json["sig"].as_str().unwrap())
            .unwrap();
        user.verify(b"n0nce-xyz", &sig).unwrap();

        // No nonce, no NKEY asked for: nothing signed, nothing sent.
        let (json, sent) = connect_sent(nkey.connect_options(&UrlLogin::default()), NO_NONCE).await;
        assert!(json["nkey"].is_null() && json["sig"].is_null(), "{sent}");
    }

    /// async-nats's options for `url` with `secured`, as the relay's
    /// management connection and the consumers get them.
    fn url_options(url: &str, secured: &Secured) -> async_nats::ConnectOptions {
        super::super::connection::Endpoint::parse(url, secured.clone())
            .unwrap()
            .connect_options()
    }

    #[tokio::test]
    async fn async_nats_sends_the_urls_credentials_as_the_publisher_does() {
        let plain = NatsOptions::new().load().unwrap();
        // Percent-decoded as the publisher decodes them.
        let (json, sent) = connect_sent(
            url_options("nats://desk:hunter%32@127.0.0.1", &plain),
            NO_NONCE,
        )
        .await;
        assert_eq!(
            (&json["user"], &json["pass"]),
            (&"desk".into(), &"hunter2".into()),
            "{sent}"
        );
        assert!(json["auth_token"].is_null(), "{sent}");
        let (json, sent) =
            connect_sent(url_options("nats://s3cret@localhost", &plain), NO_NONCE).await;
        assert_eq!(json["auth_token"], "s3cret", "{sent}");
        assert!(json["user"].is_null() && json["pass"].is_null(), "{sent}");

        // With an NKEY or a .creds file as well, both are sent, as the
        // publisher sends both: the NKEY's auth callback, which replaces
        // the options' user and password, returns the URL's too.
        let (user, nkey, creds) = user_files("login");
        let seed = user.seed().unwrap();
        let nonce = NONCE;
        for (secured, info, key) in [
            (&nkey, nonce, "nkey"),
            (&nkey, NO_NONCE, ""),
            (&creds, nonce, "jwt"),
        ] {
            let (json, sent) =
                connect_sent(url_options("nats://desk:hunter2@127.0.0.1", secured), info).await;
            assert_eq!(
                (&json["user"], &json["pass"]),
                (&"desk".into(), &"hunter2".into()),
                "{sent}"
            );
            if !key.is_empty() {
                assert!(json[key].is_string() && json["sig"].is_string(), "{sent}");
            }
            assert!(!sent.contains(&seed[2..]), "{sent}");
            let (json, sent) =
                connect_sent(url_options("nats://s3cret@127.0.0.1", secured), info).await;
            assert_eq!(json["auth_token"], "s3cret", "{sent}");
        }
    }
}
