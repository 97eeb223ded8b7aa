//! One pair's market: a full-depth order book, order by order, moved by a
//! seeded random walk of new orders, cancels and trades. The price levels
//! (book), the queues (level3), the trades, candles and ticker all follow
//! from the same events, so every feed tells the same story.

use crate::history::{History, SpreadRec, TradeRec};
use crate::markets::PairSpec;
use crate::pair_status;
use crate::rng::Rng;
use kraki_proto::Side;
use kraki_proto::channels::PairStatus;
use std::collections::{BTreeMap, VecDeque};

/// Levels kept per side: enough for the deepest subscription (1000) plus
/// room for refills.
const FULL_DEPTH: usize = 1100;

/// A resting order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Order {
    /// Sequence number within the market; rendered as a Kraken order id.
    pub(crate) id: u64,
    /// Remaining quantity, in quantity units.
    pub(crate) qty: i64,
    /// When it was placed, nanoseconds since the epoch.
    pub(crate) at_ns: i128,
}

/// A price level: its total and its queue, oldest order first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Level {
    pub(crate) qty: i64,
    pub(crate) orders: VecDeque<Order>,
}

/// What one step changed.
#[derive(Debug, Default)]
pub(crate) struct Step {
    pub(crate) trades: Vec<TradeRec>,
    pub(crate) bbo_changed: bool,
    /// Levels the event added, resized or removed: (is bid, price).
    pub(crate) touched: Vec<(bool, i64)>,
}

/// The best bid and ask, (price, total) each, in units.
pub(crate) type Bbo = (Option<(i64, i64)>, Option<(i64, i64)>);

/// One pair's state.
pub(crate) struct Market {
    pub(crate) spec: PairSpec,
    /// Trading state, as `instrument` reports it; new orders are checked
    /// against it (see `pair_status`).
    pub(crate) status: PairStatus,
    /// Price units → level.
    pub(crate) bids: BTreeMap<i64, Level>,
    pub(crate) asks: BTreeMap<i64, Level>,
    pub(crate) history: History,
    /// The price the market gravitates to: a random walk that new orders
    /// are placed around and that takers trade towards, so that the price
    /// moves the way a chart does while the spread stays tight.
    pub(crate) fair: i64,
    start: i64,
    /// Mixed into order ids so that pairs do not share them.
    pub(crate) id_salt: u64,
    next_order: u64,
    next_trade_id: u64,
}

impl Market {
    /// A full book around the spec's start price; its orders are dated
    /// `now_ns`.
    pub(crate) fn new(spec: PairSpec, rng: &mut Rng, now_ns: i128) -> Market {
        let mid = spec.start_price.max(10_000);
        let mut market = Market {
            history: History::new(mid),
            fair: mid,
            start: mid,
            id_salt: rng.next_u64(),
            next_order: 1,
            next_trade_id: 1 + rng.below(1_000_000),
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            spec,
            status: PairStatus::Online,
        };
        let mut bid = mid - 1;
        let mut ask = mid + 1;
        for _ in 0..FULL_DEPTH {
            for (is_bid, price) in [(true, bid), (false, ask)] {
                for _ in 0..1 + rng.below(3) {
                    market.add_order(rng, is_bid, price, now_ns);
                }
            }
            bid -= 1 + rng.below(3) as i64;
            ask += 1 + rng.below(3) as i64;
        }
        market
    }

    /// The next public trade id.
    pub(crate) fn take_trade_id(&mut self) -> u64 {
        let id = self.next_trade_id;
        self.next_trade_id += 1;
        id
    }

    /// The last traded price, in price units.
    pub(crate) fn last_price(&self) -> i64 {
        self.history.last_price
    }

    pub(crate) fn best_bid(&self) -> Option<(i64, i64)> {
        self.bids.iter().next_back().map(|(p, l)| (*p, l.qty))
    }

    pub(crate) fn best_ask(&self) -> Option<(i64, i64)> {
        self.asks.iter().next().map(|(p, l)| (*p, l.qty))
    }

    /// Whether the best bid or ask differs from `before`; a change is
    /// remembered for REST `Spread`.
    pub(crate) fn note_bbo(&mut self, before: Bbo, now_ns: i128) -> bool {
        let after = (self.best_bid(), self.best_ask());
        if after == before {
            return false;
        }
        if let (Some((bid, _)), Some((ask, _))) = after {
            self.history.record_spread(SpreadRec {
                at: now_ns.div_euclid(1_000_000_000) as i64,
                bid,
                ask,
            });
        }
        true
    }

