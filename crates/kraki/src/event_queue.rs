//! A subscriber's queue: data bounded, connection events never dropped.
//!
//! A consumer that falls behind loses data, counted and reported as
//! [`Event::Lagged`]; it must not also lose the news that the connection
//! was lost and restored, that Kraken's status changed or that a sequence
//! gap happened, since only those tell it what the lost data means. So
//! only data counts against the capacity, and connection events always
//! go in, in order. They are few (a handful per reconnect, which the
//! backoff paces); a ceiling of [`CONTROL_RESERVE`] beyond the data keeps
//! a hostile server sending sequence gaps from growing the queue of a
//! consumer that stopped reading.
//!
//! A stream whose dropped data changed state the reader keeps (executions,
//! balances) also marks the queue: the reader's next take that leaves room
//! asks the connection for a fresh snapshot
//! ([`QueueReceiver::resync_due`]), so the snapshot comes when it can go
//! in, even if no other message would ever follow.

use crate::Event;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Connection events a queue takes beyond its data capacity.
pub(crate) const CONTROL_RESERVE: usize = 1024;

/// A queue for up to `capacity` data events (at least one).
pub(crate) fn channel<T>(capacity: usize) -> (QueueSender<T>, QueueReceiver<T>) {
    let (tx, rx) = flume::unbounded();
    let data = Arc::new(AtomicUsize::new(0));
    let resync = Arc::new(AtomicBool::new(false));
    let capacity = capacity.max(1);
    (
        QueueSender {
            tx,
            data: data.clone(),
            capacity,
            resync: resync.clone(),
        },
        QueueReceiver {
            rx,
            data,
            capacity,
            resync,
        },
    )
}

/// The connection's end.
pub(crate) struct QueueSender<T> {
    tx: flume::Sender<Event<T>>,
    /// Data events queued and not yet taken.
    data: Arc<AtomicUsize>,
    capacity: usize,
    /// Set when dropped data calls for a fresh snapshot.
    resync: Arc<AtomicBool>,
}

impl<T> QueueSender<T> {
    /// Dropped data changed the reader's state: it should ask for a fresh
    /// snapshot once it has room.
    pub(crate) fn want_resync(&self) {
        self.resync.store(true, Ordering::Release);
    }

    /// Whether a data event fits.
    pub(crate) fn has_room(&self) -> bool {
        self.data.load(Ordering::Acquire) < self.capacity
    }

    /// Whether a connection event fits: always, short of a consumer that
    /// left [`CONTROL_RESERVE`] of them unread.
    pub(crate) fn has_control_room(&self) -> bool {
        self.tx.len() < self.capacity + CONTROL_RESERVE
    }

    /// Queues `event`; a data event only counts against the capacity
    /// (check [`Self::has_room`] first). False once the receiver is gone.
    pub(crate) fn send(&self, event: Event<T>) -> bool {
        let data = matches!(event, Event::Data(_));
        if data {
            self.data.fetch_add(1, Ordering::AcqRel);
        }
        let sent = self.tx.send(event).is_ok();
        if data && !sent {
            self.data.fetch_sub(1, Ordering::AcqRel);
        }
        sent
    }
}

/// The subscriber's end.
pub(crate) struct QueueReceiver<T> {
    rx: flume::Receiver<Event<T>>,
    data: Arc<AtomicUsize>,
    capacity: usize,
    resync: Arc<AtomicBool>,
}

impl<T> QueueReceiver<T> {
    /// Whether to ask for a fresh snapshot now: dropped data called for
    /// one, and there is room for it. Answers `true` once per request.
    pub(crate) fn resync_due(&self) -> bool {
        self.resync.load(Ordering::Relaxed)
            && self.data.load(Ordering::Acquire) < self.capacity
            && self.resync.swap(false, Ordering::AcqRel)
    }

    /// Frees the room a taken data event held.
    pub(crate) fn taken(&self, event: Option<Event<T>>) -> Option<Event<T>> {
        if matches!(event, Some(Event::Data(_))) {
            self.data.fetch_sub(1, Ordering::AcqRel);
        }
        event
    }

    pub(crate) fn recv(&self) -> Option<Event<T>> {
        self.taken(self.rx.recv().ok())
    }

    pub(crate) fn recv_timeout(&self, timeout: std::time::Duration) -> Option<Event<T>> {
        self.taken(self.rx.recv_timeout(timeout).ok())
    }

    pub(crate) fn try_recv(&self) -> Option<Event<T>> {
        self.taken(self.rx.try_recv().ok())
    }

    pub(crate) async fn recv_async(&self) -> Option<Event<T>> {
        self.taken(self.rx.recv_async().await.ok())
    }

    /// The queue as a stream; pass what it yields through [`Self::taken`].
    pub(crate) fn stream(&self) -> flume::r#async::RecvStream<'static, Event<T>>
    where
        T: 'static,
    {
        self.rx.clone().into_stream()
    }

    /// Events queued, data and connection events alike.
    pub(crate) fn len(&self) -> usize {
        self.rx.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_data_counts_against_the_capacity() {
        let (tx, rx) = channel::<u32>(2);
        assert!(tx.send(Event::Data(1)));
        assert!(tx.send(Event::Data(2)));
        assert!(!tx.has_room());
        assert!(tx.send(Event::Reconnecting));
        assert!(tx.send(Event::Lagged(3)));
        assert!(!tx.has_room());
        assert_eq!(rx.try_recv(), Some(Event::Data(1)));
        assert!(tx.has_room());
        assert_eq!(rx.try_recv(), Some(Event::Data(2)));
        assert_eq!(rx.try_recv(), Some(Event::Reconnecting));
        assert_eq!(rx.try_recv(), Some(Event::Lagged(3)));
        assert_eq!(rx.try_recv(), None);
        drop(rx);
        assert!(!tx.send(Event::Data(3)));
        assert!(tx.has_room());
    }

    #[test]
    fn a_resync_is_due_once_there_is_room_and_only_once() {
        let (tx, rx) = channel::<u32>(1);
        assert!(!rx.resync_due());
        tx.send(Event::Data(1));
        tx.want_resync();
        assert!(!rx.resync_due(), "no room for a snapshot yet");
        assert_eq!(rx.try_recv(), Some(Event::Data(1)));
        assert!(rx.resync_due());
        assert!(!rx.resync_due());
    }

    #[test]
    fn connection_events_stop_at_the_reserve() {
        let (tx, _rx) = channel::<u32>(2);
        for _ in 0..2 + CONTROL_RESERVE {
            assert!(tx.has_control_room());
            tx.send(Event::Reconnecting);
        }
        assert!(!tx.has_control_room());
    }
}
