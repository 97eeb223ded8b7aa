//! The level3 book: every visible order, per price level in queue order,
//! verified with the level3 checksum.

use super::checksum::{SLACK, write_units};
use super::{BookError, Checksum, Level3OrderRef, Level3View, Precision, Verification};
use crate::channels::{Level3Data, Level3Event};
use crate::{Decimal, MessageType, OrderId, Symbol};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The orders at one price, oldest first, with their total.
#[derive(Debug, Clone, Default)]
struct PriceQueue {
    orders: VecDeque<(Box<str>, i64)>,
    total: i64,
}

/// One side: price units → queue.
#[derive(Debug, Clone, Default)]
struct Side {
    levels: BTreeMap<i64, PriceQueue>,
    bid: bool,
}

impl Side {
    /// Drops the worst levels beyond `depth`, calling `dropped` with the id
    /// of every order that goes with them.
    fn truncate(&mut self, depth: usize, mut dropped: impl FnMut(&str)) {
        while self.levels.len() > depth {
            let worst = if self.bid {
                self.levels.pop_first()
            } else {
                self.levels.pop_last()
            };
            if let Some((_, queue)) = worst {
                queue.orders.iter().for_each(|(id, _)| dropped(id));
            }
        }
    }

    /// Appends every order of the top ten levels to the checksum; each
    /// level's price is written once.
    fn checksum_into(&self, sum: &mut Checksum) {
        let mut price_digits = [0u8; 20 + SLACK];
        let mut push = |price: i64, queue: &PriceQueue| {
            let len = write_units(&mut price_digits, 0, price.unsigned_abs());
            for &(_, qty) in &queue.orders {
                sum.push_digits(&price_digits[..len]);
                sum.push_units(qty.unsigned_abs());
            }
        };
        if self.bid {
            self.levels
                .iter()
                .rev()
                .take(10)
                .for_each(|(p, q)| push(*p, q));
        } else {
            self.levels.iter().take(10).for_each(|(p, q)| push(*p, q));
        }
    }
}

/// A price level of a level3 book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L3Level {
    /// The price.
    pub price: Decimal,
    /// Sum of the visible quantities.
    pub total: Decimal,
    /// Orders in queue order: id and visible quantity.
    pub orders: Vec<(OrderId, Decimal)>,
}

/// An order-by-order book for one pair, kept at the subscribed depth (in
/// price levels) and checked against Kraken's level3 checksum.
#[derive(Debug, Clone)]
pub struct L3Book {
    symbol: Symbol,
    precision: Precision,
    depth: usize,
    bids: Side,
    asks: Side,
    /// order id → (is bid, price units).
    index: HashMap<Box<str>, (bool, i64)>,
    in_sync: bool,
}

impl L3Book {
    /// An empty book; precision is required to verify checksums.
    #[must_use]
    pub fn new(symbol: impl Into<Symbol>, precision: Precision, depth: usize) -> Self {
        L3Book {
            symbol: symbol.into(),
            precision,
            depth: depth.max(1),
            bids: Side {
                levels: BTreeMap::new(),
                bid: true,
            },
            asks: Side {
                levels: BTreeMap::new(),
                bid: false,
            },
            index: HashMap::new(),
            in_sync: false,
        }
    }

    /// The pair.
    #[must_use]
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// The precisions prices and quantities are kept at.
    #[must_use]
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Price levels kept per side.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// True after a verified snapshot and until a mismatch or an error.
    #[must_use]
    pub fn is_in_sync(&self) -> bool {
        self.in_sync
    }

    /// Applies a snapshot or an update (`add` appends to the back of the
    /// price's queue, `modify` changes the quantity in place, `delete`
    /// removes), truncates to the depth and verifies the checksum.
    ///
    /// # Errors
    /// A [`BookError`] for values that do not fit the precision or another
    /// pair's message; the book is then out of sync.
    pub fn apply(
        &mut self,
        kind: MessageType,
        data: &Level3Data,
    ) -> Result<Verification, BookError> {
        self.apply_update(kind, &Level3View::from(data))
    }

