//! Connection events: what the connection tells every subscriber and
//! handler, in order with the data (`Client::on_connection` hands them to
//! a function as they are).

use crate::Event;
use kraki_proto::Channel;
use kraki_proto::channels::SystemStatus;

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

impl ConnectionEvent {
    /// The event a subscription stream shows for it.
    pub(crate) fn into_event<T>(self) -> Event<T> {
        match self {
            ConnectionEvent::Reconnecting => Event::Reconnecting,
            ConnectionEvent::Reconnected => Event::Reconnected,
            ConnectionEvent::Status(s) => Event::Status(s),
            ConnectionEvent::Gap {
                expected, received, ..
            } => Event::Gap { expected, received },
            ConnectionEvent::Lagged(n) => Event::Lagged(n),
        }
    }
}
