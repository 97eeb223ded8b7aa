//! What a subscription yields: data, or a connection event as a value.

/// One item of a subscription stream. Connection trouble is never silent:
/// it arrives in the stream, in order with the data.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event<T> {
    /// A message of the subscribed channel and symbol.
    Data(T),
    /// The connection was lost; the client is reconnecting. Data stops
    /// until `Reconnected`.
    Reconnecting,
    /// The connection is back and this subscription is acknowledged again;
    /// a fresh snapshot follows where the channel has one.
    Reconnected,
    /// The consumer fell behind: this many messages were dropped for this
    /// subscription because its queue was full (see the backpressure notes
    /// on [`crate::ClientBuilder::queue_capacity`]).
    Lagged(u64),
    /// The exchange's state changed (e.g. to `maintenance` or
    /// `cancel_only`); `Client::status` always has the latest.
    Status(kraki_proto::channels::SystemStatus),
    /// A private channel (executions, balances) skipped sequence numbers:
    /// messages were lost. A fresh snapshot has been asked for and follows.
    Gap {
        /// The sequence number due (`u64::MAX` when the last one was
        /// already `u64::MAX`: no number follows it).
        expected: u64,
        /// The one that came.
        received: u64,
    },
}
