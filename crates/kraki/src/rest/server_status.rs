//! `Time` and `SystemStatus`: Kraken's clock and the trading engine's
//! state.

use crate::Error;
use crate::rest::RestClient;
use kraki_proto::Timestamp;
use kraki_proto::channels::SystemStatus;
use serde::Deserialize;

/// Kraken's clock (`Time`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerTime {
    /// Seconds since the Unix epoch.
    pub unixtime: i64,
    /// The same time as Kraken writes it, e.g. `Mon, 23 Nov 26 01:02:03 +0000`.
    pub rfc1123: String,
}

/// The trading engine's state (`SystemStatus`), as the WebSocket
/// `status` channel reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SystemState {
    /// `online`, `maintenance`, `cancel_only` or `post_only`.
    pub status: SystemStatus,
    /// When Kraken answered.
    pub timestamp: Timestamp,
}

impl RestClient {
    /// Kraken's clock (`Time`), e.g. to measure the local clock's offset.
    ///
    /// # Errors
    /// [`Error::Rest`] with Kraken's errors, [`Error::Http`] when it
    /// cannot be reached (after the retries) or answers otherwise than
    /// Kraken does.
    pub async fn time(&self) -> Result<ServerTime, Error> {
        self.public("Time", &[]).await
    }

    /// The trading engine's state (`SystemStatus`).
    ///
    /// # Errors
    /// As [`RestClient::time`].
    pub async fn system_status(&self) -> Result<SystemState, Error> {
        self.public("SystemStatus", &[]).await
    }
}
