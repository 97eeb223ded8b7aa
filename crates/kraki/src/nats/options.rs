//! How kraki reaches a NATS server beyond its URL: the CA and client
//! certificate for TLS, and NKEY or JWT (`.creds`) credentials. Only
//! file paths are held here; the files are read once, when a relay or
//! consumer starts, into [`Secured`], which both the relay's publisher
//! and the async-nats connection use.

use super::error::NatsError;
use super::nkey::Signer;
use super::tls::Tls;
use std::path::PathBuf;
use std::sync::Arc;

/// TLS and authentication for a NATS connection, besides what the URL
/// says (`tls://` for TLS; `user:password@` or `token@` for plain
/// credentials). Paths only: the files are read when the relay or
/// consumer starts, before anything connects, and their contents are
/// never shown (`Debug` shows the paths).
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
    /// The same TLS setup and credentials for an async-nats connection,
    /// so the management and reading connections trust the servers the
    /// publisher trusts and log in as the same user.
    pub(crate) fn apply(&self, options: async_nats::ConnectOptions) -> async_nats::ConnectOptions {
        let mut options = options
            .tls_client_config(self.tls.client_config())
            .require_tls(self.tls.required());
        if let Some(signer) = &self.signer {
            match signer.jwt() {
                // The signer signs, so the seed is not copied into
                // async-nats.
                Some(jwt) => {
                    let signer = signer.clone();
                    options = options.jwt(jwt.to_owned(), move |nonce| {
                        let signed = signer.sign_raw(&nonce);
                        async move { signed.map_err(async_nats::AuthError::new) }
                    });
                }
                // async-nats signs with an NKEY alone only from the seed
                // itself; its copy (a plain String inside async-nats,
                // not wiped) lives as long as the connection.
                None => {
                    if let Ok(seed) = signer.seed() {
                        options = options.nkey(seed.as_str().to_owned());
                    }
                }
            }
        }
        options
    }
}
