//! One-line text forms of typed messages, for humans. Numbers are printed
//! exactly as received.

use kraki::{BookUpdate, CandleUpdate, InstrumentUpdate, TickerUpdate, TradeUpdate};

/// A short, exact, one-line description.
pub(crate) trait Summary {
    fn summary(&self) -> String;
}

impl Summary for TickerUpdate {
    fn summary(&self) -> String {
        let t = &self.ticker;
        format!(
            "{} {} bid={} bid_qty={} ask={} ask_qty={} last={} volume={} vwap={} low={} high={} change={} change_pct={}",
            self.kind,
            t.symbol,
            t.bid,
            t.bid_qty,
            t.ask,
            t.ask_qty,
            t.last,
            t.volume,
            t.vwap,
            t.low,
            t.high,
            t.change,
            t.change_pct
        )
    }
}

impl Summary for BookUpdate {
    fn summary(&self) -> String {
        let b = &self.book;
        let side = |levels: &[kraki::proto::channels::PriceLevel]| {
            levels
                .iter()
                .map(|l| format!("{}x{}", l.price, l.qty))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "{} {} bids=[{}] asks=[{}] checksum={}",
            self.kind,
            b.symbol,
            side(&b.bids),
            side(&b.asks),
            b.checksum
        )
    }
}

impl Summary for TradeUpdate {
    fn summary(&self) -> String {
        let trades: Vec<String> = self
            .trades
            .iter()
            .map(|t| format!("{} {} @ {} id={}", t.side, t.qty, t.price, t.trade_id))
            .collect();
        let symbol = self.trades.first().map(|t| t.symbol.as_str()).unwrap_or("");
        format!("{} {symbol} {}", self.kind, trades.join("; "))
    }
}

impl Summary for CandleUpdate {
    fn summary(&self) -> String {
        let candles: Vec<String> = self
            .candles
            .iter()
            .map(|c| {
                format!(
                    "{}m {} o={} h={} l={} c={} v={} trades={}",
                    c.interval,
                    c.interval_begin,
                    c.open,
                    c.high,
                    c.low,
                    c.close,
                    c.volume,
                    c.trades
                )
            })
            .collect();
        let symbol = self
            .candles
            .first()
            .map(|c| c.symbol.as_str())
            .unwrap_or("");
        format!("{} {symbol} {}", self.kind, candles.join("; "))
    }
}

impl Summary for InstrumentUpdate {
    fn summary(&self) -> String {
        format!(
            "{} assets={} pairs={}",
            self.kind,
            self.data.assets.len(),
            self.data.pairs.len()
        )
    }
}
