//! Typed subscriptions fed from the relay's subjects instead of a
//! WebSocket: the same specs and item types as [`crate::Client::subscribe`]
//! (`Trades`, `Ticker`, `Ohlc`, `Book`), one JetStream ordered consumer
//! per pair.

use super::error::NatsError;
use super::names::{STREAM, subject};
use super::options::NatsOptions;
use crate::Subscribe;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures_util::StreamExt;

/// Where a [`NatsSubscription`] starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Start {
    /// Messages stored from now on.
    New,
    /// Everything the stream still holds for the subjects, then new ones.
    All,
}

/// Items of one spec read from NATS, in each pair's stream order (pairs
/// interleave as they arrive). Dropping it stops the reading.
pub struct NatsSubscription<T> {
    items: flume::Receiver<T>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl<T> std::fmt::Debug for NatsSubscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsSubscription")
            .field("pairs", &self.tasks.len())
            .finish_non_exhaustive()
    }
}

impl<T> Drop for NatsSubscription<T> {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl<T> NatsSubscription<T> {
    /// The next item, waiting for it; `None` once every pair's reading
    /// stopped.
    ///
    /// Cancel safety: cancel safe.
    pub async fn next(&self) -> Option<T> {
        self.items.recv_async().await.ok()
    }

    /// The next item, blocking the current thread.
    pub fn recv(&self) -> Option<T> {
        self.items.recv().ok()
    }
}

/// Reads `spec`'s channel and pairs from the relay's stream at `url`.
///
/// # Errors
/// [`NatsError::Connect`] when NATS cannot be reached,
/// [`NatsError::Stream`] when the stream is missing or a consumer cannot
/// be made.
pub async fn subscribe<S: Subscribe>(
    url: &str,
    spec: S,
    start: Start,
) -> Result<NatsSubscription<S::Item>, NatsError> {
    subscribe_with(url, &NatsOptions::new(), spec, start).await
}

/// [`subscribe`] through a server that wants TLS or credentials
/// beyond the URL's (`options`).
///
/// # Errors
/// As [`subscribe`], and [`NatsError::Options`] for a file of `options`
/// that cannot be used (before connecting).
pub async fn subscribe_with<S: Subscribe>(
    url: &str,
    options: &NatsOptions,
    spec: S,
    start: Start,
) -> Result<NatsSubscription<S::Item>, NatsError> {
    let secured = options.load()?;
    let js = super::streams::connect(url, &secured).await?;
    let stream = js
        .get_stream(STREAM)
        .await
        .map_err(|e| NatsError::stream(STREAM, format!("{e} (has a relay run?)")))?;
    let params = spec.params();
    let channel = params.channel.as_str().to_owned();
    let (tx, items) = flume::unbounded();
    let mut tasks = Vec::new();
    for symbol in params.symbol.iter().flatten() {
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: subject(&channel, symbol.as_str()),
                deliver_policy: match start {
                    Start::New => DeliverPolicy::New,
                    Start::All => DeliverPolicy::All,
                },
                ..Default::default()
            })
            .await
            .map_err(|e| NatsError::stream(STREAM, e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| NatsError::stream(STREAM, e))?;
        let tx = tx.clone();
        let symbol = symbol.to_string();
        let task = tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                let Ok(message) = message else { continue };
                let Ok(text) = std::str::from_utf8(&message.payload) else {
                    tracing::warn!(%symbol, "message is not UTF-8; skipped");
                    continue;
                };
                let inbound = match kraki_proto::decode(text) {
                    Ok(inbound) => inbound,
                    Err(e) => {
                        tracing::warn!(%symbol, error = %e, "message undecodable; skipped");
                        continue;
                    }
                };
                if let Some(item) = S::extract(&inbound, Some(symbol.as_str())) {
                    if tx.send(item).is_err() {
                        return;
                    }
                }
            }
        });
        tasks.push(task.abort_handle());
    }
    Ok(NatsSubscription { items, tasks })
}
