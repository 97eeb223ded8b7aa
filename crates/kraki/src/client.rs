//! The `Client` handle.

use crate::command::Command;
use crate::config::ClientBuilder;
use crate::error::Error;
use crate::sink::TypedSink;
use crate::spec::Subscribe;
use crate::subscription::Subscription;
use crate::transport::Transport;
use kraki_proto::channels::Status;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// A connection to Kraken's WebSocket API. Cheap to clone; every clone
/// talks to the same connection, from any thread.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    commands: mpsc::UnboundedSender<Command>,
    /// User tasks, aborted on close.
    tasks: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
    status: watch::Receiver<Option<Status>>,
    queue_capacity: usize,
    builder: ClientBuilder,
    /// Order rules per pair, for checking orders before sending.
    rules: std::sync::Mutex<std::collections::HashMap<String, crate::OrderRules>>,
    /// The local copy of Kraken's trading rate counter.
    rate: std::sync::Mutex<crate::rate_counter::RateCounter>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("public_url", &self.inner.builder.public_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with Kraken's endpoints and the documented defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A handle on a running driver that takes `commands` and publishes
    /// the exchange's `status`.
    pub(crate) fn new(
        builder: ClientBuilder,
        commands: mpsc::UnboundedSender<Command>,
        status: watch::Receiver<Option<Status>>,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                commands,
                tasks: std::sync::Mutex::new(Vec::new()),
                status,
                queue_capacity: builder.settings.queue_capacity,
                rules: std::sync::Mutex::new(std::collections::HashMap::new()),
                rate: std::sync::Mutex::new(crate::rate_counter::RateCounter::new(
                    builder.rate_tier,
                )),
                builder,
            }),
        }
    }

    /// Subscribes, e.g. `client.subscribe(Ticker::new(["BTC/USD"]))`, and
    /// completes when Kraken has acknowledged every symbol. Local
    /// subscribers to the same channel, symbol and params share one wire
    /// subscription, and each still gets what its own params promise: a
    /// snapshot when it asks for one (the wire subscription is made again
    /// for it, and the others get only what they missed meanwhile), none
    /// with `snapshot: false`, and on `executions` only the fills and open
    /// orders it asked for.
    ///
    /// Cancel safety: if the future is dropped before completing, the
    /// subscription is released as soon as it is acknowledged.
    ///
    /// # Errors
    /// [`Error::Rejected`] with Kraken's error string per failing symbol
    /// (nothing stays subscribed then), [`Error::Timeout`] when acks do not
    /// arrive in time, [`Error::Closed`] after `close`.
    pub async fn subscribe<S: Subscribe>(&self, spec: S) -> Result<Subscription<S::Item>, Error> {
        let (subscription, _) = self.subscribe_as(spec, false).await?;
        Ok(subscription)
    }

    /// [`Client::subscribe`] that keeps the symbols Kraken accepts when it
    /// refuses others (a market list often holds a delisted pair): returns
    /// the subscription and each refused symbol with Kraken's error.
    ///
    /// # Errors
    /// [`Error::Rejected`] when every symbol is refused; otherwise as
    /// [`Client::subscribe`].
    pub async fn subscribe_partial<S: Subscribe>(
        &self,
        spec: S,
    ) -> Result<(Subscription<S::Item>, Vec<crate::Rejection>), Error> {
        self.subscribe_as(spec, true).await
    }

    async fn subscribe_as<S: Subscribe>(
        &self,
        spec: S,
        partial: bool,
    ) -> Result<(Subscription<S::Item>, Vec<crate::Rejection>), Error> {
        let (tx, rx) = crate::event_queue::channel(self.inner.queue_capacity);
        let sink = Box::new(TypedSink::<S>::new(tx));
        let subscribed = self.attach_as(spec.params(), sink, partial).await?;
        let subscription = Subscription::new(rx, subscribed.id, self.inner.commands.clone());
        Ok((subscription, subscribed.refused))
    }

    /// Subscribes `sink` (acks awaited), all or nothing; the returned
    /// guard releases it when dropped.
    pub(crate) async fn attach(
        &self,
        params: kraki_proto::SubscribeParams,
        sink: Box<dyn crate::sink::Deliver>,
    ) -> Result<crate::command::SubId, Error> {
        Ok(self.attach_as(params, sink, false).await?.id)
    }

    async fn attach_as(
        &self,
        params: kraki_proto::SubscribeParams,
        sink: Box<dyn crate::sink::Deliver>,
        partial: bool,
    ) -> Result<crate::command::Subscribed, Error> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Subscribe {
                params,
                sink,
                partial,
                reply,
            })
            .map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }

    /// A guard that releases the local subscriber `id` when dropped.
    pub(crate) fn release_on_drop(
        &self,
        id: crate::command::SubId,
    ) -> crate::subscription::Release {
        crate::subscription::Release::new(id, self.inner.commands.clone())
    }

    /// Where commands go, for a reader that outlives this call.
    pub(crate) fn command_sender(&self) -> mpsc::UnboundedSender<Command> {
        self.inner.commands.clone()
    }

    pub(crate) fn command(&self, command: Command) -> Result<(), Error> {
        self.inner.commands.send(command).map_err(|_| Error::Closed)
    }

    pub(crate) fn keep_task(&self, task: tokio::task::AbortHandle) {
        if let Ok(mut tasks) = self.inner.tasks.lock() {
            tasks.retain(|t| !t.is_finished());
            tasks.push(task);
        }
    }

    pub(crate) fn rules(
        &self,
    ) -> &std::sync::Mutex<std::collections::HashMap<String, crate::OrderRules>> {
        &self.inner.rules
    }

    /// Runs `f` on the rate counter.
    pub(crate) fn with_rate<R>(
        &self,
        f: impl FnOnce(&mut crate::rate_counter::RateCounter) -> R,
    ) -> Option<R> {
        self.inner.rate.lock().ok().map(|mut r| f(&mut r))
    }

    /// The local estimate of Kraken's trading rate counter for `pair`
    /// (§9.4), counting what this client sent.
    pub fn rate_count(&self, pair: &str) -> f64 {
        self.with_rate(|r| r.current(pair, std::time::Instant::now()))
            .unwrap_or(0.0)
    }

    pub(crate) fn settings(&self) -> &ClientBuilder {
        &self.inner.builder
    }

    pub(crate) fn transport(&self) -> Result<Transport, Error> {
        let builder = &self.inner.builder;
        Transport::new(&builder.extra_roots, builder.checked_proxy()?)
    }

    pub(crate) fn queue_capacity(&self) -> usize {
        self.inner.queue_capacity
    }

    /// The latest `status` message (engine state: online, maintenance,
    /// cancel_only, post_only), and its changes.
    pub fn status(&self) -> crate::StatusWatch {
        crate::StatusWatch::new(self.inner.status.clone())
    }

    /// Closes the connection; every subscription stream then ends.
    ///
    /// Cancel safety: the close is requested at the first poll; dropping
    /// the future afterwards does not undo it.
    pub async fn close(&self) {
        if let Ok(mut tasks) = self.inner.tasks.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
        let (done, closed) = oneshot::channel();
        if self.inner.commands.send(Command::Close(done)).is_ok() {
            let _ = closed.await;
        }
    }
}
