//! A keeper for Kraken's dead man's switch (`cancel_all_orders_after`):
//! while the program lives it re-arms the switch well before it fires; if
//! the program dies or loses its connection for longer than the timeout,
//! Kraken cancels every order.

use crate::{Client, Error};
use std::time::Duration;

/// Keeps the dead man's switch armed until dropped or disarmed.
///
/// Dropping it stops the refreshes and leaves the switch armed, so the
/// orders are canceled when it fires: the safe side for a program that is
/// going away. [`DeadManSwitch::disarm`] turns it off instead.
#[derive(Debug)]
pub struct DeadManSwitch {
    client: Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DeadManSwitch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DeadManSwitch {
    /// Stops refreshing and disarms the switch (`timeout: 0`).
    ///
    /// # Errors
    /// The errors of [`Client::cancel_all_orders_after`].
    pub async fn disarm(self) -> Result<(), Error> {
        self.task.abort();
        self.client.cancel_all_orders_after(0).await.map(|_| ())
    }
}

impl Client {
    /// Arms the dead man's switch with `timeout` (at least 1 s, below a
    /// day; Kraken recommends 60 s) and re-arms it every third of it in a
    /// task of its own, as Kraken recommends. A failed refresh is logged
    /// and retried at the next one.
    ///
    /// # Errors
    /// The errors of the first [`Client::cancel_all_orders_after`]: the
    /// keeper starts only once the switch is armed.
    pub async fn keep_dead_man_switch(&self, timeout: Duration) -> Result<DeadManSwitch, Error> {
        let secs = u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX).max(1);
        self.cancel_all_orders_after(secs).await?;
        let period = Duration::from_secs(u64::from(secs)) / 3;
        let client = self.clone();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(period);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(e) = client.cancel_all_orders_after(secs).await {
                    tracing::warn!(error = %e, "dead man's switch refresh failed; retrying at the next one");
                }
            }
        });
        Ok(DeadManSwitch {
            client: self.clone(),
            task,
        })
    }
}
