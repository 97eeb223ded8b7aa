//! REST market data answered from a market's state, in Kraken's shapes:
//! the same book, trades, candles and ticker figures the WebSocket
//! channels show, so a client may read either and find the same market.

use crate::feeds::{price, qty};
use crate::history::{CandleRec, INTERVALS};
use crate::market::Market;
use crate::markets::PairSpec;
use kraki_proto::{Decimal, Side};
use serde_json::{Value, json};

/// Most rows of one `OHLC` answer, as Kraken.
pub(crate) const MAX_CANDLES: usize = 720;
/// Most trades of one `Trades` answer, and the default, as Kraken.
pub(crate) const MAX_TRADES: usize = 1000;
/// Most levels per side of one `Depth` answer, as Kraken.
pub(crate) const MAX_DEPTH: usize = 500;
/// Levels per side of a `Depth` answer without `count`, as Kraken.
pub(crate) const DEFAULT_DEPTH: usize = 100;

/// What one public market-data request asks of each of its pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MarketQuery {
    /// `Ticker`.
    Ticker,
    /// `OHLC`: candles of `interval` minutes starting after `since`
    /// (seconds), the running one always included.
    Ohlc { interval: u32, since: Option<i64> },
    /// `Depth`: the top `count` levels of each side.
    Depth { count: usize },
    /// `Trades`: trades after `since_ns`, at most `count`.
    Trades {
        since_ns: Option<i128>,
        count: usize,
    },
    /// `Spread`: best bid and ask changes after `since` (seconds).
    Spread { since: Option<i64> },
}

impl MarketQuery {
    /// Whether `minutes` is an interval Kraken's `OHLC` takes.
    pub(crate) fn is_interval(minutes: u32) -> bool {
        INTERVALS.contains(&minutes)
    }
}

/// One pair's answer: its entry in the result and, for the endpoints that
/// page, the result's `last`.
#[derive(Debug)]
pub(crate) struct PairAnswer {
    pub(crate) entry: Value,
    pub(crate) last: Option<Value>,
}

/// The answer of `market` to `query`.
pub(crate) fn answer(market: &Market, query: &MarketQuery) -> PairAnswer {
    match query {
        MarketQuery::Ticker => PairAnswer {
            entry: ticker(market),
            last: None,
        },
        MarketQuery::Ohlc { interval, since } => ohlc(market, *interval, *since),
        MarketQuery::Depth { count } => PairAnswer {
            entry: depth(market, *count),
            last: None,
        },
        MarketQuery::Trades { since_ns, count } => trades(market, *since_ns, *count),
        MarketQuery::Spread { since } => spread(market, *since),
    }
}

/// The `ticker` channel's figures in REST's arrays: today's and the last
/// 24 hours' values are the same, as the simulator's day is its whole run.
fn ticker(market: &Market) -> Value {
    let spec = &market.spec;
    let history = &market.history;
    let (bid, bid_qty) = market.best_bid().unwrap_or_default();
    let (ask, ask_qty) = market.best_ask().unwrap_or_default();
    let last_qty = history.recent_trades.back().map_or(0, |t| t.qty);
    let p = |units: i64| price(spec, units).to_string();
    let q = |units: i64| qty(spec, units).to_string();
    // Kraken writes a level's size twice: its whole lots, then exactly.
    let lot = 10i64.checked_pow(u32::from(spec.qty_precision));
    let whole = |units: i64| lot.map_or(0, |lot| units / lot).to_string();
    json!({
        "a": [p(ask), whole(ask_qty), q(ask_qty)],
        "b": [p(bid), whole(bid_qty), q(bid_qty)],
        "c": [p(history.last_price), q(last_qty)],
        "v": [q(history.volume), q(history.volume)],
        "p": [p(history.vwap()), p(history.vwap())],
        "t": [history.trade_count, history.trade_count],
        "l": [p(history.low), p(history.low)],
        "h": [p(history.high), p(history.high)],
        "o": p(history.open_price),
    })
}

