//! Where a verified book's state and events go. A [`crate::BookHandle`]
//! reads them from another task: the state is published and the events
//! queue ([`HandleOutlet`]). An inline book (`Client::book_inline`) hands
//! them to a callback on the reader itself.

use crate::book_state::{BookEvent, BookState};
use crate::published::Published;
use crate::verified_book::{VerifiedBook, WarmStage};
use kraki_proto::Timestamp;
use std::sync::Arc;

/// The receiving end of a verified sink.
pub(crate) trait BookOutlet<B: VerifiedBook>: Send + 'static {
    /// Changes the state.
    fn update<R>(&mut self, change: impl FnOnce(&mut BookState<B>) -> R) -> R;
    /// Reports an event, with the exchange's timestamp of the message
    /// that caused it, when there is one, and the message's item as it
    /// stands in the frame, when the frame was read in place.
    fn emit(&mut self, event: BookEvent, timestamp: Option<Timestamp>, text: Option<&str>);
    /// Loads the book the next update changes (see `connection::warm`);
    /// nothing where the book is behind a lock.
    fn warm(&self, _stage: WarmStage) {}
}

/// A handle's end: the published state and a bounded event queue.
pub(crate) struct HandleOutlet<B: VerifiedBook> {
    published: Arc<Published<BookState<B>>>,
    events: flume::Sender<BookEvent>,
    /// Events the handle's reader missed, not yet told.
    lagged: u64,
}

impl<B: VerifiedBook> HandleOutlet<B> {
    pub(crate) fn new(
        published: Arc<Published<BookState<B>>>,
        events: flume::Sender<BookEvent>,
    ) -> Self {
        HandleOutlet {
            published,
            events,
            lagged: 0,
        }
    }
}

impl<B: VerifiedBook> BookOutlet<B> for HandleOutlet<B> {
    fn update<R>(&mut self, change: impl FnOnce(&mut BookState<B>) -> R) -> R {
        self.published.update(change)
    }

    /// Queues an event without ever waiting: a full queue counts it, and
    /// the count goes out as `Lagged` before the next event that fits.
    fn emit(&mut self, event: BookEvent, _timestamp: Option<Timestamp>, _text: Option<&str>) {
        if self.lagged > 0 && self.events.try_send(BookEvent::Lagged(self.lagged)).is_ok() {
            self.lagged = 0;
        }
        if self.lagged > 0 || self.events.try_send(event).is_err() {
            self.lagged += 1;
        }
    }
}

impl<B: VerifiedBook> Drop for HandleOutlet<B> {
    /// The connection drops the sink when the subscription is released or
    /// the client closes: no more changes will come.
    fn drop(&mut self) {
        self.published.close();
    }
}
