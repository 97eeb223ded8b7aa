//! Fan-in (many streams into one receiver) and fan-out (one stream to
//! many worker threads), with the same backpressure guarantee as a single
//! subscription: nothing is dropped without an `Event::Lagged`.
//!
//! Forwarding tasks wait for room in the downstream queue; while they wait
//! the subscription's own queue fills, and once that is full the client
//! drops and counts for it, which arrives downstream as `Lagged(n)`.

use crate::{Event, Subscription};
use futures_util::StreamExt;
use std::hash::{Hash, Hasher};

/// A receiver of events from several sources: an async `Stream` and a
/// blocking receiver in one, like a [`Subscription`].
pub struct Receiver<T: 'static> {
    rx: flume::Receiver<Event<T>>,
    stream: flume::r#async::RecvStream<'static, Event<T>>,
}

impl<T: 'static> Receiver<T> {
    fn new(rx: flume::Receiver<Event<T>>) -> Self {
        Receiver {
            stream: rx.clone().into_stream(),
            rx,
        }
    }

    /// Blocks the current thread for the next event; `None` once every
    /// source has ended.
    pub fn recv(&self) -> Option<Event<T>> {
        self.rx.recv().ok()
    }

    /// Like [`Receiver::recv`], giving up after `timeout`.
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Option<Event<T>> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// Waits for the next event; `None` once every source has ended.
    ///
    /// Cancel safety: cancel safe.
    pub async fn next_event(&self) -> Option<Event<T>> {
        self.rx.recv_async().await.ok()
    }
}

impl<T: 'static> futures_util::Stream for Receiver<T> {
    type Item = Event<T>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Event<T>>> {
        std::pin::Pin::new(&mut self.stream).poll_next(cx)
    }
}

/// Fan-in: one receiver for every event of every subscription (from one
/// client or several), in arrival order. Must be called inside a Tokio
/// runtime. The receiver ends when every subscription has ended.
pub fn merge<T: Send + 'static>(
    subscriptions: impl IntoIterator<Item = Subscription<T>>,
    capacity: usize,
) -> Receiver<T> {
    let (tx, rx) = flume::bounded(capacity.max(1));
    for mut sub in subscriptions {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = sub.next().await {
                if tx.send_async(event).await.is_err() {
                    return;
                }
            }
        });
    }
    Receiver::new(rx)
}

/// Fan-out by key: data events go to worker `hash(key(item)) % workers`, so
/// that every item with the same key (e.g. the same symbol) is handled by
/// the same worker, in order; connection events go to every worker. Must
/// be called inside a Tokio runtime.
pub fn shard<T, K, F>(
    mut subscription: Subscription<T>,
    workers: usize,
    capacity: usize,
    key: F,
) -> Vec<Receiver<T>>
where
    T: Clone + Send + 'static,
    K: Hash,
    F: Fn(&T) -> K + Send + 'static,
{
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..workers.max(1))
        .map(|_| flume::bounded(capacity.max(1)))
        .unzip();
    tokio::spawn(async move {
        while let Some(event) = subscription.next().await {
            let target = match &event {
                Event::Data(item) => {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    key(item).hash(&mut h);
                    Some((h.finish() % txs.len() as u64) as usize)
                }
                _ => None,
            };
            match target {
                Some(i) => {
                    if txs[i].send_async(event).await.is_err() {
                        return;
                    }
                }
                None => {
                    for tx in &txs {
                        let _ = tx.send_async(event.clone()).await;
                    }
                }
            }
        }
    });
    rxs.into_iter().map(Receiver::new).collect()
}

/// Fan-out to everyone: every worker gets every event. Must be called
/// inside a Tokio runtime.
pub fn broadcast<T: Clone + Send + 'static>(
    mut subscription: Subscription<T>,
    workers: usize,
    capacity: usize,
) -> Vec<Receiver<T>> {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..workers.max(1))
        .map(|_| flume::bounded(capacity.max(1)))
        .unzip();
    tokio::spawn(async move {
        while let Some(event) = subscription.next().await {
            for tx in &txs {
                let _ = tx.send_async(event.clone()).await;
            }
        }
    });
    rxs.into_iter().map(Receiver::new).collect()
}