/// Closed candles after `since`, oldest first, then the running one;
/// `last` is the start of the newest closed candle, the `since` that
/// asks for what closes next.
fn ohlc(market: &Market, interval: u32, since: Option<i64>) -> PairAnswer {
    let spec = &market.spec;
    let history = &market.history;
    let closed: Vec<&CandleRec> = history
        .closed
        .iter()
        .filter(|c| c.interval == interval)
        .collect();
    let running = history.candles.iter().find(|c| c.interval == interval);
    let len = i64::from(interval) * 60;
    let last = closed
        .last()
        .map(|c| c.begin)
        .or_else(|| running.map(|c| c.begin - len))
        .unwrap_or(0);
    let mut rows: Vec<Value> = closed
        .iter()
        .filter(|c| since.is_none_or(|s| c.begin > s))
        .map(|c| candle_row(spec, c))
        .collect();
    if rows.len() >= MAX_CANDLES {
        rows.drain(..=rows.len() - MAX_CANDLES);
    }
    rows.extend(running.map(|c| candle_row(spec, c)));
    PairAnswer {
        entry: Value::Array(rows),
        last: Some(json!(last)),
    }
}

/// `[time, open, high, low, close, vwap, volume, count]`, figured as the
/// `ohlc` channel figures them.
fn candle_row(spec: &PairSpec, c: &CandleRec) -> Value {
    let vwap = if c.volume == 0 {
        c.close
    } else {
        (c.notional / i128::from(c.volume)) as i64
    };
    let p = |units: i64| price(spec, units).to_string();
    json!([
        c.begin,
        p(c.open),
        p(c.high),
        p(c.low),
        p(c.close),
        p(vwap),
        qty(spec, c.volume).to_string(),
        c.trades
    ])
}

/// The top `count` levels of each side, best first, as
/// `[price, volume, time]` with the time of the level's newest order.
fn depth(market: &Market, count: usize) -> Value {
    let spec = &market.spec;
    let side = |bid: bool| -> Vec<Value> {
        market
            .top_levels(bid, count)
            .map(|(units, level)| {
                let newest = level.orders.iter().map(|o| o.at_ns).max().unwrap_or(0);
                json!([
                    price(spec, units).to_string(),
                    qty(spec, level.qty).to_string(),
                    newest.div_euclid(1_000_000_000) as i64
                ])
            })
            .collect()
    };
    json!({"asks": side(false), "bids": side(true)})
}

/// Trades after `since_ns` (the oldest `count` of them), or the newest
/// `count` without it, as
/// `[price, volume, time, "b"|"s", "m"|"l", "", trade_id]`; `last` is
/// the newest trade's time in nanoseconds, as a string, as Kraken writes
/// it. Times are taken to the microsecond the `trade` channel shows, so a
/// row's time and `last` page alike.
fn trades(market: &Market, since_ns: Option<i128>, count: usize) -> PairAnswer {
    let spec = &market.spec;
    let tape = &market.history.recent_trades;
    let shown_ns = |at_ns: i128| at_ns.div_euclid(1_000) * 1_000;
    let chosen: Vec<_> = match since_ns {
        Some(since) => tape
            .iter()
            .filter(|t| shown_ns(t.at_ns) > since)
            .take(count)
            .collect(),
        None => tape.iter().skip(tape.len().saturating_sub(count)).collect(),
    };
    let last = chosen
        .last()
        .map(|t| shown_ns(t.at_ns))
        .or(since_ns)
        .unwrap_or_else(|| tape.back().map_or(0, |t| shown_ns(t.at_ns)));
    let rows = chosen
        .iter()
        .map(|t| {
            let micros = t.at_ns.div_euclid(1_000) as i64;
            json!([
                price(spec, t.price).to_string(),
                qty(spec, t.qty).to_string(),
                Decimal::new(micros, 6).unwrap_or_default(),
                if t.side == Side::Buy { "b" } else { "s" },
                if t.market_order { "m" } else { "l" },
                "",
                t.trade_id
            ])
        })
        .collect();
    PairAnswer {
        entry: Value::Array(rows),
        last: Some(Value::String(last.to_string())),
    }
}

/// Best bid and ask changes after `since`, as `[time, bid, ask]`; `last`
/// is the newest one's time.
fn spread(market: &Market, since: Option<i64>) -> PairAnswer {
    let spec = &market.spec;
    let spreads = &market.history.spreads;
    let rows: Vec<Value> = spreads
        .iter()
        .filter(|s| since.is_none_or(|t| s.at > t))
        .map(|s| {
            json!([
                s.at,
                price(spec, s.bid).to_string(),
                price(spec, s.ask).to_string()
            ])
        })
        .collect();
    let last = spreads.back().map_or(since.unwrap_or(0), |s| s.at);
    PairAnswer {
        entry: Value::Array(rows),
        last: Some(json!(last)),
    }
}
