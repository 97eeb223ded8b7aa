//! One pair's market: a full-depth book moved by a seeded random walk of
//! adds, cancels and trades, with the trades, candles and 24-hour figures
//! that follow from it, so that every feed tells the same story.

use crate::markets::PairSpec;
use crate::rng::Rng;
use kraki_proto::Side;
use std::collections::{BTreeMap, VecDeque};

/// Levels kept per side: enough for the deepest subscription (1000) plus
/// room for refills.
const FULL_DEPTH: usize = 1100;
/// Trades remembered for the trade snapshot.
const TRADE_MEMORY: usize = 50;
/// Closed candles remembered per interval for the ohlc snapshot.
const CANDLE_MEMORY: usize = 60;

/// A trade in integer units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TradeRec {
    pub(crate) side: Side,
    pub(crate) price: i64,
    pub(crate) qty: i64,
    pub(crate) market_order: bool,
    pub(crate) trade_id: u64,
    /// Nanoseconds since the epoch.
    pub(crate) at_ns: i128,
}

/// A running candle in integer units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CandleRec {
    pub(crate) interval: u32,
    /// Start, seconds since the epoch.
    pub(crate) begin: i64,
    pub(crate) open: i64,
    pub(crate) high: i64,
    pub(crate) low: i64,
    pub(crate) close: i64,
    pub(crate) trades: u64,
    pub(crate) volume: i64,
    /// Sum of price × qty, for the VWAP.
    pub(crate) notional: i128,
}

/// The candle intervals of the ohlc channel, in minutes.
pub(crate) const INTERVALS: [u32; 9] = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600];

/// What one step changed.
#[derive(Debug, Default)]
pub(crate) struct Step {
    pub(crate) trades: Vec<TradeRec>,
    pub(crate) bbo_changed: bool,
    /// Levels the event added, resized or removed: (is bid, price).
    pub(crate) touched: Vec<(bool, i64)>,
}

/// One pair's state.
pub(crate) struct Market {
    pub(crate) spec: PairSpec,
    /// Price units → quantity units.
    pub(crate) bids: BTreeMap<i64, i64>,
    pub(crate) asks: BTreeMap<i64, i64>,
    pub(crate) recent_trades: VecDeque<TradeRec>,
    /// The running candle of each interval.
    pub(crate) candles: Vec<CandleRec>,
    /// Closed candles, oldest first, at most `CANDLE_MEMORY` per interval.
    pub(crate) closed: VecDeque<CandleRec>,
    next_trade_id: u64,
    pub(crate) open_price: i64,
    pub(crate) last_price: i64,
    pub(crate) high: i64,
    pub(crate) low: i64,
    pub(crate) volume: i64,
    notional: i128,
}

impl Market {
    pub(crate) fn new(spec: PairSpec, rng: &mut Rng) -> Market {
        let mid = spec.start_price.max(10_000);
        let mut bids = BTreeMap::new();
        let mut asks = BTreeMap::new();
        let mut bid = mid - 1;
        let mut ask = mid + 1;
        for _ in 0..FULL_DEPTH {
            bids.insert(bid, level_qty(&spec, rng));
            asks.insert(ask, level_qty(&spec, rng));
            bid -= 1 + rng.below(3) as i64;
            ask += 1 + rng.below(3) as i64;
        }
        Market {
            recent_trades: VecDeque::with_capacity(TRADE_MEMORY),
            candles: Vec::new(),
            closed: VecDeque::new(),
            next_trade_id: 1 + rng.below(1_000_000),
            open_price: mid,
            last_price: mid,
            high: mid,
            low: mid,
            volume: 0,
            notional: 0,
            bids,
            asks,
            spec,
        }
    }

    pub(crate) fn best_bid(&self) -> Option<(i64, i64)> {
        self.bids.iter().next_back().map(|(p, q)| (*p, *q))
    }

    pub(crate) fn best_ask(&self) -> Option<(i64, i64)> {
        self.asks.iter().next().map(|(p, q)| (*p, *q))
    }

    /// The volume-weighted average price since the start, in price units.
    pub(crate) fn vwap(&self) -> i64 {
        if self.volume == 0 {
            return self.last_price;
        }
        (self.notional / i128::from(self.volume)) as i64
    }

    /// One random event: a new or resized level near the top, a cancel, or
    /// a trade against the best level.
    pub(crate) fn step(&mut self, rng: &mut Rng, now_ns: i128) -> Step {
        let before = (self.best_bid(), self.best_ask());
        let mut step = Step::default();
        let roll = rng.below(100);
        let buy_side = rng.chance(50);
        if roll < 45 {
            step.touched
                .extend(self.place(rng, buy_side).map(|p| (buy_side, p)));
        } else if roll < 75 {
            step.touched
                .extend(self.cancel(rng, buy_side).map(|p| (buy_side, p)));
        } else if let Some(trade) = self.trade(rng, buy_side, now_ns) {
            // A buyer takes from the asks.
            step.touched.push((!buy_side, trade.price));
            step.trades.push(trade);
        }
        // Far-end refills sit beyond every subscribable window.
        self.refill_far_end(rng);
        step.bbo_changed = before != (self.best_bid(), self.best_ask());
        step
    }

    fn place(&mut self, rng: &mut Rng, bid: bool) -> Option<i64> {
        let (Some((best_bid, _)), Some((best_ask, _))) = (self.best_bid(), self.best_ask()) else {
            return None;
        };
        let offset = rng.below(25) as i64;
        let price = if bid {
            // At most one tick inside the spread, never crossing.
            (best_bid + 1 - offset).min(best_ask - 1)
        } else {
            (best_ask - 1 + offset).max(best_bid + 1)
        };
        if price <= 0 {
            return None;
        }
        let qty = level_qty(&self.spec, rng);
        let side = if bid { &mut self.bids } else { &mut self.asks };
        side.insert(price, qty);
        Some(price)
    }