    fn side_mut(&mut self, bid: bool) -> &mut BTreeMap<i64, Level> {
        if bid { &mut self.bids } else { &mut self.asks }
    }

    fn add_order(&mut self, rng: &mut Rng, bid: bool, price: i64, now_ns: i128) {
        let qty = order_qty(&self.spec, rng);
        self.push_order(bid, price, qty, now_ns);
    }

    /// Adds an order of `qty` at the back of a level's queue.
    pub(crate) fn push_order(&mut self, bid: bool, price: i64, qty: i64, now_ns: i128) {
        let id = self.next_order;
        self.next_order += 1;
        let level = self.side_mut(bid).entry(price).or_default();
        level.qty += qty;
        level.orders.push_back(Order {
            id,
            qty,
            at_ns: now_ns,
        });
    }

    /// One random event: a new order near the top, a cancel, or a trade
    /// against the best level.
    pub(crate) fn step(&mut self, rng: &mut Rng, now_ns: i128) -> Step {
        let before = (self.best_bid(), self.best_ask());
        let mut step = Step::default();
        self.walk(rng);
        let roll = rng.below(100);
        let buy_side = rng.chance(50);
        // The same draws whatever the status, so that a pair's status
        // leaves the other pairs' sequence of events as it was.
        let allowed = pair_status::activity(&self.status);
        if roll < 45 {
            if allowed.orders {
                step.touched
                    .extend(self.place(rng, buy_side, now_ns).map(|p| (buy_side, p)));
            }
        } else if roll < 75 {
            if allowed.cancels {
                step.touched
                    .extend(self.cancel(rng, buy_side).map(|p| (buy_side, p)));
            }
        } else if allowed.trades
            && let Some(trade) = self.trade(rng, now_ns)
        {
            // A buyer takes from the asks, a seller from the bids.
            step.touched.push((trade.side == Side::Sell, trade.price));
            self.history.record(&trade);
            step.trades.push(trade);
        }
        // Far-end refills sit beyond every subscribable window.
        self.refill_far_end(rng, now_ns);
        step.bbo_changed = self.note_bbo(before, now_ns);
        step
    }

    /// Moves the fair price now and then by a step proportional to the
    /// price (a few ticks for every pair), pulled back when it has strayed
    /// more than 10 % from the start.
    fn walk(&mut self, rng: &mut Rng) {
        if !rng.chance(30) {
            return;
        }
        let unit = (self.fair / 50_000).max(1);
        let step = unit * (1 + rng.below(2) as i64);
        let up_percent = if self.fair < self.start * 9 / 10 {
            60
        } else if self.fair > self.start * 11 / 10 {
            40
        } else {
            50
        };
        if rng.chance(up_percent) {
            self.fair += step;
        } else {
            self.fair = (self.fair - step).max(2);
        }
    }

    /// A new order within 25 ticks of the fair price, never crossing the
    /// other side: the spread closes again after trades and cancels open
    /// it, and the book follows the fair price.
    fn place(&mut self, rng: &mut Rng, bid: bool, now_ns: i128) -> Option<i64> {
        let (Some((best_bid, _)), Some((best_ask, _))) = (self.best_bid(), self.best_ask()) else {
            return None;
        };
        let offset = rng.below(25) as i64;
        let price = if bid {
            (self.fair - 1 - offset).min(best_ask - 1)
        } else {
            (self.fair + 1 + offset).max(best_bid + 1)
        };
        if price <= 0 {
            return None;
        }
        self.add_order(rng, bid, price, now_ns);
        Some(price)
    }

    /// Cancels one order of one of the top 20 levels: often the level's
    /// only one, so levels come and go as well as change size.
    fn cancel(&mut self, rng: &mut Rng, bid: bool) -> Option<i64> {
        let skip = rng.below(20) as usize;
        let side = self.side_mut(bid);
        let price = if bid {
            side.keys().rev().nth(skip).copied()
        } else {
            side.keys().nth(skip).copied()
        }?;
        let level = side.get_mut(&price)?;
        let index = rng.below(level.orders.len() as u64) as usize;
        if let Some(order) = level.orders.remove(index) {
            level.qty -= order.qty;
        }
        if level.orders.is_empty() {
            side.remove(&price);
        }
        Some(price)
    }

