//! From a builder to a running client: the endpoint checks, the token
//! source, the first connection, and the driver task.

use crate::cleartext;
use crate::client::Client;
use crate::config::ClientBuilder;
use crate::driver::Driver;
use crate::error::Error;
use crate::token_source::{RestTokenSource, TokenSource};
use crate::transport::{Transport, parse_url};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

impl ClientBuilder {
    /// Connects to the public endpoint.
    ///
    /// Cancel safety: dropping the future before it completes abandons the
    /// connection attempt; nothing is left running.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad URL or certificate, [`Error::Connect`]
    /// when the configured attempts all fail. Must be called inside a Tokio
    /// runtime.
    pub async fn connect(self) -> Result<Client, Error> {
        let url = self.public_url.clone();
        Client::connect(self, &url, None).await
    }

    /// Connects to the authenticated endpoint ([`ClientBuilder::auth_url`])
    /// with a token from the token source or from REST with the
    /// credentials: private channels (`Executions`, `Balances`) and
    /// trading. Public channels are not served there.
    ///
    /// Cancel safety: as [`ClientBuilder::connect`].
    ///
    /// # Errors
    /// [`Error::Credentials`] without credentials or token source,
    /// [`Error::Rest`] with Kraken's error when the token is refused
    /// (not retried), and the errors of [`ClientBuilder::connect`].
    pub async fn connect_auth(self) -> Result<Client, Error> {
        let url = self.auth_url.clone();
        self.check_cleartext(&url)?;
        let source = self.auth_token_source()?;
        Client::connect(self, &url, Some(source)).await
    }

    /// Connects to the level3 endpoint ([`ClientBuilder::level3_url`]),
    /// authenticated as [`ClientBuilder::connect_auth`].
    ///
    /// # Errors
    /// As [`ClientBuilder::connect_auth`].
    pub async fn connect_level3(self) -> Result<Client, Error> {
        let url = self.level3_url.clone();
        self.check_cleartext(&url)?;
        let source = self.auth_token_source()?;
        Client::connect(self, &url, Some(source)).await
    }

    /// Refuses to send a token over `ws_url`, or the API key and a
    /// signature to the REST URL (when tokens come from REST), unencrypted.
    fn check_cleartext(&self, ws_url: &str) -> Result<(), Error> {
        let proxy = self.checked_proxy()?;
        let proxied = |uri: &http::Uri| {
            let host = uri.host().unwrap_or_default();
            proxy.as_ref().is_some_and(|p| p.applies_to(host))
        };
        let opt_in = self
            .unencrypted_credentials
            .then_some(())
            .ok_or("ClientBuilder::danger_send_credentials_unencrypted");
        let ws = crate::transport::parse_url(ws_url)?;
        cleartext::check(&ws, "the WebSocket token", proxied(&ws), opt_in)?;
        if self.token_source.is_none() {
            let rest = crate::rest::RestClient::new(&self.rest_url)?;
            let rest = rest.base();
            cleartext::check(rest, "the API key and signature", proxied(rest), opt_in)?;
        }
        Ok(())
    }

    fn auth_token_source(&self) -> Result<Arc<dyn TokenSource>, Error> {
        if let Some(source) = &self.token_source {
            return Ok(source.clone());
        }
        let credentials = self.credentials.clone().ok_or_else(|| {
            Error::Credentials(
                "the authenticated endpoint needs credentials (ClientBuilder::credentials, \
                 e.g. Credentials::from_env()) or a token source"
                    .to_owned(),
            )
        })?;
        let transport = crate::transport::Transport::new(&self.extra_roots, self.checked_proxy()?)?;
        let mut rest = crate::rest::RestClient::with_transport(&self.rest_url, transport)?;
        if self.unencrypted_credentials {
            rest = rest.danger_send_credentials_unencrypted();
        }
        Ok(Arc::new(RestTokenSource::new(rest, credentials)))
    }
}

impl Client {
    /// Connects to `url` (with tokens from `token_source` on the
    /// authenticated endpoints) and starts the connection's driver.
    pub(crate) async fn connect(
        builder: ClientBuilder,
        url: &str,
        token_source: Option<Arc<dyn TokenSource>>,
    ) -> Result<Client, Error> {
        let url = parse_url(url)?;
        let transport = Transport::new(&builder.extra_roots, builder.checked_proxy()?)?;
        let (commands, rx) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(None);
        let mut driver = Driver::new(
            url,
            transport,
            builder.settings.clone(),
            rx,
            status_tx,
            token_source,
        );
        let socket = driver.first_connect().await?;
        tokio::spawn(driver.run(socket));
        Ok(Client::new(builder, commands, status))
    }
}
