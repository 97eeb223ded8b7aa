//! The client side of RFC 6455, as much as Kraken needs: the opening
//! handshake, text frames both ways, pings answered, fragments joined,
//! the closing handshake. No extensions are offered, so frames are never
//! compressed.
//!
//! Why our own: the reader parses frames in place in one 64 KiB buffer
//! and hands each text message out as a `&str` into it. A general
//! WebSocket crate copies each message out of its buffer into an owned
//! one and reads only what fits in its own 8 KiB; on a feed of book
//! updates that framing was a sixth of the client's CPU.

mod frame;
pub(crate) mod handshake;
mod socket;
mod stream;

pub(crate) use socket::{Frame, Socket};
pub(crate) use stream::Stream;

#[cfg(test)]
mod tests;