    /// A taker order against the best level of the other side, filling its
    /// queue from the front: part of the level or all of it. Takers mostly
    /// buy asks below the fair price and sell to bids above it.
    fn trade(&mut self, rng: &mut Rng, now_ns: i128) -> Option<TradeRec> {
        let (best_bid, _) = self.best_bid()?;
        let (best_ask, _) = self.best_ask()?;
        let buy_percent = if best_ask < self.fair {
            80
        } else if best_bid > self.fair {
            20
        } else {
            50
        };
        let taker_buys = rng.chance(buy_percent);
        let (price, available) = if taker_buys {
            self.best_ask()?
        } else {
            self.best_bid()?
        };
        let qty = if rng.chance(40) {
            available
        } else {
            (available * (1 + rng.below(90) as i64) / 100).max(1)
        };
        let side = self.side_mut(!taker_buys);
        let level = side.get_mut(&price)?;
        let mut left = qty;
        while left > 0 {
            let Some(front) = level.orders.front_mut() else {
                break;
            };
            let fill = left.min(front.qty);
            front.qty -= fill;
            level.qty -= fill;
            left -= fill;
            if front.qty == 0 {
                level.orders.pop_front();
            }
        }
        if level.orders.is_empty() {
            side.remove(&price);
        }
        let trade = TradeRec {
            side: if taker_buys { Side::Buy } else { Side::Sell },
            price,
            qty,
            market_order: rng.chance(30),
            trade_id: self.take_trade_id(),
            at_ns: now_ns,
        };
        Some(trade)
    }

    /// Keeps each side deep enough for depth-1000 subscribers by adding
    /// levels of one order beyond the far end. A side emptied by a forced
    /// sweep restarts next to the fair price.
    pub(crate) fn refill_far_end(&mut self, rng: &mut Rng, now_ns: i128) {
        if self.bids.is_empty() {
            let top = self
                .best_ask()
                .map_or(self.fair, |(a, _)| a.min(self.fair + 1));
            if top > 1 {
                self.add_order(rng, true, top - 1, now_ns);
            }
        }
        if self.asks.is_empty() {
            let bottom = self
                .best_bid()
                .map_or(self.fair, |(b, _)| b.max(self.fair - 1));
            self.add_order(rng, false, bottom + 1, now_ns);
        }
        while self.bids.len() < FULL_DEPTH {
            let Some(&worst) = self.bids.keys().next() else {
                break;
            };
            let price = worst - 1 - rng.below(3) as i64;
            if price <= 0 {
                break;
            }
            self.add_order(rng, true, price, now_ns);
        }
        while self.asks.len() < FULL_DEPTH {
            let Some(&worst) = self.asks.keys().next_back() else {
                break;
            };
            let price = worst + 1 + rng.below(3) as i64;
            self.add_order(rng, false, price, now_ns);
        }
    }

    /// The top `depth` levels of a side as (price, total), best first.
    pub(crate) fn top(&self, bid: bool, depth: usize) -> Vec<(i64, i64)> {
        self.top_levels(bid, depth)
            .map(|(p, l)| (p, l.qty))
            .collect()
    }

    /// The top `depth` levels of a side, best first.
    pub(crate) fn top_levels(
        &self,
        bid: bool,
        depth: usize,
    ) -> Box<dyn Iterator<Item = (i64, &Level)> + '_> {
        if bid {
            Box::new(self.bids.iter().rev().take(depth).map(|(p, l)| (*p, l)))
        } else {
            Box::new(self.asks.iter().take(depth).map(|(p, l)| (*p, l)))
        }
    }
}

