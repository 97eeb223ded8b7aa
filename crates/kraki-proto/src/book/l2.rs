//! The level 2 book: price levels per side, verified on every message.

use super::l2_side::{Entry, Side, TEXT};
use super::{BookError, BookView, Precision};
use crate::channels::{BookData, PriceLevel};
use crate::{Decimal, MessageType, Symbol};

/// One price level, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// The price.
    pub price: Decimal,
    /// The quantity resting at it.
    pub qty: Decimal,
}

/// What applying a message found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Verification {
    /// The book's checksum equals the message's.
    Verified,
    /// It does not: the book is out of sync until the next snapshot.
    Mismatch {
        /// The checksum Kraken sent.
        expected: u32,
        /// The checksum of the book after applying the message.
        computed: u32,
    },
    /// An update for a book that is out of sync; not applied.
    Skipped,
}

impl Verification {
    /// True for [`Verification::Verified`].
    #[must_use]
    pub fn is_verified(self) -> bool {
        self == Verification::Verified
    }
}

/// An L2 book for one pair, kept at the subscribed depth and checked
/// against Kraken's checksum on every message.
#[derive(Debug, Clone)]
pub struct L2Book {
    symbol: Symbol,
    precision: Precision,
    depth: usize,
    bids: Side,
    asks: Side,
    in_sync: bool,
    /// The CRC32 state after the ask digits, valid while the asks have not
    /// changed: most updates touch one side only, and the bids' digits
    /// follow the asks' in the checksum. A copy goes on into the bids'.
    asks_crc: crc32fast::Hasher,
    /// A fresh CRC32 state. Making one asks the CPU for its features each
    /// time; copying this one does not.
    fresh_crc: crc32fast::Hasher,
}

impl L2Book {
    /// An empty book. Precision is required: without it no checksum can be
    /// verified (take it from the `instrument` channel or REST AssetPairs).
    #[must_use]
    pub fn new(symbol: impl Into<Symbol>, precision: Precision, depth: usize) -> Self {
        L2Book {
            symbol: symbol.into(),
            precision,
            depth: depth.max(1),
            bids: Side::new(true, depth),
            asks: Side::new(false, depth),
            in_sync: false,
            asks_crc: crc32fast::Hasher::new(),
            fresh_crc: crc32fast::Hasher::new(),
        }
    }

    /// The pair.
    #[must_use]
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// The precisions levels are kept at.
    #[must_use]
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Levels kept per side.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// True after a verified snapshot and until a checksum mismatch or an
    /// error.
    #[must_use]
    pub fn is_in_sync(&self) -> bool {
        self.in_sync
    }

    /// Applies a snapshot or update in message order (quantity 0 deletes),
    /// truncates each side to the depth, and verifies the checksum.
    ///
    /// # Errors
    /// A [`BookError`] for a value that does not fit the precision, a
    /// negative value, or another pair's message; the book is then out of
    /// sync until the next snapshot.
    pub fn apply(&mut self, kind: MessageType, data: &BookData) -> Result<Verification, BookError> {
        self.apply_update(kind, &BookView::from(data))
    }

    /// [`L2Book::apply`] on a borrowed message item, as the allocation-free
    /// [`FrameParser`](super::FrameParser) gives it.
    ///
    /// # Errors
    /// As [`L2Book::apply`].
    pub fn apply_update(
        &mut self,
        kind: MessageType,
        update: &BookView<'_>,
    ) -> Result<Verification, BookError> {
        if self.symbol != update.symbol {
            return Err(BookError::WrongSymbol {
                expected: self.symbol.to_string(),
                got: update.symbol.to_owned(),
            });
        }
        match kind {
            MessageType::Snapshot => {
                self.bids.clear();
                self.asks.clear();
                self.in_sync = true;
            }
            MessageType::Update if !self.in_sync => return Ok(Verification::Skipped),
            MessageType::Update => {}
        }
        if let Err(e) = self.apply_levels(update.bids, update.asks) {
            self.in_sync = false;
            return Err(e);
        }
        if self.asks.is_dirty() {
            self.asks_crc = self.fresh_crc.clone();
            self.asks_crc.update(self.asks.text());
        }
        // The CRC goes on from the asks' into the bids' digits.
        let mut crc = self.asks_crc.clone();
        crc.update(self.bids.text());
        let computed = crc.finalize();
        if computed == update.checksum {
            Ok(Verification::Verified)
        } else {
            self.in_sync = false;
            Ok(Verification::Mismatch {
                expected: update.checksum,
                computed,
            })
        }
    }

