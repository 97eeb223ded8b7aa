//! What every authenticated command shares: the endpoints, JSON output,
//! and credentials from the environment.

use kraki::{Client, Credentials};

/// `--url`, `--rest-url`, `--json`.
#[derive(clap::Args, Debug)]
pub(crate) struct AuthArgs {
    /// Authenticated WebSocket URL (default: Kraken's).
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// REST base URL for the token and asset pairs (default: Kraken's).
    #[arg(long = "rest-url")]
    pub(crate) rest_url: Option<String>,
    /// JSON output.
    #[arg(long)]
    pub(crate) json: bool,
    /// Send the API key, signatures and tokens even over ws:// or http://
    /// to a host that is not this machine, or through a proxy, where
    /// anyone on the path can read them (refused otherwise).
    #[arg(long = "danger-send-credentials-unencrypted")]
    pub(crate) danger_send_credentials_unencrypted: bool,
}

impl AuthArgs {
    /// The two URLs. Giving one without the other is an error rather than
    /// a silent fall-back to Kraken's default for the other: a token from
    /// one exchange is useless on another.
    pub(crate) fn urls(&self) -> anyhow::Result<(String, String)> {
        match (&self.url, &self.rest_url) {
            (Some(ws), Some(rest)) => Ok((ws.clone(), rest.clone())),
            (None, None) => Ok((kraki::AUTH_URL.to_owned(), kraki::rest::REST_URL.to_owned())),
            (Some(_), None) => anyhow::bail!(
                "--url was given without --rest-url: give both (tokens come from REST)"
            ),
            (None, Some(_)) => anyhow::bail!(
                "--rest-url was given without --url: give both (tokens come from REST)"
            ),
        }
    }

    /// Connects to the authenticated endpoint with credentials from the
    /// environment (`KRAKEN_API_KEY`/`KRAKEN_API_SECRET` or
    /// `KRAKEN_REST_API_KEY`/`KRAKEN_REST_API_PRIVATE_KEY`).
    pub(crate) async fn connect(&self) -> anyhow::Result<Client> {
        let (ws, rest) = self.urls()?;
        let credentials = Credentials::from_env()?;
        let mut builder = Client::builder()
            .auth_url(ws)
            .rest_url(rest)
            .credentials(credentials)
            .proxy_from_env();
        if self.danger_send_credentials_unencrypted {
            builder = builder.danger_send_credentials_unencrypted();
        }
        builder.connect_auth().await.map_err(|e| match e {
            // The library names its builder method; a command-line user
            // needs the flag.
            kraki::Error::Config(text) => anyhow::anyhow!(
                "invalid configuration: {}",
                text.replace(
                    "ClientBuilder::danger_send_credentials_unencrypted",
                    "--danger-send-credentials-unencrypted"
                )
            ),
            other => other.into(),
        })
    }
}