/// An order's size: at least the pair's minimum, up to its typical size.
fn order_qty(spec: &PairSpec, rng: &mut Rng) -> i64 {
    let typical = spec.typical_qty.max(2) as u64;
    spec.qty_min + rng.below(typical) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markets::default_markets;

    #[test]
    fn the_book_never_crosses_stays_deep_and_adds_up() {
        let mut rng = Rng::new(7);
        for spec in default_markets() {
            let mut m = Market::new(spec, &mut rng, 0);
            for i in 0..3000 {
                let _ = m.step(&mut rng, i128::from(i) * 1_000_000);
                let (bid, _) = m.best_bid().unwrap();
                let (ask, _) = m.best_ask().unwrap();
                assert!(bid < ask, "crossed at step {i}: {bid} >= {ask}");
                assert!(m.bids.len() >= 1000 && m.asks.len() >= 1000);
                // Every level, now and then: a full scan each step is slow
                // in debug builds.
                if i % 100 == 0 {
                    for level in m.bids.values().chain(m.asks.values()) {
                        assert!(!level.orders.is_empty());
                        assert!(level.orders.iter().all(|o| o.qty > 0));
                        assert_eq!(level.qty, level.orders.iter().map(|o| o.qty).sum::<i64>());
                    }
                }
            }
            // Queues stay short enough to read, long enough to matter.
            let top: Vec<usize> = m
                .top_levels(true, 10)
                .map(|(_, l)| l.orders.len())
                .collect();
            assert!(top.iter().all(|n| *n < 40), "{top:?}");
        }
    }

    #[test]
    fn a_pair_that_takes_no_takers_prints_no_trades() {
        let mut rng = Rng::new(7);
        let spec = default_markets().remove(0);
        for (status, moves) in [
            (PairStatus::CancelOnly, true),
            (PairStatus::PostOnly, true),
            (PairStatus::Maintenance, false),
            (PairStatus::LimitOnly, true),
        ] {
            let mut m = Market::new(spec.clone(), &mut rng, 0);
            m.status = status.clone();
            let (mut trades, mut touched) = (0, 0);
            for i in 0..2000 {
                let step = m.step(&mut rng, i128::from(i) * 1_000_000);
                trades += step.trades.len();
                touched += step.touched.len();
            }
            let trading = status == PairStatus::LimitOnly;
            assert_eq!(trades > 0, trading, "{status:?}: {trades} trades");
            assert_eq!(touched > 0, moves, "{status:?}: {touched} levels touched");
        }
    }

    /// The prices whose level differs between two windows of a side (best
    /// first), up to the nearer of their far ends: levels beyond it only
    /// entered or left the window.
    fn changed(bid: bool, old: &[(i64, i64)], new: &[(i64, i64)]) -> Vec<i64> {
        let rank = |p: i64| if bid { -p } else { p };
        let edge = match (old.last(), new.last()) {
            (Some(a), Some(b)) => rank(a.0).min(rank(b.0)),
            _ => i64::MIN,
        };
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        loop {
            let (o, n) = (old.get(i).copied(), new.get(j).copied());
            let next = match (o, n) {
                (Some(a), Some(b)) => rank(a.0).min(rank(b.0)),
                (Some(a), None) => rank(a.0),
                (None, Some(b)) => rank(b.0),
                (None, None) => break,
            };
            if next > edge {
                break;
            }
            let o = o.filter(|a| rank(a.0) == next);
            let n = n.filter(|b| rank(b.0) == next);
            if o != n {
                out.push(if bid { -next } else { next });
            }
            i += usize::from(o.is_some());
            j += usize::from(n.is_some());
        }
        out
    }

    /// The book and level3 feeds diff only the sides a step says it
    /// touched: a level changed anywhere a depth-1000 window sees, but
    /// missing from `touched`, would leave subscribers' books stale (and,
    /// once the other side moves past the stale level, crossed).
    #[test]
    fn every_change_within_the_deepest_window_is_touched() {
        let mut rng = Rng::new(11);
        for spec in default_markets() {
            let mut m = Market::new(spec, &mut rng, 0);
            let mut windows = [m.top(true, 1000), m.top(false, 1000)];
            for i in 0..1500 {
                let step = m.step(&mut rng, i128::from(i) * 1_000_000);
                for (n, bid) in [(0, true), (1, false)] {
                    let after = m.top(bid, 1000);
                    for price in changed(bid, &windows[n], &after) {
                        assert!(
                            step.touched.contains(&(bid, price)),
                            "step {i}: {} level {price} changed untouched; touched {:?}",
                            if bid { "bid" } else { "ask" },
                            step.touched
                        );
                    }
                    windows[n] = after;
                }
            }
        }
    }

    #[test]
    fn same_seed_same_market() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            let mut m = Market::new(default_markets().remove(0), &mut rng, 0);
            let trades: Vec<TradeRec> = (0..500)
                .flat_map(|i| m.step(&mut rng, i128::from(i)).trades)
                .collect();
            (trades, m.top(true, 10), m.top(false, 10))
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }
}
