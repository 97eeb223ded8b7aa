//! The books kraki keeps verified, L2 and level3, as the connection's
//! sinks see them: one trait, so one sink serves both.

use kraki_proto::book::{
    BookError, BookView, L2Book, L3Book, Level, Level3View, Precision, Verification,
};
use kraki_proto::{Channel, Inbound, MessageType, Symbol, Timestamp};

/// Which memory a warm-up loads: what a subscriber holds itself, or what
/// that points to, which can be loaded only after it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmStage {
    /// The subscriber's own memory (for a book, its sides).
    Near,
    /// What that memory points to (a book's levels).
    Far,
}

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
    /// An empty book of `symbol`, verified with `precision`, cut to
    /// `depth` levels per side.
    #[doc(hidden)]
    fn empty(symbol: &str, precision: Precision, depth: usize) -> Self;
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
    /// The timestamp Kraken sent with `update`.
    #[doc(hidden)]
    fn sent_timestamp(update: &Self::Update<'_>) -> Option<Timestamp>;
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
    /// Loads what the next update will read first, in two stages: the
    /// book itself, then what it points to (see `connection::warm`);
    /// nothing by default.
    #[doc(hidden)]
    fn warm(&self, _stage: WarmStage) {}
}

impl VerifiedBook for L2Book {
    type Update<'a> = BookView<'a>;
    const CHANNEL: Channel = Channel::Book;

    fn empty(symbol: &str, precision: Precision, depth: usize) -> Self {
        L2Book::new(symbol, precision, depth)
    }

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

    fn sent_timestamp(update: &BookView<'_>) -> Option<Timestamp> {
        update.timestamp
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

    fn warm(&self, stage: WarmStage) {
        match stage {
            WarmStage::Near => self.warm_sides(),
            WarmStage::Far => self.warm_levels(),
        }
    }
}

impl VerifiedBook for L3Book {
    type Update<'a> = Level3View<'a>;
    const CHANNEL: Channel = Channel::Level3;

    fn empty(symbol: &str, precision: Precision, depth: usize) -> Self {
        L3Book::new(symbol, precision, depth)
    }

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

    fn sent_timestamp(update: &Level3View<'_>) -> Option<Timestamp> {
        update.timestamp
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
