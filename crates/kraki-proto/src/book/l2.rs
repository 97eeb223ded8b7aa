//! The level 2 book: price levels per side, verified on every message.

use super::{BookError, Checksum, Precision, write_digits};
use crate::channels::{BookData, PriceLevel};
use crate::{Decimal, MessageType, Symbol};
use std::collections::VecDeque;

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
    pub fn is_verified(self) -> bool {
        self == Verification::Verified
    }
}

/// A level in integer units of the pair's precision, with its checksum
/// text rendered once when it changes rather than at every checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Units {
    price: i64,
    qty: i64,
    /// Price digits then quantity digits, as the checksum writes them.
    text: [u8; 40],
    text_len: u8,
}

impl Units {
    fn new(price: i64, qty: i64) -> Units {
        let mut text = [0u8; 40];
        let mut digits = [0u8; 20];
        // Both are non-negative: checked when converted.
        let p = write_digits(price.unsigned_abs(), &mut digits);
        text[..p].copy_from_slice(&digits[..p]);
        let q = write_digits(qty.unsigned_abs(), &mut digits);
        text[p..p + q].copy_from_slice(&digits[..q]);
        Units {
            price,
            qty,
            text,
            text_len: (p + q) as u8,
        }
    }

    fn text(&self) -> &[u8] {
        &self.text[..usize::from(self.text_len)]
    }
}

/// One side, sorted so that the best level is at the back: inserts and
/// deletes happen mostly near the top of the book, and truncation drops
/// from the front, both cheap in a `VecDeque`.
#[derive(Debug, Clone, Default)]
struct Side {
    levels: VecDeque<Units>,
    /// Bids rank by price, asks by negated price.
    bid: bool,
}

impl Side {
    fn rank(&self, price: i64) -> i64 {
        if self.bid { price } else { -price }
    }

    fn set(&mut self, price: i64, qty: i64) {
        let rank = self.rank(price);
        let found = self
            .levels
            .binary_search_by_key(&rank, |l| if self.bid { l.price } else { -l.price });
        match (found, qty) {
            (Ok(i), 0) => {
                self.levels.remove(i);
            }
            (Ok(i), _) => self.levels[i] = Units::new(price, qty),
            (Err(_), 0) => {}
            (Err(i), _) => self.levels.insert(i, Units::new(price, qty)),
        }
    }

    fn truncate(&mut self, depth: usize) {
        while self.levels.len() > depth {
            self.levels.pop_front();
        }
    }

    /// Best first.
    fn best_first(&self) -> impl Iterator<Item = &Units> {
        self.levels.iter().rev()
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
}

impl L2Book {
    /// An empty book. Precision is required: without it no checksum can be
    /// verified (take it from the `instrument` channel or REST AssetPairs).
    pub fn new(symbol: impl Into<Symbol>, precision: Precision, depth: usize) -> Self {
        L2Book {
            symbol: symbol.into(),
            precision,
            depth: depth.max(1),
            bids: Side {
                levels: VecDeque::with_capacity(depth + 1),
                bid: true,
            },
            asks: Side {
                levels: VecDeque::with_capacity(depth + 1),
                bid: false,
            },
            in_sync: false,
        }
    }

    /// The pair.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// The precisions levels are kept at.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Levels kept per side.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// True after a verified snapshot and until a checksum mismatch or an
    /// error.
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
        if data.symbol != self.symbol {
            return Err(BookError::WrongSymbol {
                expected: self.symbol.to_string(),
                got: data.symbol.to_string(),
            });
        }
        match kind {
            MessageType::Snapshot => {
                self.bids.levels.clear();
                self.asks.levels.clear();
                self.in_sync = true;
            }
            MessageType::Update if !self.in_sync => return Ok(Verification::Skipped),
            MessageType::Update => {}
        }
        if let Err(e) = self.apply_levels(&data.bids, &data.asks) {
            self.in_sync = false;
            return Err(e);
        }
        let computed = self.checksum();
        if computed == data.checksum {
            Ok(Verification::Verified)
        } else {
            self.in_sync = false;
            Ok(Verification::Mismatch {
                expected: data.checksum,
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
    pub fn checksum(&self) -> u32 {
        let mut sum = Checksum::new();
        for side in [&self.asks, &self.bids] {
            for l in side.best_first().take(10) {
                sum.push_bytes(l.text());
            }
        }
        sum.finish()
    }

    fn level(&self, u: &Units) -> Level {
        Level {
            price: Decimal::new(u.price, self.precision.price).unwrap_or_default(),
            qty: Decimal::new(u.qty, self.precision.qty).unwrap_or_default(),
        }
    }

    /// Bids, best (highest) first.
    pub fn bids(&self) -> impl Iterator<Item = Level> + '_ {
        self.bids.best_first().map(|u| self.level(u))
    }

    /// Asks, best (lowest) first.
    pub fn asks(&self) -> impl Iterator<Item = Level> + '_ {
        self.asks.best_first().map(|u| self.level(u))
    }

    /// The best bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids().next()
    }

    /// The best ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks().next()
    }

    /// Best ask minus best bid.
    pub fn spread(&self) -> Option<Decimal> {
        self.best_ask()?.price.checked_sub(self.best_bid()?.price)
    }

    /// Number of levels per side: (bids, asks).
    pub fn len(&self) -> (usize, usize) {
        (self.bids.levels.len(), self.asks.levels.len())
    }

    /// True when both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.levels.is_empty() && self.asks.levels.is_empty()
    }
}

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
