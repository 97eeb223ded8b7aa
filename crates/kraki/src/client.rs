//! The `Client` handle.

use crate::auth::TokenSource;
use crate::command::Command;
use crate::config::ClientBuilder;
use crate::driver::Driver;
use crate::error::Error;
use crate::sink::TypedSink;
use crate::spec::Subscribe;
use crate::subscription::Subscription;
use crate::transport::{Transport, parse_url};
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
        Ok(Client {
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
        })
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
        let (tx, rx) = crate::event_queue::channel(self.inner.queue_capacity);
        let sink = Box::new(TypedSink::<S>::new(tx));
        let id = self.attach(spec.params(), sink).await?;
        Ok(Subscription::new(rx, id, self.inner.commands.clone()))
    }

    /// Subscribes `sink` (acks awaited); the returned guard releases it
    /// when dropped.
    pub(crate) async fn attach(
        &self,
        params: kraki_proto::SubscribeParams,
        sink: Box<dyn crate::sink::Deliver>,
    ) -> Result<crate::command::SubId, Error> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Subscribe {
                params,
                sink,
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
    /// cancel_only, post_only), updated on every change.
    pub fn status(&self) -> watch::Receiver<Option<Status>> {
        self.inner.status.clone()
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
