//! `client.book(symbol, depth)`: a verified L2 book that keeps itself in
//! sync, readable from any thread; and the handle that the level3 book
//! shares with it.

use crate::book_outlet::HandleOutlet;
use crate::book_state::{BookEvent, BookState, BookStatus};
use crate::published::{Changes, Published};
use crate::spec::{Book, Instrument, Subscribe};
use crate::subscription::Release;
use crate::verified_book::VerifiedBook;
use crate::verified_sink::VerifiedSink;
use crate::{Client, Error, Event};
use futures_util::StreamExt;
use kraki_proto::book::{L2Book, Precision};
use std::sync::Arc;

/// A handle to a verified book (L2 by default; level3 as
/// [`crate::Level3Handle`]). Cheap to read from any thread; the
/// subscription is released when the handle is dropped.
///
/// The connection's reader applies each message to the book as it
/// arrives (no queue, no task hop in between), so the book never lags;
/// only the [`BookEvent`] queue can, which [`BookEvent::Lagged`] reports.
pub struct BookHandle<B: VerifiedBook = L2Book> {
    published: Arc<Published<BookState<B>>>,
    changes: Changes<BookState<B>>,
    events: flume::Receiver<BookEvent>,
    _release: Release,
}

impl<B: VerifiedBook> std::fmt::Debug for BookHandle<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.published.read();
        f.debug_struct("BookHandle")
            .field("symbol", state.book.pair())
            .field("status", &state.status)
            .finish_non_exhaustive()
    }
}

impl<B: VerifiedBook> BookHandle<B> {
    /// The book as last published.
    pub fn state(&self) -> Arc<BookState<B>> {
        self.published.read()
    }

    /// Waits until the book changes.
    ///
    /// Cancel safety: cancel safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once no more changes can come (the client closed).
    pub async fn changed(&mut self) -> Result<Arc<BookState<B>>, Error> {
        self.changes.changed().await.ok_or(Error::Closed)
    }

    /// The next event, waiting for it. `None` once the client is closed.
    ///
    /// Cancel safety: cancel safe.
    pub async fn next_event(&self) -> Option<BookEvent> {
        self.events.recv_async().await.ok()
    }

    /// The next event, blocking the current thread.
    pub fn recv_event(&self) -> Option<BookEvent> {
        self.events.recv().ok()
    }
}

impl Client {
    /// A verified book of `symbol` at `depth` (10, 25, 100, 500, 1000).
    /// The precision comes from the `instrument` channel; the book checks
    /// every message's checksum and, on a mismatch, asks for a fresh
    /// snapshot for this symbol only, showing `Resyncing` meanwhile.
    ///
    /// Cancel safety: dropping the future releases what it subscribed.
    ///
    /// # Errors
    /// [`Error::UnknownSymbol`] when the instrument data has no such pair
    /// (a book without a known precision cannot be verified), and the
    /// errors of [`Client::subscribe`].
    pub async fn book(&self, symbol: &str, depth: u32) -> Result<BookHandle, Error> {
        let (book, params) = self.new_book(symbol, depth).await?;
        self.verified(book, params).await
    }

    /// An empty L2 book of `symbol` with its precision, and the params
    /// that subscribe it.
    pub(crate) async fn new_book(
        &self,
        symbol: &str,
        depth: u32,
    ) -> Result<(L2Book, kraki_proto::SubscribeParams), Error> {
        let precision = self.precision_of(symbol).await?;
        let book = L2Book::new(symbol, precision, depth as usize);
        Ok((book, Book::new([symbol]).depth(depth).params()))
    }

    /// Subscribes a verified sink keeping `book` with `params`.
    pub(crate) async fn verified<B: VerifiedBook>(
        &self,
        book: B,
        params: kraki_proto::SubscribeParams,
    ) -> Result<BookHandle<B>, Error> {
        let initial = Arc::new(BookState {
            status: BookStatus::Syncing,
            book,
            verified: 0,
            mismatches: 0,
            resyncs: 0,
        });
        let (published, changes) = Published::new(initial);
        let (events_tx, events) = flume::bounded(self.queue_capacity());
        let sink = VerifiedSink::new(HandleOutlet::new(published.clone(), events_tx));
        let id = self.attach(params, Box::new(sink)).await?;
        Ok(BookHandle {
            published,
            changes,
            events,
            _release: self.release_on_drop(id),
        })
    }

    async fn precision_of(&self, symbol: &str) -> Result<Precision, Error> {
        // The snapshot comes even when an instrument stream already holds
        // the wire subscription (and only to this subscriber): an update
        // may not come for days.
        let mut instruments = self.subscribe(Instrument::new()).await?;
        loop {
            match instruments.next().await {
                Some(Event::Data(update)) => {
                    return update
                        .data
                        .pairs
                        .iter()
                        .find(|p| p.symbol == symbol)
                        .map(Precision::from)
                        .ok_or_else(|| Error::UnknownSymbol(symbol.to_owned()));
                }
                Some(_) => {}
                None => return Err(Error::Closed),
            }
        }
    }
}
