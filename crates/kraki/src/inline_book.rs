//! Verified books whose callback the socket reader runs itself: each
//! message is parsed in place, applied and checksummed, and the callback
//! sees the book at once, with no queue, no copy of the book and no
//! hand-over to another task. The lowest-latency way to follow a book.

use crate::book_outlet::BookOutlet;
use crate::book_state::{BookEvent, BookState, BookStatus};
use crate::inline::InlineSubscription;
use crate::verified_book::{VerifiedBook, WarmStage};
use crate::verified_sink::VerifiedSink;
use crate::{Client, Error};
use kraki_proto::Timestamp;
use kraki_proto::book::{L2Book, L3Book};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What an inline book's callback sees: the book as it stands and the
/// event that just happened to it.
#[derive(Debug, Clone, Copy)]
pub struct InlineBook<'a, B: VerifiedBook = L2Book> {
    state: &'a BookState<B>,
    event: &'a BookEvent,
    timestamp: Option<Timestamp>,
    item: Option<&'a str>,
}

impl<'a, B: VerifiedBook> InlineBook<'a, B> {
    /// The book, its status and its counts, after the event.
    #[must_use]
    pub fn state(&self) -> &'a BookState<B> {
        self.state
    }

    /// What happened: a message applied (`Applied`, with its checksums
    /// and the best levels), a resync asked for, a reconnect. Never
    /// `Lagged`: nothing is queued.
    #[must_use]
    pub fn event(&self) -> &'a BookEvent {
        self.event
    }

    /// The exchange's timestamp of the message just applied, for
    /// `Applied` events of messages that carry one.
    #[must_use]
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.timestamp
    }

    /// For `Applied` events, the message's item for this pair as Kraken
    /// sent it: the JSON object in the frame's `data`, the bytes that were
    /// parsed and verified, so it can be passed on without being written
    /// again (`{"channel":"book","type":…,"data":[ITEM]}` is the pair's
    /// frame). `None` for other events, and when the frame was decoded
    /// rather than read in place (something else on the connection reads
    /// book messages decoded: a `Book` subscription, an `on` handler).
    #[must_use]
    pub fn item_text(&self) -> Option<&'a str> {
        self.item
    }
}

/// The reader's end of an inline book: the state itself (no lock, no
/// copy: only the reader touches it) and the callback.
struct InlineOutlet<B: VerifiedBook, F> {
    state: BookState<B>,
    callback: F,
    broken: bool,
}

impl<B, F> BookOutlet<B> for InlineOutlet<B, F>
where
    B: VerifiedBook,
    F: FnMut(InlineBook<'_, B>) + Send + 'static,
{
    fn update<R>(&mut self, change: impl FnOnce(&mut BookState<B>) -> R) -> R {
        change(&mut self.state)
    }

    fn warm(&self, stage: WarmStage) {
        self.state.book.warm(stage);
    }

    fn emit(&mut self, event: BookEvent, timestamp: Option<Timestamp>, item: Option<&str>) {
        if self.broken {
            return;
        }
        let view = InlineBook {
            state: &self.state,
            event: &event,
            timestamp,
            item,
        };
        // A panic must not take the connection, and every other
        // subscriber, down with it.
        let callback = &mut self.callback;
        if catch_unwind(AssertUnwindSafe(|| callback(view))).is_err() {
            self.broken = true;
            tracing::error!(
                symbol = %self.state.book.pair(),
                channel = %B::CHANNEL,
                "an inline book's callback panicked; it is not called again"
            );
        }
    }
}

impl Client {
    /// A verified L2 book of `depth` levels per side whose `callback` the
    /// connection's reader runs after every message, as
    /// [`Client::book`] keeps it (resynced on a checksum mismatch), but
    /// with no [`crate::BookHandle`] in between: the frame is parsed in
    /// place and applied, and the callback sees the book at once. The
    /// lowest latency kraki offers.
    ///
    /// The callback **must not block** and should be quick: while it runs,
    /// nothing else on this connection is read. Hand work that takes time
    /// to another task. A callback that panics is not called again (the
    /// book and the connection go on). Dropping the returned
    /// [`InlineSubscription`] unsubscribes.
    ///
    /// ```no_run
    /// # async fn run(client: kraki::Client) -> Result<(), kraki::Error> {
    /// use kraki::BookEvent;
    /// let _book = client
    ///     .book_inline("BTC/USD", 10, |book| {
    ///         if let BookEvent::Applied { best_bid, best_ask, .. } = book.event() {
    ///             println!("{best_bid:?} / {best_ask:?} at {:?}", book.timestamp());
    ///         }
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn book_inline<F>(
        &self,
        symbol: &str,
        depth: u32,
        callback: F,
    ) -> Result<InlineSubscription, Error>
    where
        F: FnMut(InlineBook<'_>) + Send + 'static,
    {
        let (book, params) = self.new_book(symbol, depth).await?;
        self.verified_inline(book, params, callback).await
    }

    /// [`Client::book_inline`] for the level3 book (order by order, on
    /// the authenticated level3 connection), as [`Client::level3_book`]
    /// keeps it.
    pub async fn level3_book_inline<F>(
        &self,
        symbol: &str,
        depth: u32,
        callback: F,
    ) -> Result<InlineSubscription, Error>
    where
        F: FnMut(InlineBook<'_, L3Book>) + Send + 'static,
    {
        let (book, params) = self.new_level3_book(symbol, depth).await?;
        self.verified_inline(book, params, callback).await
    }

    async fn verified_inline<B, F>(
        &self,
        book: B,
        params: kraki_proto::SubscribeParams,
        callback: F,
    ) -> Result<InlineSubscription, Error>
    where
        B: VerifiedBook,
        F: FnMut(InlineBook<'_, B>) + Send + 'static,
    {
        let outlet = InlineOutlet {
            state: BookState {
                status: BookStatus::Syncing,
                book,
                verified: 0,
                mismatches: 0,
                resyncs: 0,
            },
            callback,
            broken: false,
        };
        let id = self
            .attach(params, Box::new(VerifiedSink::new(outlet)))
            .await?;
        Ok(InlineSubscription::new(self.release_on_drop(id)))
    }
}
