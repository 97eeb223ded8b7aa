//! `client.book(symbol, depth)`: a verified L2 book that keeps itself in
//! sync, readable from any thread.

use crate::published::Published;
use crate::spec::{Book, BookUpdate, Instrument};
use crate::{Client, Error, Event, Subscription};
use futures_util::StreamExt;
use kraki_proto::MessageType;
use kraki_proto::book::{L2Book, Level, Precision, Verification};
use std::sync::Arc;
use tokio::sync::watch;

/// Where a book stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BookStatus {
    /// Waiting for the first snapshot.
    Syncing,
    /// Verified: the last message's checksum matched.
    Live,
    /// A checksum mismatched (or a message could not be applied); a fresh
    /// snapshot has been asked for. The levels shown are stale.
    Resyncing,
    /// The connection is being re-established. The levels shown are stale.
    Reconnecting,
}

/// The book as last published.
#[derive(Debug, Clone)]
pub struct BookState {
    /// Where the book stands.
    pub status: BookStatus,
    /// The levels (valid when `status` is `Live`).
    pub book: L2Book,
    /// Messages verified so far.
    pub verified: u64,
    /// Checksum mismatches so far.
    pub mismatches: u64,
    /// Fresh snapshots asked for so far.
    pub resyncs: u64,
}

/// One thing that happened to the book, in order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BookEvent {
    /// A message was applied.
    Applied {
        /// Snapshot or update.
        kind: MessageType,
        /// The checksum Kraken sent.
        checksum: u32,
        /// The checksum of the book after applying it.
        computed: u32,
        /// Whether they matched.
        ok: bool,
        /// Best bid afterwards.
        best_bid: Option<Level>,
        /// Best ask afterwards.
        best_ask: Option<Level>,
    },
    /// The book lost sync and asked for a fresh snapshot; `reason` says why.
    Resyncing {
        /// e.g. `checksum mismatch: expected 1, computed 2`.
        reason: String,
    },
    /// The connection dropped.
    Reconnecting,
    /// The connection is back; a snapshot follows.
    Reconnected,
    /// The reader of these events fell behind by this many events (the
    /// book itself is unaffected).
    Lagged(u64),
}

/// A handle to a verified book. Cheap to read from any thread; the book
/// task stops when the handle is dropped.
pub struct BookHandle {
    published: Arc<Published<BookState>>,
    changes: watch::Receiver<u64>,
    events: flume::Receiver<BookEvent>,
    task: tokio::task::AbortHandle,
}

impl Drop for BookHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for BookHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.published.read();
        f.debug_struct("BookHandle")
            .field("symbol", state.book.symbol())
            .field("status", &state.status)
            .finish_non_exhaustive()
    }
}

impl BookHandle {
    /// The book as last published.
    pub fn state(&self) -> Arc<BookState> {
        self.published.read()
    }

    /// Waits until the book changes.
    ///
    /// Cancel safety: cancel safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once the book task has ended (client closed).
    pub async fn changed(&mut self) -> Result<Arc<BookState>, Error> {
        self.changes.changed().await.map_err(|_| Error::Closed)?;
        self.changes.borrow_and_update();
        Ok(self.published.read())
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
        let precision = self.precision_of(symbol).await?;
        let subscription = self.subscribe(Book::new([symbol]).depth(depth)).await?;
        let book = L2Book::new(symbol, precision, depth as usize);
        let initial = Arc::new(BookState {
            status: BookStatus::Syncing,
            book,
            verified: 0,
            mismatches: 0,
            resyncs: 0,
        });
        let (published, changes) = Published::new(initial);
        let (events_tx, events) = flume::bounded(self.queue_capacity());
        let task = tokio::spawn(run(subscription, published.clone(), events_tx));
        Ok(BookHandle {
            published,
            changes,
            events,
            task: task.abort_handle(),
        })
    }

    async fn precision_of(&self, symbol: &str) -> Result<Precision, Error> {
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

/// The book task: applies every message, publishes the state, and asks
/// for a snapshot whenever the book cannot be trusted.
async fn run(
    subscription: Subscription<BookUpdate>,
    published: Arc<Published<BookState>>,
    events: flume::Sender<BookEvent>,
) {
    let mut subscription = subscription;
    let mut lagged = 0u64;
    let mut emit = |event: BookEvent| {
        if lagged > 0 && events.try_send(BookEvent::Lagged(lagged)).is_ok() {
            lagged = 0;
        }
        if lagged > 0 || events.try_send(event).is_err() {
            lagged += 1;
        }
    };
    while let Some(event) = subscription.next().await {
        // What to do after the book is released: tell the reader, and
        // perhaps ask for a fresh snapshot.
        let (event, resync_reason) = published.update(|state| match event {
            Event::Data(update) => on_data(state, &update),
            Event::Reconnecting => {
                state.status = BookStatus::Reconnecting;
                (Some(BookEvent::Reconnecting), None)
            }
            Event::Reconnected => {
                state.status = BookStatus::Syncing;
                (Some(BookEvent::Reconnected), None)
            }
            // The engine's state does not change the book itself.
            Event::Status(_) | Event::Gap { .. } => (None, None),
            // Missed updates make the book wrong: start over.
            Event::Lagged(n) => (None, Some(format!("{n} updates dropped"))),
        });
        if let Some(event) = event {
            emit(event);
        }
        if let Some(reason) = resync_reason {
            let symbol = published.update(|state| {
                state.status = BookStatus::Resyncing;
                state.resyncs += 1;
                state.book.symbol().clone()
            });
            tracing::warn!(%symbol, %reason, "book out of sync; resubscribing");
            emit(BookEvent::Resyncing { reason });
            subscription.resync();
        }
    }
}

/// Applies one book message; returns the event to report and, when the
/// book can no longer be trusted, why.
fn on_data(state: &mut BookState, update: &BookUpdate) -> (Option<BookEvent>, Option<String>) {
    match state.book.apply(update.kind, &update.book) {
        Ok(Verification::Skipped) => (None, None),
        Ok(Verification::Verified) => {
            state.verified += 1;
            state.status = BookStatus::Live;
            let event = applied(&state.book, update.kind, update.book.checksum, true);
            (Some(event), None)
        }
        Ok(Verification::Mismatch { expected, computed }) => {
            state.mismatches += 1;
            let event = BookEvent::Applied {
                kind: update.kind,
                checksum: expected,
                computed,
                ok: false,
                best_bid: state.book.best_bid(),
                best_ask: state.book.best_ask(),
            };
            let reason = format!("checksum mismatch: expected {expected}, computed {computed}");
            (Some(event), Some(reason))
        }
        Err(e) => (None, Some(e.to_string())),
    }
}

fn applied(book: &L2Book, kind: MessageType, checksum: u32, ok: bool) -> BookEvent {
    BookEvent::Applied {
        kind,
        checksum,
        computed: book.checksum(),
        ok,
        best_bid: book.best_bid(),
        best_ask: book.best_ask(),
    }
}
