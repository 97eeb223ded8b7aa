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

impl Summary for kraki::ExecutionsUpdate {
    fn summary(&self) -> String {
        let mut parts = vec![format!("{} seq={}", self.kind, opt(self.sequence))];
        for r in &self.reports {
            let mut s = format!("{} {} {}", r.order_id.as_str(), r.exec_type, r.order_status);
            if let Some(symbol) = &r.symbol {
                s.push_str(&format!(" {symbol}"));
            }
            if let (Some(side), Some(kind)) = (&r.side, &r.order_type) {
                s.push_str(&format!(" {side} {kind}"));
            }
            for (name, value) in [
                ("qty", r.order_qty),
                ("price", r.limit_price),
                ("last_qty", r.last_qty),
                ("last_price", r.last_price),
                ("cum_qty", r.cum_qty),
            ] {
                if let Some(v) = value {
                    s.push_str(&format!(" {name}={v}"));
                }
            }
            if let Some(id) = &r.cl_ord_id {
                s.push_str(&format!(" cl_ord_id={}", id.as_str()));
            }
            parts.push(s);
        }
        parts.join(" | ")
    }
}

impl Summary for kraki::BalancesUpdate {
    fn summary(&self) -> String {
        let head = format!("{} seq={}", self.kind, opt(self.sequence));
        let items: Vec<String> = match &self.data {
            kraki::proto::BalancesData::Snapshot(assets) => assets
                .iter()
                .map(|a| format!("{}={}", a.asset, a.balance))
                .collect(),
            kraki::proto::BalancesData::Update(entries) => entries
                .iter()
                .map(|e| {
                    format!(
                        "{} {} {} amount={} fee={} balance={} ref_id={}",
                        e.ledger_type,
                        e.asset,
                        e.ledger_id,
                        e.amount,
                        opt(e.fee),
                        e.balance,
                        e.ref_id
                    )
                })
                .collect(),
        };
        format!("{head} {}", items.join(" "))
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}
