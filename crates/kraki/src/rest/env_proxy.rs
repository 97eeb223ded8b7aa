//! A REST client that goes through the proxy the environment names, as
//! the WebSocket client does with `ClientBuilder::proxy_from_env`.

use crate::Error;
use crate::proxy::Proxy;
use crate::rest::RestClient;
use crate::transport::Transport;

impl RestClient {
    /// A client for `base_url` through the HTTP proxy the environment
    /// names, read as [`crate::ClientBuilder::proxy_from_env`] reads it
    /// (`HTTPS_PROXY`, else `ALL_PROXY`; `NO_PROXY` and loopback hosts
    /// reached directly); without one, as [`RestClient::new`].
    ///
    /// # Errors
    /// [`Error::Config`] for a bad URL or a bad proxy URL (whose password
    /// is never shown).
    pub fn with_proxy_from_env(base_url: &str) -> Result<Self, Error> {
        let proxy = Proxy::from_env()
            .transpose()
            .map_err(|e| Error::Config(format!("proxy: {e}")))?;
        Self::with_transport(base_url, Transport::new(&[], proxy)?)
    }
}
