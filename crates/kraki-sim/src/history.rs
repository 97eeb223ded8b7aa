//! What a pair's trades leave behind: the recent tape, the running and
//! closed candles of every interval, the figures of the ticker, and the
//! recent best bids and asks (REST `Spread`).

use kraki_proto::Side;
use std::collections::VecDeque;

/// Trades remembered: REST `Trades` answers up to 1000, as Kraken does.
const TRADE_MEMORY: usize = 1000;
/// Trades in the `trade` channel's snapshot (the newest), as Kraken sends.
pub(crate) const TRADE_SNAPSHOT: usize = 50;
/// Best bid and ask changes remembered for REST `Spread`.
const SPREAD_MEMORY: usize = 200;
/// Closed candles remembered per interval for the ohlc snapshot.
const CANDLE_MEMORY: usize = 60;

/// The candle intervals of the ohlc channel, in minutes.
pub(crate) const INTERVALS: [u32; 9] = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600];

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

/// The best bid and ask after a change of either, in price units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpreadRec {
    /// Seconds since the epoch.
    pub(crate) at: i64,
    pub(crate) bid: i64,
    pub(crate) ask: i64,
}

/// One pair's trade history, in price and quantity units.
pub(crate) struct History {
    /// Oldest first.
    pub(crate) recent_trades: VecDeque<TradeRec>,
    /// Oldest first.
    pub(crate) spreads: VecDeque<SpreadRec>,
    /// Trades since the start, for the ticker's trade count.
    pub(crate) trade_count: u64,
    /// The running candle of each interval.
    pub(crate) candles: Vec<CandleRec>,
    /// Closed candles, oldest first, at most `CANDLE_MEMORY` per interval.
    pub(crate) closed: VecDeque<CandleRec>,
    pub(crate) open_price: i64,
    pub(crate) last_price: i64,
    pub(crate) high: i64,
    pub(crate) low: i64,
    pub(crate) volume: i64,
    notional: i128,
}

impl History {
    /// No trades yet; every figure starts at `price`.
    pub(crate) fn new(price: i64) -> History {
        History {
            recent_trades: VecDeque::with_capacity(TRADE_MEMORY),
            spreads: VecDeque::with_capacity(SPREAD_MEMORY),
            trade_count: 0,
            candles: Vec::new(),
            closed: VecDeque::new(),
            open_price: price,
            last_price: price,
            high: price,
            low: price,
            volume: 0,
            notional: 0,
        }
    }

    /// The volume-weighted average price since the start, in price units.
    pub(crate) fn vwap(&self) -> i64 {
        if self.volume == 0 {
            return self.last_price;
        }
        (self.notional / i128::from(self.volume)) as i64
    }

    /// The newest trades, at most `TRADE_SNAPSHOT`, oldest first.
    pub(crate) fn snapshot_trades(&self) -> impl Iterator<Item = &TradeRec> {
        let skip = self.recent_trades.len().saturating_sub(TRADE_SNAPSHOT);
        self.recent_trades.iter().skip(skip)
    }

    /// Remembers the best bid and ask after a change of either.
    pub(crate) fn record_spread(&mut self, spread: SpreadRec) {
        if self.spreads.len() == SPREAD_MEMORY {
            self.spreads.pop_front();
        }
        self.spreads.push_back(spread);
    }

    /// Adds a trade to the tape, the 24-hour figures and every candle.
    pub(crate) fn record(&mut self, trade: &TradeRec) {
        self.trade_count += 1;
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
}
