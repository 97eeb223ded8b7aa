//! The verified book as the connection's reader sees it, for L2
//! (`client.book`) and level3 (`client.level3_book`) alike: it applies
//! every message in place, publishes the state, reports what happened,
//! and asks for a fresh snapshot whenever the book cannot be trusted.

use crate::book_state::{BookEvent, BookState, BookStatus};
use crate::connection_event::ConnectionEvent;
use crate::published::Published;
use crate::sink::{Deliver, Delivered};
use kraki_proto::book::{BookError, BookView, L2Book, L3Book, Level, Level3View, Verification};
use kraki_proto::{Channel, Inbound, MessageType, Symbol};
use std::sync::Arc;

mod sealed {
    pub trait Sealed {}
    impl Sealed for kraki_proto::book::L2Book {}
    impl Sealed for kraki_proto::book::L3Book {}
}

/// A book kraki keeps verified: [`L2Book`] (`Client::book`) or
/// [`L3Book`] (`Client::level3_book`). Sealed: implemented by those two
/// only.
pub trait VerifiedBook: sealed::Sealed + std::fmt::Debug + Clone + Send + Sync + 'static {
    /// One symbol's item of a message, borrowed.
    #[doc(hidden)]
    type Update<'a>;
    /// The channel its messages come on.
    #[doc(hidden)]
    const CHANNEL: Channel;
    #[doc(hidden)]
    fn pair(&self) -> &Symbol;
    #[doc(hidden)]
    fn apply(
        &mut self,
        kind: MessageType,
        update: &Self::Update<'_>,
    ) -> Result<Verification, BookError>;
    /// The checksum Kraken sent with `update`.
    #[doc(hidden)]
    fn sent_checksum(update: &Self::Update<'_>) -> u32;
    /// Best bid and best ask (level3: the first level's total).
    #[doc(hidden)]
    fn best(&self) -> (Option<Level>, Option<Level>);
    /// The item for `symbol` in a decoded message.
    #[doc(hidden)]
    fn item<'m>(msg: &'m Inbound, symbol: Option<&str>) -> Option<(MessageType, Self::Update<'m>)>;
    /// A book frame's item parsed in place, if it is this book's kind.
    #[doc(hidden)]
    fn from_book<'v, 'a>(view: &'v BookView<'a>) -> Option<&'v Self::Update<'a>>;
    /// A level3 frame's item parsed in place, if it is this book's kind.
    #[doc(hidden)]
    fn from_level3<'v, 'a>(view: &'v Level3View<'a>) -> Option<&'v Self::Update<'a>>;
}

impl VerifiedBook for L2Book {
    type Update<'a> = BookView<'a>;
    const CHANNEL: Channel = Channel::Book;

    fn pair(&self) -> &Symbol {
        self.symbol()
    }

    fn apply(
        &mut self,
        kind: MessageType,
        update: &BookView<'_>,
    ) -> Result<Verification, BookError> {
        self.apply_update(kind, update)
    }

    fn sent_checksum(update: &BookView<'_>) -> u32 {
        update.checksum
    }

    fn best(&self) -> (Option<Level>, Option<Level>) {
        (self.best_bid(), self.best_ask())
    }

    fn item<'m>(msg: &'m Inbound, symbol: Option<&str>) -> Option<(MessageType, BookView<'m>)> {
        let Inbound::Book(m) = msg else { return None };
        let data = m.data.iter().find(|b| Some(b.symbol.as_str()) == symbol)?;
        Some((m.kind, BookView::from(data)))
    }

    fn from_book<'v, 'a>(view: &'v BookView<'a>) -> Option<&'v BookView<'a>> {
        Some(view)
    }

    fn from_level3<'v, 'a>(_view: &'v Level3View<'a>) -> Option<&'v BookView<'a>> {
        None
    }
}

impl VerifiedBook for L3Book {
    type Update<'a> = Level3View<'a>;
    const CHANNEL: Channel = Channel::Level3;

    fn pair(&self) -> &Symbol {
        self.symbol()
    }

    fn apply(
        &mut self,
        kind: MessageType,
        update: &Level3View<'_>,
    ) -> Result<Verification, BookError> {
        self.apply_update(kind, update)
    }

    fn sent_checksum(update: &Level3View<'_>) -> u32 {
        update.checksum
    }

    fn best(&self) -> (Option<Level>, Option<Level>) {
        let level = |l: kraki_proto::book::L3Level| Level {
            price: l.price,
            qty: l.total,
        };
        (self.bids().next().map(level), self.asks().next().map(level))
    }

