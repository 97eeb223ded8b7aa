//! The handle a subscriber holds: an async `Stream` and a blocking
//! receiver in one, that unsubscribes when the last holder drops it.

use crate::Event;
use crate::command::{Command, SubId};
use crate::event_queue::QueueReceiver;
use futures_util::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// A typed subscription. Consume it as an async [`Stream`] of
/// [`Event`]s, or from a plain thread with [`Subscription::recv`].
///
/// Dropping it releases the subscription: when no other local subscriber
/// shares the same wire subscription, the client unsubscribes.
pub struct Subscription<T: 'static> {
    stream: flume::r#async::RecvStream<'static, Event<T>>,
    rx: QueueReceiver<T>,
    id: SubId,
    commands: mpsc::UnboundedSender<Command>,
}

impl<T: 'static> Subscription<T> {
    pub(crate) fn new(
        rx: QueueReceiver<T>,
        id: SubId,
        commands: mpsc::UnboundedSender<Command>,
    ) -> Self {
        Subscription {
            stream: rx.stream(),
            rx,
            id,
            commands,
        }
    }

    /// Blocks the current thread until the next event. `None` once the
    /// client is closed. Do not call it from async code; use the `Stream`.
    pub fn recv(&self) -> Option<Event<T>> {
        self.resync_if_due(self.rx.recv())
    }

    /// Like [`Subscription::recv`], giving up after `timeout`.
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Option<Event<T>> {
        self.resync_if_due(self.rx.recv_timeout(timeout))
    }

    /// The next event if one is queued, without waiting.
    pub fn try_recv(&self) -> Option<Event<T>> {
        self.resync_if_due(self.rx.try_recv())
    }

    /// Waits for the next event. `None` once the client is closed.
    ///
    /// Cancel safety: cancel safe; an event is only taken when the future
    /// completes.
    pub async fn next_event(&self) -> Option<Event<T>> {
        self.resync_if_due(self.rx.recv_async().await)
    }

    /// Asks for a fresh snapshot when dropped data called for one and the
    /// queue has room again (executions, balances).
    fn resync_if_due(&self, event: Option<Event<T>>) -> Option<Event<T>> {
        if self.rx.resync_due() {
            let _ = self.commands.send(Command::Resync(self.id));
        }
        event
    }

    /// Unsubscribes now (the same as dropping the handle): the wire
    /// subscription ends when no other local subscriber shares it.
    pub fn unsubscribe(self) {
        drop(self);
    }

    /// Asks Kraken for a fresh snapshot: unsubscribes and subscribes again.
    /// Every local subscriber sharing the wire subscription receives the
    /// new snapshot.
    pub fn resync(&self) {
        let _ = self.commands.send(Command::Resync(self.id));
    }

    /// Events queued and not yet taken.
    pub fn queued(&self) -> usize {
        self.rx.len()
    }
}

impl<T: 'static> Stream for Subscription<T> {
    type Item = Event<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event<T>>> {
        let polled = Pin::new(&mut self.stream).poll_next(cx);
        polled.map(|event| self.resync_if_due(self.rx.taken(event)))
    }
}

impl<T: 'static> Drop for Subscription<T> {
    fn drop(&mut self) {
        // The driver may already be gone (client closed); nothing to release then.
        let _ = self.commands.send(Command::Release(self.id));
    }
}

impl<T: 'static> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("queued", &self.rx.len())
            .finish()
    }
}

/// Releases a local subscriber when dropped, for handles that are not a
/// [`Subscription`] (the verified book).
pub(crate) struct Release {
    id: SubId,
    commands: mpsc::UnboundedSender<Command>,
}

impl Release {
    pub(crate) fn new(id: SubId, commands: mpsc::UnboundedSender<Command>) -> Self {
        Release { id, commands }
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        // The driver may already be gone (client closed); nothing to release then.
        let _ = self.commands.send(Command::Release(self.id));
    }
}
