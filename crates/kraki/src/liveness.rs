//! Proof of life from the exchange, for handlers that want to see it:
//! heartbeats and the answers to the client's pings. The connection uses
//! both itself (the idle watchdog, the socket check); these are copies.

use kraki_proto::Pong;

/// A heartbeat or a pong, as [`crate::Client::on_liveness`] hands them on.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Liveness {
    /// `{"channel":"heartbeat"}`: the feed is alive and had nothing else
    /// to send.
    Heartbeat,
    /// The answer to one of the client's pings
    /// ([`crate::ClientBuilder::ping_interval`]).
    Pong(Pong),
}
