//! The queue through which a connection's subscription forwarders hand
//! their frames to the one task that writes the socket.

use std::sync::Arc;
use tokio::sync::mpsc;

/// Frames a connection's forwarders may queue before they wait for the
/// socket.
const CAPACITY: usize = 1024;

/// A frame, or `None` when a feed lagged and the connection must drop its
/// client.
pub(crate) type QueuedFrame = Option<Arc<str>>;

/// Frames from feed forwarders; `None` means a feed lagged.
pub(crate) type FrameSender = mpsc::Sender<QueuedFrame>;

/// The connection task's end of the queue.
pub(crate) type FrameReceiver = mpsc::Receiver<QueuedFrame>;

/// A fresh queue for one connection.
pub(crate) fn frame_queue() -> (FrameSender, FrameReceiver) {
    mpsc::channel(CAPACITY)
}
