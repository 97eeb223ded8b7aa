//! kraki-sim: a local Kraken WebSocket v2 exchange.
//!
//! It speaks the wire protocol through [`kraki_proto`] (never through the
//! client crate, so that the client is tested against an independent peer).
//! The server itself comes with the simulator issue.

pub use kraki_proto as proto;
