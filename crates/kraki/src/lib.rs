//! kraki: the Kraken WebSocket v2 client.
//!
//! The async client (connection driver, typed subscriptions, fan-in and
//! fan-out, reconnects, verified books, trading) is being built on top of
//! [`kraki_proto`], which is re-exported here as [`proto`] so that users
//! need one dependency.

pub use kraki_proto as proto;
