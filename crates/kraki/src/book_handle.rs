//! `client.book(symbol, depth)`: a verified L2 book that keeps itself in
//! sync, readable from any thread.

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
    state: watch::Receiver<Arc<BookState>>,
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
        let state = self.state.borrow();
        f.debug_struct("BookHandle")
            .field("symbol", state.book.symbol())
            .field("status", &state.status)
            .finish_non_exhaustive()
    }
}

impl BookHandle {
    /// The book as last published.
    pub fn state(&self) -> Arc<BookState> {
        self.state.borrow().clone()
    }

    /// Waits until the book changes.
    ///
    /// Cancel safety: cancel safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once the book task has ended (client closed).
    pub async fn changed(&mut self) -> Result<Arc<BookState>, Error> {
        self.state.changed().await.map_err(|_| Error::Closed)?;
        Ok(self.state.borrow_and_update().clone())
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
        let (state_tx, state) = watch::channel(initial.clone());
        let (events_tx, events) = flume::bounded(self.queue_capacity());
        let task = tokio::spawn(run(subscription, initial, state_tx, events_tx));
        Ok(BookHandle {
            state,
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
    mut subscription: Subscription<BookUpdate>,
    initial: Arc<BookState>,
    state_tx: watch::Sender<Arc<BookState>>,
    events: flume::Sender<BookEvent>,
) {
    let mut state = (*initial).clone();
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
        match event {
            Event::Data(update) => {
                let before = state.status;
                match state.book.apply(update.kind, &update.book) {
                    Ok(Verification::Skipped) => continue,
                    Ok(Verification::Verified) => {
                        state.verified += 1;
                        state.status = BookStatus::Live;
                        emit(applied(
                            &state.book,
                            update.kind,
                            update.book.checksum,
                            true,
                        ));
                    }
                    Ok(Verification::Mismatch { expected, computed }) => {
                        state.mismatches += 1;
                        emit(BookEvent::Applied {
                            kind: update.kind,
                            checksum: expected,
                            computed,
                            ok: false,
                            best_bid: state.book.best_bid(),
                            best_ask: state.book.best_ask(),
                        });
                        resync(
                            &mut state,
                            &subscription,
                            &mut emit,
                            format!("checksum mismatch: expected {expected}, computed {computed}"),
                        );
                    }
                    Err(e) => resync(&mut state, &subscription, &mut emit, e.to_string()),
                }
                if state.status != before || state.status == BookStatus::Live {
                    state_tx.send_replace(Arc::new(state.clone()));
                }
            }
            Event::Reconnecting => {
                state.status = BookStatus::Reconnecting;
                emit(BookEvent::Reconnecting);
                state_tx.send_replace(Arc::new(state.clone()));
            }
            Event::Reconnected => {
                state.status = BookStatus::Syncing;
                emit(BookEvent::Reconnected);
                state_tx.send_replace(Arc::new(state.clone()));
            }
            // The engine's state does not change the book itself.
            Event::Status(_) => {}
            Event::Lagged(n) => {
                // Missed updates make the book wrong: start over.
                resync(
                    &mut state,
                    &subscription,
                    &mut emit,
                    format!("{n} updates dropped"),
                );
                state_tx.send_replace(Arc::new(state.clone()));
            }
        }
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

fn resync(
    state: &mut BookState,
    subscription: &Subscription<BookUpdate>,
    emit: &mut impl FnMut(BookEvent),
    reason: String,
) {
    tracing::warn!(symbol = %state.book.symbol(), %reason, "book out of sync; resubscribing");
    state.status = BookStatus::Resyncing;
    state.resyncs += 1;
    emit(BookEvent::Resyncing { reason });
    subscription.resync();
}
