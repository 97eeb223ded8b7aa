//! Handlers by message type, as users of callback-style libraries expect:
//! `client.on::<TickerUpdate>(|t| …)`, handlers of connection events
//! (`client.on_connection`), plus user tasks that live as long as the
//! client.

use crate::command::Command;
use crate::connection_event::ConnectionEvent;
use crate::event_queue::{self, QueueReceiver, QueueSender};
use crate::liveness::Liveness;
use crate::sink::{Deliver, Delivered, TypedSink};
use crate::spec::{
    Book, BookUpdate, CandleUpdate, Instrument, InstrumentUpdate, Ohlc, Subscribe, Ticker,
    TickerUpdate, TradeUpdate, Trades,
};
use crate::{Client, Error, Event};
use kraki_proto::{Channel, Inbound};
use std::future::Future;

/// A message type a handler can be registered for.
pub trait Handled: Clone + Send + 'static {
    /// The subscription that yields it.
    type Spec: Subscribe<Item = Self>;
}

impl Handled for TickerUpdate {
    type Spec = Ticker;
}
impl Handled for BookUpdate {
    type Spec = Book;
}
impl Handled for TradeUpdate {
    type Spec = Trades;
}
impl Handled for CandleUpdate {
    type Spec = Ohlc;
}
impl Handled for InstrumentUpdate {
    type Spec = Instrument;
}
impl Handled for crate::ExecutionsUpdate {
    type Spec = crate::Executions;
}
impl Handled for crate::Level3Update {
    type Spec = crate::Level3;
}
impl Handled for crate::BalancesUpdate {
    type Spec = crate::Balances;
}

/// A handler's queue. A handler of executions or balances that dropped
/// messages asks for a fresh snapshot of its channel as soon as it has
/// room for one (as a `Subscription` of them does), so what it keeps of
/// the account is made whole by itself.
struct HandlerQueue<T> {
    rx: QueueReceiver<T>,
    commands: tokio::sync::mpsc::UnboundedSender<Command>,
}

impl<T: Handled> HandlerQueue<T> {
    fn recv(&self) -> Option<Event<T>> {
        let event = self.rx.recv();
        self.resync_if_due();
        event
    }

    async fn recv_async(&self) -> Option<Event<T>> {
        let event = self.rx.recv_async().await;
        self.resync_if_due();
        event
    }

    fn resync_if_due(&self) {
        if self.rx.resync_due() {
            let channel = <T::Spec as Subscribe>::CHANNEL;
            let _ = self.commands.send(Command::ResyncChannel(channel));
        }
    }
}

impl Client {
    fn handler_queue<T: Handled>(&self) -> Result<HandlerQueue<T>, Error> {
        let (tx, rx) = event_queue::channel(self.queue_capacity());
        self.command(Command::AddHandler(Box::new(TypedSink::<T::Spec>::new(tx))))?;
        Ok(HandlerQueue {
            rx,
            commands: self.command_sender(),
        })
    }

    /// Calls `handler` with every message of type `T` from every
    /// subscription of this client (subscribe separately), on a thread of
    /// its own: a slow handler never blocks the socket reader. If it falls
    /// more than `queue_capacity` messages behind, messages are dropped and
    /// a warning with the count is logged.
    ///
    /// # Errors
    /// [`Error::Closed`] after `close`.
    pub fn on<T: Handled>(&self, mut handler: impl FnMut(T) + Send + 'static) -> Result<(), Error> {
        let rx = self.handler_queue::<T>()?;
        std::thread::Builder::new()
            .name("kraki-handler".to_owned())
            .spawn(move || {
                while let Some(event) = rx.recv() {
                    match event {
                        Event::Data(item) => handler(item),
                        Event::Lagged(n) => {
                            tracing::warn!(dropped = n, "handler fell behind; messages dropped");
                        }
                        _ => {}
                    }
                }
            })
            .map_err(|e| Error::Config(format!("cannot start a handler thread: {e}")))?;
        Ok(())
    }

    /// Like [`Client::on`] with an async handler, run as a task; each call
    /// is awaited before the next message is handed over.
    ///
    /// # Errors
    /// [`Error::Closed`] after `close`.
    pub fn on_async<T, F, Fut>(&self, mut handler: F) -> Result<(), Error>
    where
        T: Handled,
        F: FnMut(T) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let rx = self.handler_queue::<T>()?;
        self.spawn(async move {
            while let Some(event) = rx.recv_async().await {
                match event {
                    Event::Data(item) => handler(item).await,
                    Event::Lagged(n) => {
                        tracing::warn!(dropped = n, "handler fell behind; messages dropped");
                    }
                    _ => {}
                }
            }
        });
        Ok(())
    }

    /// Runs a task that lives as long as the client: it is aborted by
    /// [`Client::close`]. Must be called inside a Tokio runtime.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        self.keep_task(handle.abort_handle());
    }
}

