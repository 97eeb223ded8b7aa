//! Taking liquidity from a market's book: user orders that cross, and the
//! forced trades of [`crate::SimHandle::trade_to`]. Every fill is a public
//! print, so the book, trade, ticker and candle feeds tell the same story
//! as the private executions.

use crate::history::TradeRec;
use crate::market::{Level, Market, Step};
use kraki_proto::Side;

impl Market {
    /// A taker buying (`taker_buys`) or selling up to `qty` units at prices
    /// no worse than `limit` (none: any price), best level first, each
    /// level's queue from the front. One print per level touched.
    pub(crate) fn take(
        &mut self,
        taker_buys: bool,
        limit: Option<i64>,
        qty: i64,
        market_order: bool,
        now_ns: i128,
    ) -> Step {
        let before = (self.best_bid(), self.best_ask());
        let mut step = Step::default();
        let mut left = qty;
        while left > 0 {
            let best = if taker_buys {
                self.best_ask()
            } else {
                self.best_bid()
            };
            let Some((price, _)) = best else { break };
            let within = match limit {
                None => true,
                Some(l) if taker_buys => price <= l,
                Some(l) => price >= l,
            };
            if !within {
                break;
            }
            let side = if taker_buys {
                &mut self.asks
            } else {
                &mut self.bids
            };
            let Some(level) = side.get_mut(&price) else {
                break;
            };
            let taken = consume(level, left);
            if level.orders.is_empty() {
                side.remove(&price);
            }
            if taken == 0 {
                break;
            }
            left -= taken;
            step.touched.push((!taker_buys, price));
            let trade = TradeRec {
                side: if taker_buys { Side::Buy } else { Side::Sell },
                price,
                qty: taken,
                market_order,
                trade_id: self.take_trade_id(),
                at_ns: now_ns,
            };
            self.history.record(&trade);
            step.trades.push(trade);
        }
        step.bbo_changed = self.note_bbo(before, now_ns);
        step
    }

    /// What [`Market::take`] would fill without touching the book: the
    /// quantity and its exact cost in price units × quantity units.
    pub(crate) fn preview_take(
        &self,
        taker_buys: bool,
        limit: Option<i64>,
        qty: i64,
    ) -> (i64, i128) {
        let mut left = qty;
        let mut cost: i128 = 0;
        let levels: Box<dyn Iterator<Item = (&i64, &Level)>> = if taker_buys {
            Box::new(self.asks.iter())
        } else {
            Box::new(self.bids.iter().rev())
        };
        for (&price, level) in levels {
            if left == 0 {
                break;
            }
            let within = match limit {
                None => true,
                Some(l) if taker_buys => price <= l,
                Some(l) => price >= l,
            };
            if !within {
                break;
            }
            let taken = left.min(level.qty);
            cost += i128::from(price) * i128::from(taken);
            left -= taken;
        }
        (qty - left, cost)
    }

    /// A market participant trades `qty` at `price`: levels better than
    /// `price` on the other side are swept first, and a maker order is
    /// added at `price` when it holds less than `qty`, so the book never
    /// crosses and the last print is exactly `price`.
    pub(crate) fn trade_to(&mut self, price: i64, qty: i64, now_ns: i128) -> Step {
        let before = (self.best_bid(), self.best_ask());
        let taker_buys = match (self.best_bid(), self.best_ask()) {
            (_, Some((ask, _))) if price >= ask => true,
            (Some((bid, _)), _) if price <= bid => false,
            (Some((bid, _)), Some((ask, _))) => {
                i128::from(price) * 2 > i128::from(bid) + i128::from(ask)
            }
            _ => true,
        };
        let mut step = if taker_buys {
            self.take(true, Some(price - 1), i64::MAX, false, now_ns)
        } else {
            self.take(false, Some(price + 1), i64::MAX, false, now_ns)
        };
        let resting = if taker_buys {
            self.asks.get(&price).map_or(0, |l| l.qty)
        } else {
            self.bids.get(&price).map_or(0, |l| l.qty)
        };
        if resting < qty {
            self.push_order(!taker_buys, price, qty - resting, now_ns);
        }
        let at_price = self.take(taker_buys, Some(price), qty, false, now_ns);
        step.trades.extend(at_price.trades);
        step.touched.extend(at_price.touched);
        // The market carries on around the price it was traded to.
        self.fair = price;
        step.bbo_changed = self.note_bbo(before, now_ns);
        step
    }
}

/// Takes up to `qty` from the front of a level's queue; returns how much.
fn consume(level: &mut Level, qty: i64) -> i64 {
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
    qty - left
}