    /// [`L3Book::apply`] on a borrowed message item, as the allocation-free
    /// [`FrameParser`](super::FrameParser) gives it.
    ///
    /// # Errors
    /// As [`L3Book::apply`].
    pub fn apply_update(
        &mut self,
        kind: MessageType,
        update: &Level3View<'_>,
    ) -> Result<Verification, BookError> {
        if self.symbol != update.symbol {
            return Err(BookError::WrongSymbol {
                expected: self.symbol.to_string(),
                got: update.symbol.to_owned(),
            });
        }
        match kind {
            MessageType::Snapshot => {
                self.bids.levels.clear();
                self.asks.levels.clear();
                self.index.clear();
                self.in_sync = true;
            }
            MessageType::Update if !self.in_sync => return Ok(Verification::Skipped),
            MessageType::Update => {}
        }
        let applied = update
            .bids
            .iter()
            .map(|o| (true, o))
            .chain(update.asks.iter().map(|o| (false, o)))
            .try_for_each(|(bid, order)| self.apply_order(bid, &order));
        if let Err(e) = applied {
            self.in_sync = false;
            return Err(e);
        }
        let index = &mut self.index;
        self.bids.truncate(self.depth, |id| {
            index.remove(id);
        });
        self.asks.truncate(self.depth, |id| {
            index.remove(id);
        });
        let computed = self.checksum();
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

    fn apply_order(&mut self, bid: bool, order: &Level3OrderRef<'_>) -> Result<(), BookError> {
        let price = units("limit_price", order.limit_price, self.precision.price)?;
        let qty = units("order_qty", order.order_qty, self.precision.qty)?;
        let id = order.order_id;
        match order.event {
            Some(Level3Event::Delete) => self.remove(id),
            Some(Level3Event::Modify) => {
                if !self.modify(id, bid, price, qty)? {
                    // Not known (e.g. it was beyond the window): treat as new.
                    self.add(id, bid, price, qty)?;
                }
            }
            // A snapshot's order, an add, or an event this version does not
            // know: the order as given, at the back of its queue (an add
            // for a known id replaces it).
            _ => {
                self.remove(id);
                self.add(id, bid, price, qty)?;
            }
        }
        Ok(())
    }

    fn side(&mut self, bid: bool) -> &mut Side {
        if bid { &mut self.bids } else { &mut self.asks }
    }

    /// The error for a level whose quantities no longer sum to an `i64`.
    fn overflow(&self, price: i64) -> BookError {
        BookError::LevelTotalOverflow {
            price: Decimal::new(price, self.precision.price).unwrap_or_default(),
            precision: self.precision.qty,
        }
    }

    /// Appends an order to its price's queue. The total is checked before
    /// anything changes: quantities come from the wire and any of them may
    /// be as large as the precision allows.
    fn add(&mut self, id: &str, bid: bool, price: i64, qty: i64) -> Result<(), BookError> {
        let before = self.side(bid).levels.get(&price).map_or(0, |q| q.total);
        let Some(total) = before.checked_add(qty) else {
            return Err(self.overflow(price));
        };
        let queue = self.side(bid).levels.entry(price).or_default();
        queue.orders.push_back((id.into(), qty));
        queue.total = total;
        self.index.insert(id.into(), (bid, price));
        Ok(())
    }

    /// Changes a known order's quantity in place (or moves it on a price
    /// change); `false` when the order is not in the book.
    fn modify(&mut self, id: &str, bid: bool, price: i64, qty: i64) -> Result<bool, BookError> {
        let Some(&(was_bid, was_price)) = self.index.get(id) else {
            return Ok(false);
        };
        if was_bid != bid || was_price != price {
            // A price change is a new order at the back of the new queue.
            self.remove(id);
            self.add(id, bid, price, qty)?;
            return Ok(true);
        }
        let Some(queue) = self.side(bid).levels.get_mut(&price) else {
            return Ok(false);
        };
        if let Some(entry) = queue.orders.iter_mut().find(|(o, _)| &**o == id) {
            // Quantities are never negative, so the total without this
            // order is at least zero and only the addition can overflow.
            let Some(total) = (queue.total - entry.1).checked_add(qty) else {
                return Err(self.overflow(price));
            };
            queue.total = total;
            entry.1 = qty;
        }
        Ok(true)
    }

    fn remove(&mut self, id: &str) {
        let Some((bid, price)) = self.index.remove(id) else {
            return;
        };
        let side = self.side(bid);
        if let Some(queue) = side.levels.get_mut(&price) {
            if let Some(pos) = queue.orders.iter().position(|(o, _)| &**o == id) {
                if let Some((_, qty)) = queue.orders.remove(pos) {
                    queue.total -= qty;
                }
            }
            if queue.orders.is_empty() {
                side.levels.remove(&price);
            }
        }
    }

    /// The level3 checksum of the book as it stands.
    #[must_use]
    pub fn checksum(&self) -> u32 {
        let mut sum = Checksum::new();
        self.asks.checksum_into(&mut sum);
        self.bids.checksum_into(&mut sum);
        sum.finish()
    }

    fn level(&self, price: i64, queue: &PriceQueue) -> L3Level {
        let dec = |u: i64, p: u8| Decimal::new(u, p).unwrap_or_default();
        L3Level {
            price: dec(price, self.precision.price),
            total: dec(queue.total, self.precision.qty),
            orders: queue
                .orders
                .iter()
                .map(|(id, q)| (OrderId::from(&**id), dec(*q, self.precision.qty)))
                .collect(),
        }
    }

    /// Bid levels, best first, with their orders and totals.
    pub fn bids(&self) -> impl Iterator<Item = L3Level> + '_ {
        self.bids
            .levels
            .iter()
            .rev()
            .map(|(p, q)| self.level(*p, q))
    }

    /// Ask levels, best first, with their orders and totals.
    pub fn asks(&self) -> impl Iterator<Item = L3Level> + '_ {
        self.asks.levels.iter().map(|(p, q)| self.level(*p, q))
    }

    /// Number of price levels per side: (bids, asks).
    #[must_use]
    pub fn len(&self) -> (usize, usize) {
        (self.bids.levels.len(), self.asks.levels.len())
    }

    /// True when there are no orders.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// An order's place in its price queue: (orders ahead, quantity ahead).
    #[must_use]
    pub fn queue_position(&self, id: &OrderId) -> Option<(usize, Decimal)> {
        let (bid, price) = *self.index.get(id.as_str())?;
        let side = if bid { &self.bids } else { &self.asks };
        let queue = side.levels.get(&price)?;
        let pos = queue.orders.iter().position(|(o, _)| &**o == id.as_str())?;
        // A prefix of a queue whose total fits, with no negative quantity:
        // the sum fits too.
        let ahead: i64 = queue.orders.iter().take(pos).map(|(_, q)| q).sum();
        Some((
            pos,
            Decimal::new(ahead, self.precision.qty).unwrap_or_default(),
        ))
    }

    /// Number of orders in the book.
    #[must_use]
    pub fn order_count(&self) -> usize {
        self.index.len()
    }
}

fn units(what: &'static str, value: Decimal, precision: u8) -> Result<i64, BookError> {
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
}
