//! Connection events for handlers: what a subscription stream tells in
//! order with its data, told to a function registered with
//! [`crate::Client::on_connection`].

use crate::event_queue::{self, QueueSender};
use crate::sink::{Control, Deliver, Delivered};
use crate::{Client, Error};
use kraki_proto::channels::SystemStatus;
use kraki_proto::{Channel, Inbound};

/// What happened to the client's connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// The connection was lost; the client is reconnecting.
    Reconnecting,
    /// The connection is back and every subscription acknowledged again.
    Reconnected,
    /// The exchange's state changed (e.g. to `maintenance`).
    Status(SystemStatus),
    /// A private channel skipped sequence numbers; a fresh snapshot has
    /// been asked for.
    Gap {
        /// `executions` or `balances`.
        channel: Channel,
        /// The sequence number due.
        expected: u64,
        /// The one that came.
        received: u64,
    },
    /// The handler fell so far behind that this many connection events
    /// were dropped (beyond a reserve of 1,024 unread).
    Lagged(u64),
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

    fn control(&mut self, control: Control) {
        if !self.tx.has_control_room() {
            self.lagged += 1;
            return;
        }
        if self.lagged > 0 {
            self.tx
                .send(crate::Event::Data(ConnectionEvent::Lagged(self.lagged)));
            self.lagged = 0;
        }
        let event = match control {
            Control::Reconnecting => ConnectionEvent::Reconnecting,
            Control::Reconnected => ConnectionEvent::Reconnected,
            Control::Status(s) => ConnectionEvent::Status(s),
            Control::Gap {
                channel,
                expected,
                received,
            } => ConnectionEvent::Gap {
                channel,
                expected,
                received,
            },
        };
        // Carried as the queue's data; its connection-event reserve is
        // what bounds it (see `on_connection`).
        self.tx.send(crate::Event::Data(event));
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
        self.command(crate::command::Command::AddHandler(Box::new(ControlSink {
            tx,
            lagged: 0,
        })))?;
        std::thread::Builder::new()
            .name("kraki-connection-handler".to_owned())
            .spawn(move || {
                while let Some(event) = rx.recv() {
                    if let crate::Event::Data(event) = event {
                        handler(event);
                    }
                }
            })
            .map_err(|e| Error::Config(format!("cannot start a handler thread: {e}")))?;
        Ok(())
    }
}