    fn item<'m>(msg: &'m Inbound, symbol: Option<&str>) -> Option<(MessageType, Level3View<'m>)> {
        let Inbound::Level3(m) = msg else { return None };
        let data = m.data.iter().find(|d| Some(d.symbol.as_str()) == symbol)?;
        Some((m.kind, Level3View::from(data)))
    }

    fn from_book<'v, 'a>(_view: &'v BookView<'a>) -> Option<&'v Level3View<'a>> {
        None
    }

    fn from_level3<'v, 'a>(view: &'v Level3View<'a>) -> Option<&'v Level3View<'a>> {
        Some(view)
    }
}

pub(crate) struct VerifiedSink<B: VerifiedBook> {
    published: Arc<Published<BookState<B>>>,
    events: flume::Sender<BookEvent>,
    /// Events the handle's reader missed, not yet told.
    lagged: u64,
}

impl<B: VerifiedBook> VerifiedSink<B> {
    pub(crate) fn new(
        published: Arc<Published<BookState<B>>>,
        events: flume::Sender<BookEvent>,
    ) -> Self {
        VerifiedSink {
            published,
            events,
            lagged: 0,
        }
    }

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

    /// Applies one item, publishes the state and reports the event; when
    /// the book can no longer be trusted, says it wants a snapshot.
    fn apply(&mut self, kind: MessageType, update: &B::Update<'_>) -> Delivered {
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
            state.book.pair().clone()
        });
        tracing::warn!(%symbol, channel = %B::CHANNEL, %reason, "book out of sync; resubscribing");
        self.emit(BookEvent::Resyncing { reason });
        Delivered::WantsSnapshot
    }
}

impl<B: VerifiedBook> Drop for VerifiedSink<B> {
    /// The connection drops the sink when the subscription is released or
    /// the client closes: no more changes will come.
    fn drop(&mut self) {
        self.published.close();
    }
}

/// Applies one message; returns the event to report and, when the book
/// can no longer be trusted, why.
fn on_data<B: VerifiedBook>(
    state: &mut BookState<B>,
    kind: MessageType,
    update: &B::Update<'_>,
) -> (Option<BookEvent>, Option<String>) {
    let (checksum, computed, reason) = match state.book.apply(kind, update) {
        Ok(Verification::Skipped) => return (None, None),
        Ok(Verification::Verified) => {
            state.verified += 1;
            state.status = BookStatus::Live;
            // Verified: the book's checksum is the one Kraken sent.
            let sent = B::sent_checksum(update);
            (sent, sent, None)
        }
        Ok(Verification::Mismatch { expected, computed }) => {
            state.mismatches += 1;
            let reason = format!("checksum mismatch: expected {expected}, computed {computed}");
            (expected, computed, Some(reason))
        }
        Err(e) => return (None, Some(e.to_string())),
    };
    let (best_bid, best_ask) = state.book.best();
    let event = BookEvent::Applied {
        kind,
        checksum,
        computed,
        ok: reason.is_none(),
        best_bid,
        best_ask,
    };
    (Some(event), reason)
}

impl<B: VerifiedBook> Deliver for VerifiedSink<B> {
    fn deliver(&mut self, msg: &Inbound, symbol: Option<&str>) -> Delivered {
        match B::item(msg, symbol) {
            Some((kind, update)) => self.apply(kind, &update),
            None => Delivered::Done,
        }
    }

    fn control(&mut self, control: ConnectionEvent) {
        self.on_control(control);
    }

    fn reads(&self, channel: &Channel) -> bool {
        *channel == B::CHANNEL
    }

    fn takes_in_place(&self) -> bool {
        true
    }

    fn deliver_book(&mut self, kind: MessageType, update: &BookView<'_>) -> Delivered {
        match B::from_book(update) {
            Some(update) => self.apply(kind, update),
            None => Delivered::Done,
        }
    }

    fn deliver_level3(&mut self, kind: MessageType, update: &Level3View<'_>) -> Delivered {
        match B::from_level3(update) {
            Some(update) => self.apply(kind, update),
            None => Delivered::Done,
        }
    }
}

impl<B: VerifiedBook> VerifiedSink<B> {
    fn on_control(&mut self, control: ConnectionEvent) {
        let event = self.published.update(|state| match control {
            ConnectionEvent::Reconnecting => {
                state.status = BookStatus::Reconnecting;
                Some(BookEvent::Reconnecting)
            }
            ConnectionEvent::Reconnected => {
                state.status = BookStatus::Syncing;
                Some(BookEvent::Reconnected)
            }
            // The engine's state does not change the book itself; the
            // connection never reports its own lag to a sink.
            _ => None,
        });
        if let Some(event) = event {
            self.emit(event);
        }
    }
}
