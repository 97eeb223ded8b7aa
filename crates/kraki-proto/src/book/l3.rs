//! The level3 book: every visible order, per price level in queue order,
//! verified with the level3 checksum.

use super::{BookError, Checksum, Precision, Verification};
use crate::channels::{Level3Data, Level3Event, Level3Order};
use crate::{Decimal, MessageType, OrderId, Symbol};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The orders at one price, oldest first, with their total.
#[derive(Debug, Clone, Default)]
struct PriceQueue {
    orders: VecDeque<(OrderId, i64)>,
    total: i64,
}

/// One side: price units → queue.
#[derive(Debug, Clone, Default)]
struct Side {
    levels: BTreeMap<i64, PriceQueue>,
    bid: bool,
}

impl Side {
    /// Price levels best first.
    fn best_first(&self) -> Box<dyn Iterator<Item = (&i64, &PriceQueue)> + '_> {
        if self.bid {
            Box::new(self.levels.iter().rev())
        } else {
            Box::new(self.levels.iter())
        }
    }

    /// Drops the worst levels beyond `depth`; returns the orders dropped.
    fn truncate(&mut self, depth: usize) -> Vec<OrderId> {
        let mut dropped = Vec::new();
        while self.levels.len() > depth {
            let worst = if self.bid {
                self.levels.pop_first()
            } else {
                self.levels.pop_last()
            };
            if let Some((_, queue)) = worst {
                dropped.extend(queue.orders.into_iter().map(|(id, _)| id));
            }
        }
        dropped
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
    index: HashMap<OrderId, (bool, i64)>,
    in_sync: bool,
}

impl L3Book {
    /// An empty book; precision is required to verify checksums.
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
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// True after a verified snapshot and until a mismatch or an error.
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
                self.index.clear();
                self.in_sync = true;
            }
            MessageType::Update if !self.in_sync => return Ok(Verification::Skipped),
            MessageType::Update => {}
        }
        let applied = data
            .bids
            .iter()
            .map(|o| (true, o))
            .chain(data.asks.iter().map(|o| (false, o)))
            .try_for_each(|(bid, order)| self.apply_order(bid, order));
        if let Err(e) = applied {
            self.in_sync = false;
            return Err(e);
        }
        for id in self.bids.truncate(self.depth) {
            self.index.remove(&id);
        }
        for id in self.asks.truncate(self.depth) {
            self.index.remove(&id);
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

    fn apply_order(&mut self, bid: bool, order: &Level3Order) -> Result<(), BookError> {
        let price = units("limit_price", order.limit_price, self.precision.price)?;
        let qty = units("order_qty", order.order_qty, self.precision.qty)?;
        match order.event.clone().unwrap_or(Level3Event::Add) {
            Level3Event::Delete => self.remove(&order.order_id),
            Level3Event::Modify => {
                if !self.modify(&order.order_id, bid, price, qty) {
                    // Not known (e.g. it was beyond the window): treat as new.
                    self.add(order.order_id.clone(), bid, price, qty);
                }
            }
            // An add for a known id replaces it, at the back of the queue.
            _ => {
                self.remove(&order.order_id);
                self.add(order.order_id.clone(), bid, price, qty);
            }
        }
        Ok(())
    }

    fn side(&mut self, bid: bool) -> &mut Side {
        if bid { &mut self.bids } else { &mut self.asks }
    }

    fn add(&mut self, id: OrderId, bid: bool, price: i64, qty: i64) {
        let queue = self.side(bid).levels.entry(price).or_default();
        queue.orders.push_back((id.clone(), qty));
        queue.total += qty;
        self.index.insert(id, (bid, price));
    }

    fn modify(&mut self, id: &OrderId, bid: bool, price: i64, qty: i64) -> bool {
        let Some(&(was_bid, was_price)) = self.index.get(id) else {
            return false;
        };
        if was_bid != bid || was_price != price {
            // A price change is a new order at the back of the new queue.
            self.remove(id);
            self.add(id.clone(), bid, price, qty);
            return true;
        }
        let Some(queue) = self.side(bid).levels.get_mut(&price) else {
            return false;
        };
        if let Some(entry) = queue.orders.iter_mut().find(|(o, _)| o == id) {
            queue.total += qty - entry.1;
            entry.1 = qty;
        }
        true
    }

    fn remove(&mut self, id: &OrderId) {
        let Some((bid, price)) = self.index.remove(id) else {
            return;
        };
        let side = self.side(bid);
        if let Some(queue) = side.levels.get_mut(&price) {
            if let Some(pos) = queue.orders.iter().position(|(o, _)| o == id) {
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
    pub fn checksum(&self) -> u32 {
        let mut sum = Checksum::new();
        for side in [&self.asks, &self.bids] {
            for (price, queue) in side.best_first().take(10) {
                for (_, qty) in &queue.orders {
                    sum.push_level(price.unsigned_abs(), qty.unsigned_abs());
                }
            }
        }
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
                .map(|(id, q)| (id.clone(), dec(*q, self.precision.qty)))
                .collect(),
        }
    }

    /// Bid levels, best first.
    pub fn bids(&self) -> impl Iterator<Item = L3Level> + '_ {
        self.bids.best_first().map(|(p, q)| self.level(*p, q))
    }

    /// Ask levels, best first.
    pub fn asks(&self) -> impl Iterator<Item = L3Level> + '_ {
        self.asks.best_first().map(|(p, q)| self.level(*p, q))
    }

    /// An order's place in its price queue: (orders ahead, quantity ahead).
    pub fn queue_position(&self, id: &OrderId) -> Option<(usize, Decimal)> {
        let (bid, price) = *self.index.get(id)?;
        let side = if bid { &self.bids } else { &self.asks };
        let queue = side.levels.get(&price)?;
        let pos = queue.orders.iter().position(|(o, _)| o == id)?;
        let ahead: i64 = queue.orders.iter().take(pos).map(|(_, q)| q).sum();
        Some((
            pos,
            Decimal::new(ahead, self.precision.qty).unwrap_or_default(),
        ))
    }

    /// Number of orders in the book.
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