    fn apply_levels(&mut self, bids: &[PriceLevel], asks: &[PriceLevel]) -> Result<(), BookError> {
        let precision = self.precision;
        for level in bids {
            let (price, qty) = units(level, precision)?;
            self.bids.set(price, qty);
        }
        for level in asks {
            let (price, qty) = units(level, precision)?;
            self.asks.set(price, qty);
        }
        self.bids.truncate(self.depth);
        self.asks.truncate(self.depth);
        Ok(())
    }

    /// The checksum of the book as it stands (top ten levels per side).
    #[must_use]
    pub fn checksum(&self) -> u32 {
        let mut text = [0; TEXT];
        let mut crc = crc32fast::Hasher::new();
        for side in [&self.asks, &self.bids] {
            let len = side.write_text(&mut text);
            crc.update(&text[..len]);
        }
        crc.finalize()
    }

    fn level(&self, side: &Side, u: &Entry) -> Level {
        Level {
            price: Decimal::new(side.price(u.key), self.precision.price).unwrap_or_default(),
            qty: Decimal::new(u.qty, self.precision.qty).unwrap_or_default(),
        }
    }

    /// Bids, best (highest) first. `bids().take(n)` is the depth-`n` view.
    pub fn bids(&self) -> impl ExactSizeIterator<Item = Level> + '_ {
        self.bids
            .levels
            .iter()
            .rev()
            .map(|u| self.level(&self.bids, u))
    }

    /// Asks, best (lowest) first. `asks().take(n)` is the depth-`n` view.
    pub fn asks(&self) -> impl ExactSizeIterator<Item = Level> + '_ {
        self.asks
            .levels
            .iter()
            .rev()
            .map(|u| self.level(&self.asks, u))
    }

    /// The top `n` levels of each side, best first: `(bids, asks)`.
    #[must_use]
    pub fn top(&self, n: usize) -> (Vec<Level>, Vec<Level>) {
        (self.bids().take(n).collect(), self.asks().take(n).collect())
    }

    /// Loads the book's own memory that the next update reads (each
    /// side's checksum digits and where its levels are), changing
    /// nothing. A program keeping hundreds of books can warm the books of
    /// the next few updates one after another, first with this, then
    /// with [`L2Book::warm_levels`]: their cache misses then overlap,
    /// instead of each stalling the update that meets it.
    pub fn warm_sides(&self) {
        std::hint::black_box((self.bids.warm_text(), self.asks.warm_text(), &self.asks_crc));
    }

    /// Loads every level's price of both sides, changing nothing (see
    /// [`L2Book::warm_sides`]).
    pub fn warm_levels(&self) {
        std::hint::black_box((self.bids.warm_levels(), self.asks.warm_levels()));
    }

    /// The best bid.
    #[must_use]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids().next()
    }

    /// The best ask.
    #[must_use]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks().next()
    }

    /// Best ask minus best bid.
    #[must_use]
    pub fn spread(&self) -> Option<Decimal> {
        self.best_ask()?.price.checked_sub(self.best_bid()?.price)
    }

    /// Number of levels per side: (bids, asks).
    #[must_use]
    pub fn len(&self) -> (usize, usize) {
        (self.bids.levels.len(), self.asks.levels.len())
    }

    /// True when both sides are empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bids.levels.is_empty() && self.asks.levels.is_empty()
    }
}

#[inline]
fn units(level: &PriceLevel, precision: Precision) -> Result<(i64, i64), BookError> {
    let convert = |what, value: Decimal, precision| {
        if value.is_negative() {
            return Err(BookError::Negative { what, value });
        }
        value
            .to_units(precision)
            .ok_or(BookError::NotRepresentable {
                what,
                value,
                precision,
            })
    };
    Ok((
        convert("price", level.price, precision.price)?,
        convert("qty", level.qty, precision.qty)?,
    ))
}