/// The connection's end of an `on_connection` handler: it reads no data.
struct ControlSink {
    tx: QueueSender<ConnectionEvent>,
    lagged: u64,
}

impl Deliver for ControlSink {
    fn deliver(&mut self, _msg: &Inbound, _symbol: Option<&str>) -> Delivered {
        Delivered::Done
    }

    fn control(&mut self, event: ConnectionEvent) {
        if !self.tx.has_control_room() {
            self.lagged += 1;
            return;
        }
        if self.lagged > 0 {
            self.tx
                .send(Event::Data(ConnectionEvent::Lagged(self.lagged)));
            self.lagged = 0;
        }
        // Carried as the queue's data; its connection-event reserve is
        // what bounds it (see `on_connection`).
        self.tx.send(Event::Data(event));
    }

    fn reads(&self, _channel: &Channel) -> bool {
        false
    }
}

impl Client {
    /// Calls `handler` with every connection event, in order, on a thread
    /// of its own: reconnects (`Reconnecting`, then `Reconnected` once
    /// every subscription is acknowledged again), changes of the
    /// exchange's status, and sequence gaps on private channels. Unlike
    /// data, these are never dropped for a slow handler short of 1,024
    /// unread (then [`ConnectionEvent::Lagged`] says how many).
    ///
    /// # Errors
    /// [`Error::Closed`] after `close`.
    pub fn on_connection(
        &self,
        mut handler: impl FnMut(ConnectionEvent) + Send + 'static,
    ) -> Result<(), Error> {
        // The smallest data capacity: the events are bounded by the
        // reserve every queue keeps for connection events.
        let (tx, rx) = event_queue::channel(1);
        self.command(Command::AddHandler(Box::new(ControlSink { tx, lagged: 0 })))?;
        std::thread::Builder::new()
            .name("kraki-connection-handler".to_owned())
            .spawn(move || {
                while let Some(event) = rx.recv() {
                    if let Event::Data(event) = event {
                        handler(event);
                    }
                }
            })
            .map_err(|e| Error::Config(format!("cannot start a handler thread: {e}")))?;
        Ok(())
    }
}

/// Hands heartbeats and pongs to an `on_liveness` handler's thread. They
/// are frequent and each says the same thing, so one that finds the queue
/// full is dropped (never the reader's wait).
struct LivenessSink {
    tx: QueueSender<Liveness>,
    dropped: u64,
}

impl Deliver for LivenessSink {
    fn deliver(&mut self, _msg: &Inbound, _symbol: Option<&str>) -> Delivered {
        Delivered::Done
    }

    fn control(&mut self, _event: ConnectionEvent) {}

    fn reads(&self, _channel: &Channel) -> bool {
        false
    }

    fn liveness(&mut self, event: &Liveness) {
        if !self.tx.has_room() {
            self.dropped += 1;
            return;
        }
        if self.dropped > 0 {
            self.tx.send(Event::Lagged(self.dropped));
            self.dropped = 0;
        }
        self.tx.send(Event::Data(event.clone()));
    }
}

impl Client {
    /// Runs `handler` on a thread of its own with every heartbeat and
    /// every answer to the client's pings (`Liveness`), for code that
    /// shows or logs that the exchange is alive. A handler that falls
    /// more than the queue capacity behind misses some (they say the same
    /// thing; the count is logged).
    ///
    /// # Errors
    /// [`Error::Closed`] when the client is closed; [`Error::Config`]
    /// when the thread cannot be started.
    pub fn on_liveness(
        &self,
        mut handler: impl FnMut(Liveness) + Send + 'static,
    ) -> Result<(), Error> {
        let (tx, rx) = event_queue::channel(self.queue_capacity());
        self.command(Command::AddHandler(Box::new(LivenessSink {
            tx,
            dropped: 0,
        })))?;
        std::thread::Builder::new()
            .name("kraki-liveness-handler".to_owned())
            .spawn(move || {
                while let Some(event) = rx.recv() {
                    match event {
                        Event::Data(event) => handler(event),
                        Event::Lagged(n) => {
                            tracing::debug!(dropped = n, "liveness handler fell behind");
                        }
                        _ => {}
                    }
                }
            })
            .map_err(|e| Error::Config(format!("cannot start a handler thread: {e}")))?;
        Ok(())
    }
}
