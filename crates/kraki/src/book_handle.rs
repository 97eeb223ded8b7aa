//! `client.book(symbol, depth)`: a verified L2 book that keeps itself in
//! sync, readable from any thread.

use crate::published::{Changes, Published};
use crate::sink::{Control, Deliver, Delivered};
use crate::spec::{Book, Instrument, Subscribe};
use crate::subscription::Release;
use crate::{Client, Error, Event};
use futures_util::StreamExt;
use kraki_proto::book::{BookUpdate, L2Book, Level, Precision, Verification};
use kraki_proto::{Inbound, MessageType};
use std::sync::Arc;

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

/// A handle to a verified book. Cheap to read from any thread; the
/// subscription is released when the handle is dropped.
///
/// The connection's reader applies each message to the book as it
/// arrives (no queue, no task hop in between), so the book never lags;
/// only the [`BookEvent`] queue can, which [`BookEvent::Lagged`] reports.
pub struct BookHandle {
    published: Arc<Published<BookState>>,
    changes: Changes<BookState>,
    events: flume::Receiver<BookEvent>,
    _release: Release,
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
    /// [`Error::Closed`] once no more changes can come (the client closed).
    pub async fn changed(&mut self) -> Result<Arc<BookState>, Error> {
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
        let precision = self.precision_of(symbol).await?;
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
        let sink = BookSink {
            published: published.clone(),
            events: events_tx,
            lagged: 0,
        };
        let params = Book::new([symbol]).depth(depth).params();
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

/// The book as the connection's reader sees it: applies every message in
/// place, publishes the state, and asks for a snapshot whenever the book
/// cannot be trusted.
struct BookSink {
    published: Arc<Published<BookState>>,
    events: flume::Sender<BookEvent>,
    /// Events the reader of [`BookHandle::next_event`] missed, not yet told.
    lagged: u64,
}

impl Drop for BookSink {
    /// The driver drops the sink when the subscription is released or the
    /// client closes: no more changes will come.
    fn drop(&mut self) {
        self.published.close();
    }
}

impl BookSink {
    /// Queues an event without ever waiting: a full queue counts it, and
    /// the count goes out as `Lagged` before the next event that fits.
    fn emit(&mut self, event: BookEvent) {
        if self.lagged > 0 && self.events.try_send(BookEvent::Lagged(self.lagged)).is_ok() {
            self.lagged = 0;
        }
        if self.lagged > 0 || self.events.try_send(event).is_err() {
            self.lagged += 1;
        }
    }
}

impl BookSink {
    /// Applies one item, publishes the state and reports the event; when
    /// the book can no longer be trusted, says it wants a snapshot.
    fn apply(&mut self, kind: MessageType, update: &BookUpdate<'_>) -> Delivered {
        let (event, resync_reason) = self.published.update(|state| on_data(state, kind, update));
        if let Some(event) = event {
            self.emit(event);
        }
        let Some(reason) = resync_reason else {
            return Delivered::Done;
        };
        let symbol = self.published.update(|state| {
            state.status = BookStatus::Resyncing;
            state.resyncs += 1;
            state.book.symbol().clone()
        });
        tracing::warn!(%symbol, %reason, "book out of sync; resubscribing");
        self.emit(BookEvent::Resyncing { reason });
        Delivered::WantsSnapshot
    }
}

impl Deliver for BookSink {
    fn deliver(&mut self, msg: &Inbound, symbol: Option<&str>) -> Delivered {
        let Inbound::Book(m) = msg else {
            return Delivered::Done;
        };
        let Some(data) = m.data.iter().find(|b| Some(b.symbol.as_str()) == symbol) else {
            return Delivered::Done;
        };
        self.apply(m.kind, &BookUpdate::from(data))
    }

    fn reads(&self, channel: &str) -> bool {
        channel == "book"
    }

    fn takes_in_place(&self) -> bool {
        true
    }

    fn deliver_book(&mut self, kind: MessageType, update: &BookUpdate<'_>) -> Delivered {
        self.apply(kind, update)
    }

    fn control(&mut self, control: Control) {
        let event = self.published.update(|state| match control {
            Control::Reconnecting => {
                state.status = BookStatus::Reconnecting;
                Some(BookEvent::Reconnecting)
            }
            Control::Reconnected => {
                state.status = BookStatus::Syncing;
                Some(BookEvent::Reconnected)
            }
            // The engine's state does not change the book itself.
            Control::Status(_) | Control::Gap { .. } => None,
        });
        if let Some(event) = event {
            self.emit(event);
        }
    }
}

/// Applies one book message; returns the event to report and, when the
/// book can no longer be trusted, why.
fn on_data(
    state: &mut BookState,
    kind: MessageType,
    update: &BookUpdate<'_>,
) -> (Option<BookEvent>, Option<String>) {
    match state.book.apply_update(kind, update) {
        Ok(Verification::Skipped) => (None, None),
        Ok(Verification::Verified) => {
            state.verified += 1;
            state.status = BookStatus::Live;
            // Verified: the book's checksum is the one Kraken sent.
            let event = BookEvent::Applied {
                kind,
                checksum: update.checksum,
                computed: update.checksum,
                ok: true,
                best_bid: state.book.best_bid(),
                best_ask: state.book.best_ask(),
            };
            (Some(event), None)
        }
        Ok(Verification::Mismatch { expected, computed }) => {
            state.mismatches += 1;
            let event = BookEvent::Applied {
                kind,
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
