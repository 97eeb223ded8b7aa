//! The exchange's status as the client last heard it, and its changes.

use crate::Error;
use kraki_proto::channels::Status;
use tokio::sync::watch;

/// The latest `status` message (engine state: online, maintenance,
/// cancel_only, post_only), from [`crate::Client::status`]. Each clone
/// follows the changes on its own.
#[derive(Debug, Clone)]
pub struct StatusWatch {
    rx: watch::Receiver<Option<Status>>,
}

impl StatusWatch {
    pub(crate) fn new(rx: watch::Receiver<Option<Status>>) -> Self {
        StatusWatch { rx }
    }

    /// The latest status; `None` before Kraken sent the first.
    pub fn latest(&self) -> Option<Status> {
        self.rx.borrow().clone()
    }

    /// Waits until the status differs from the one this watch last
    /// returned (from `latest` or `changed`), and returns it.
    ///
    /// Cancel safety: cancel safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once the client is closed.
    pub async fn changed(&mut self) -> Result<Option<Status>, Error> {
        self.rx.changed().await.map_err(|_| Error::Closed)?;
        Ok(self.rx.borrow_and_update().clone())
    }
}