    fn cancel(&mut self, rng: &mut Rng, bid: bool) -> Option<i64> {
        let skip = rng.below(20) as usize;
        let side = if bid { &mut self.bids } else { &mut self.asks };
        let price = if bid {
            side.keys().rev().nth(skip).copied()
        } else {
            side.keys().nth(skip).copied()
        };
        let price = price?;
        side.remove(&price);
        Some(price)
    }

    /// A taker order against the best level of the other side: part of it
    /// or all of it.
    fn trade(&mut self, rng: &mut Rng, taker_buys: bool, now_ns: i128) -> Option<TradeRec> {
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
        let side = if taker_buys {
            &mut self.asks
        } else {
            &mut self.bids
        };
        if qty >= available {
            side.remove(&price);
        } else {
            side.insert(price, available - qty);
        }
        let trade = TradeRec {
            side: if taker_buys { Side::Buy } else { Side::Sell },
            price,
            qty,
            market_order: rng.chance(30),
            trade_id: self.next_trade_id,
            at_ns: now_ns,
        };
        self.next_trade_id += 1;
        self.record(&trade);
        Some(trade)
    }

    fn record(&mut self, trade: &TradeRec) {
        self.last_price = trade.price;
        self.high = self.high.max(trade.price);
        self.low = self.low.min(trade.price);
        self.volume += trade.qty;
        self.notional += i128::from(trade.price) * i128::from(trade.qty);
        if self.recent_trades.len() == TRADE_MEMORY {
            self.recent_trades.pop_front();
        }
        self.recent_trades.push_back(trade.clone());
        let secs = (trade.at_ns / 1_000_000_000) as i64;
        for interval in INTERVALS {
            let len = i64::from(interval) * 60;
            let begin = secs - secs.rem_euclid(len);
            match self.candles.iter_mut().find(|c| c.interval == interval) {
                Some(c) if c.begin == begin => {
                    c.high = c.high.max(trade.price);
                    c.low = c.low.min(trade.price);
                    c.close = trade.price;
                    c.trades += 1;
                    c.volume += trade.qty;
                    c.notional += i128::from(trade.price) * i128::from(trade.qty);
                }
                existing => {
                    // A new interval: the candle rolls over.
                    let fresh = CandleRec {
                        interval,
                        begin,
                        open: trade.price,
                        high: trade.price,
                        low: trade.price,
                        close: trade.price,
                        trades: 1,
                        volume: trade.qty,
                        notional: i128::from(trade.price) * i128::from(trade.qty),
                    };
                    match existing {
                        Some(c) => {
                            let done = std::mem::replace(c, fresh);
                            let kept = self
                                .closed
                                .iter()
                                .filter(|k| k.interval == interval)
                                .count();
                            if kept >= CANDLE_MEMORY {
                                if let Some(i) =
                                    self.closed.iter().position(|k| k.interval == interval)
                                {
                                    self.closed.remove(i);
                                }
                            }
                            self.closed.push_back(done);
                        }
                        None => self.candles.push(fresh),
                    }
                }
            }
        }
    }

    /// Keeps each side deep enough for depth-1000 subscribers by adding
    /// levels beyond the far end.
    fn refill_far_end(&mut self, rng: &mut Rng) {
        while self.bids.len() < FULL_DEPTH {
            let Some(&worst) = self.bids.keys().next() else {
                break;
            };
            let price = worst - 1 - rng.below(3) as i64;
            if price <= 0 {
                break;
            }
            self.bids.insert(price, level_qty(&self.spec, rng));
        }
        while self.asks.len() < FULL_DEPTH {
            let Some(&worst) = self.asks.keys().next_back() else {
                break;
            };
            self.asks
                .insert(worst + 1 + rng.below(3) as i64, level_qty(&self.spec, rng));
        }
    }

    /// The top `depth` levels of a side, best first.
    pub(crate) fn top(&self, bid: bool, depth: usize) -> Vec<(i64, i64)> {
        if bid {
            self.bids
                .iter()
                .rev()
                .take(depth)
                .map(|(p, q)| (*p, *q))
                .collect()
        } else {
            self.asks
                .iter()
                .take(depth)
                .map(|(p, q)| (*p, *q))
                .collect()
        }
    }
}

fn level_qty(spec: &PairSpec, rng: &mut Rng) -> i64 {
    let typical = spec.typical_qty.max(2) as u64;
    spec.qty_min + rng.below(typical) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markets::default_markets;

    #[test]
    fn the_book_never_crosses_and_stays_deep() {
        let mut rng = Rng::new(7);
        for spec in default_markets() {
            let mut m = Market::new(spec, &mut rng);
            for i in 0..5000 {
                let _ = m.step(&mut rng, i128::from(i) * 1_000_000);
                let (bid, _) = m.best_bid().unwrap();
                let (ask, _) = m.best_ask().unwrap();
                assert!(bid < ask, "crossed at step {i}: {bid} >= {ask}");
                assert!(m.bids.len() >= 1000 && m.asks.len() >= 1000);
                assert!(m.bids.values().chain(m.asks.values()).all(|q| *q > 0));
            }
        }
    }

    #[test]
    fn same_seed_same_market() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            let mut m = Market::new(default_markets().remove(0), &mut rng);
            let trades: Vec<TradeRec> = (0..500)
                .flat_map(|i| m.step(&mut rng, i128::from(i)).trades)
                .collect();
            (trades, m.top(true, 10), m.top(false, 10))
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }
}
