//! Turning market state into channel frames, with numbers padded to each
//! pair's precision as the live server writes them.

use crate::clock::{from_ns, now};
use crate::history::{CandleRec, TradeRec};
use crate::market::Market;
use crate::markets::PairSpec;
use kraki_proto::book::Checksum;
use kraki_proto::channels::{
    AssetInfo, AssetStatus, BookData, Candle, InstrumentData, PairInfo, PairStatus, PriceLevel,
    Ticker, Trade, TradeOrderType,
};
use kraki_proto::{Asset, Decimal, Symbol, Timestamp};
use serde::Serialize;

/// `{"channel":…,"type":…,"data":…}` with the optional `timestamp` of ohlc.
#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    channel: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<Timestamp>,
    data: T,
}

pub(crate) fn frame<T: Serialize>(channel: &str, kind: &str, data: T) -> String {
    frame_at(channel, kind, None, data)
}

fn frame_at<T: Serialize>(
    channel: &str,
    kind: &str,
    timestamp: Option<Timestamp>,
    data: T,
) -> String {
    let f = Frame {
        channel,
        kind,
        timestamp,
        data,
    };
    // kraki's own types always serialize; an empty object would be a bug
    // visible to every client test.
    serde_json::to_string(&f).unwrap_or_else(|_| String::from("{}"))
}

pub(crate) fn price(spec: &PairSpec, units: i64) -> Decimal {
    Decimal::new(units, spec.price_precision).unwrap_or_default()
}

pub(crate) fn qty(spec: &PairSpec, units: i64) -> Decimal {
    Decimal::new(units, spec.qty_precision).unwrap_or_default()
}

/// A book subscription's view: the levels last published, best first.
#[derive(Debug, Clone, Default)]
pub(crate) struct BookView {
    pub(crate) depth: usize,
    bids: Vec<(i64, i64)>,
    asks: Vec<(i64, i64)>,
}

fn checksum(bids: &[(i64, i64)], asks: &[(i64, i64)]) -> u32 {
    let mut sum = Checksum::new();
    for (p, q) in asks.iter().take(10).chain(bids.iter().take(10)) {
        sum.push_level(p.unsigned_abs(), q.unsigned_abs());
    }
    sum.finish()
}

fn levels(spec: &PairSpec, side: &[(i64, i64)]) -> Vec<PriceLevel> {
    side.iter()
        .map(|&(p, q)| PriceLevel {
            price: price(spec, p),
            qty: qty(spec, q),
        })
        .collect()
}

/// A book snapshot of `depth` levels and the view it starts.
pub(crate) fn book_snapshot(market: &Market, depth: usize) -> (String, BookView) {
    let view = BookView {
        depth,
        bids: market.top(true, depth),
        asks: market.top(false, depth),
    };
    let data = BookData {
        symbol: Symbol::from(market.spec.symbol.as_str()),
        bids: levels(&market.spec, &view.bids),
        asks: levels(&market.spec, &view.asks),
        checksum: checksum(&view.bids, &view.asks),
        timestamp: Some(now(6)),
    };
    (frame("book", "snapshot", [data]), view)
}

/// Orders prices best first: bids descending, asks ascending.
fn rank(bid: bool, price: i64) -> i64 {
    if bid { -price } else { price }
}

/// The changes of one side in Kraken's order: deletes first, then levels
/// refilled from beyond the window, then new and resized levels. Levels
/// pushed out of the window by an insert get no delete. `old` and `new`
/// are windows, best first; one merge pass, since a depth-1000 window may
/// be diffed on every event.
fn side_update(
    bid: bool,
    old: &[(i64, i64)],
    new: &[(i64, i64)],
    still_in_book: impl Fn(i64) -> bool,
    touched: impl Fn(i64) -> bool,
) -> Vec<(i64, i64)> {
    let mut deletes = Vec::new();
    let mut refills = Vec::new();
    let mut changes = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        match (old.get(i), new.get(j)) {
            (Some(&(op, oq)), Some(&(np, nq))) if op == np => {
                if oq != nq {
                    changes.push((np, nq));
                }
                i += 1;
                j += 1;
            }
            (Some(&(op, _)), Some(&(np, _))) if rank(bid, op) > rank(bid, np) => {
                // In the new window only: placed here, or refilled.
                if touched(np) {
                    changes.push(new[j]);
                } else {
                    refills.push(new[j]);
                }
                j += 1;
            }
            (Some(&(op, _)), _) => {
                // In the old window only: gone, or pushed out (no delete).
                if !still_in_book(op) {
                    deletes.push((op, 0));
                }
                i += 1;
            }
            (None, Some(&(np, nq))) => {
                if touched(np) {
                    changes.push((np, nq));
                } else {
                    refills.push((np, nq));
                }
                j += 1;
            }
            (None, None) => break,
        }
    }
    deletes.extend(refills);
    deletes.extend(changes);
    deletes
}

/// Whether an event at `price` can change a window: inside it, or the
/// window is not full.
fn reaches(bid: bool, window: &[(i64, i64)], depth: usize, price: i64) -> bool {
    window.len() < depth
        || window
            .last()
            .is_some_and(|&(worst, _)| rank(bid, price) <= rank(bid, worst))
}

/// The update that takes `view` to the market's current state, if
/// anything in the window changed; `touched` are the levels the event
/// changed, as (is bid, price). Only the levels an event touches change
/// (far-end refills lie beyond every window), so a side no touched level
/// reaches keeps its view without a diff.
pub(crate) fn book_update(
    market: &Market,
    view: &mut BookView,
    touched: &[(bool, i64)],
    corrupt: bool,
) -> Option<String> {
    let depth = view.depth;
    let mut changes = [Vec::new(), Vec::new()];
    for (n, bid) in [(0, true), (1, false)] {
        let window = if bid { &mut view.bids } else { &mut view.asks };
        if !touched
            .iter()
            .any(|&(b, p)| b == bid && reaches(bid, window, depth, p))
        {
            continue;
        }
        let side = if bid { &market.bids } else { &market.asks };
        let fresh = market.top(bid, depth);
        changes[n] = side_update(
            bid,
            window,
            &fresh,
            |p| side.contains_key(&p),
            |p| touched.contains(&(bid, p)),
        );
        *window = fresh;
    }
    let [bid_changes, ask_changes] = changes;
    if bid_changes.is_empty() && ask_changes.is_empty() {
        return None;
    }
    let data = BookData {
        symbol: Symbol::from(market.spec.symbol.as_str()),
        bids: levels(&market.spec, &bid_changes),
        asks: levels(&market.spec, &ask_changes),
        // A corrupted checksum is a fault asked for by a test.
        checksum: checksum(&view.bids, &view.asks).wrapping_add(u32::from(corrupt)),
        timestamp: Some(now(6)),
    };
    Some(frame("book", "update", [data]))
}

/// The ticker of a market.
pub(crate) fn ticker(market: &Market, kind: &str) -> String {
    let spec = &market.spec;
    let (bid, bid_qty) = market.best_bid().unwrap_or_default();
    let (ask, ask_qty) = market.best_ask().unwrap_or_default();
    let change = market.history.last_price - market.history.open_price;
    // Percent with two decimals, exact integer arithmetic.
    let change_pct_e2 = if market.history.open_price == 0 {
        0
    } else {
        (i128::from(change) * 10_000 / i128::from(market.history.open_price)) as i64
    };
    let data = Ticker {
        symbol: Symbol::from(spec.symbol.as_str()),
        bid: price(spec, bid),
        bid_qty: qty(spec, bid_qty),
        ask: price(spec, ask),
        ask_qty: qty(spec, ask_qty),
        last: price(spec, market.history.last_price),
        volume: qty(spec, market.history.volume),
        vwap: price(spec, market.history.vwap()),
        low: price(spec, market.history.low),
        high: price(spec, market.history.high),
        change: price(spec, change),
        change_pct: Decimal::new(change_pct_e2, 2).unwrap_or_default(),
        timestamp: None,
    };
    frame("ticker", kind, [data])
}

fn trade(spec: &PairSpec, t: &TradeRec) -> Trade {
    Trade {
        symbol: Symbol::from(spec.symbol.as_str()),
        side: t.side,
        price: price(spec, t.price),
        qty: qty(spec, t.qty),
        ord_type: if t.market_order {
            TradeOrderType::Market
        } else {
            TradeOrderType::Limit
        },
        trade_id: t.trade_id,
        timestamp: from_ns(t.at_ns, 6),
    }
}

/// Trades as one frame.
pub(crate) fn trades<'a>(
    spec: &PairSpec,
    kind: &str,
    list: impl IntoIterator<Item = &'a TradeRec>,
) -> String {
    let data: Vec<Trade> = list.into_iter().map(|t| trade(spec, t)).collect();
    frame("trade", kind, data)
}

fn candle(spec: &PairSpec, c: &CandleRec) -> Candle {
    let vwap = if c.volume == 0 {
        c.close
    } else {
        (c.notional / i128::from(c.volume)) as i64
    };
    let begin_ns = i128::from(c.begin) * 1_000_000_000;
    let end_ns = begin_ns + i128::from(c.interval) * 60 * 1_000_000_000;
    Candle {
        symbol: Symbol::from(spec.symbol.as_str()),
        open: price(spec, c.open),
        high: price(spec, c.high),
        low: price(spec, c.low),
        close: price(spec, c.close),
        vwap: price(spec, vwap),
        trades: c.trades,
        volume: qty(spec, c.volume),
        interval_begin: from_ns(begin_ns, 9),
        interval: c.interval,
        timestamp: Some(from_ns(end_ns, 6)),
    }
}

/// The running candle of `interval`, if any trade happened yet, as a frame;
/// a snapshot also carries the closed candles before it, oldest first.
pub(crate) fn candles(market: &Market, interval: u32, kind: &str) -> Option<String> {
    let running = market
        .history
        .candles
        .iter()
        .find(|c| c.interval == interval)?;
    let mut list: Vec<Candle> = Vec::new();
    if kind == "snapshot" {
        list.extend(
            market
                .history
                .closed
                .iter()
                .filter(|c| c.interval == interval)
                .map(|c| candle(&market.spec, c)),
        );
    }
    list.push(candle(&market.spec, running));
    Some(frame_at("ohlc", kind, Some(now(9)), list))
}

/// An empty ohlc snapshot, for a pair that has not traded yet.
pub(crate) fn empty_candles(kind: &str) -> String {
    frame_at("ohlc", kind, Some(now(9)), Vec::<Candle>::new())
}

fn pair_info(spec: &PairSpec, status: PairStatus) -> PairInfo {
    let step = |precision: u8| Decimal::new(1, precision).unwrap_or_default();
    PairInfo {
        symbol: Symbol::from(spec.symbol.as_str()),
        base: Asset::from(spec.base.as_str()),
        quote: Asset::from(spec.quote.as_str()),
        status,
        qty_precision: spec.qty_precision,
        qty_increment: step(spec.qty_precision),
        qty_min: qty(spec, spec.qty_min),
        price_precision: spec.price_precision,
        price_increment: step(spec.price_precision),
        tick_size: Some(step(spec.price_precision)),
        cost_precision: Some(5),
        cost_min: Decimal::new(spec.cost_min_e5, 5).ok(),
        marginable: Some(false),
        has_index: Some(true),
        margin_initial: None,
        position_limit_long: None,
        position_limit_short: None,
    }
}

/// Every asset and pair of the markets, each pair with its current
/// status.
pub(crate) fn instrument_data(markets: &[Market]) -> InstrumentData {
    let mut assets: Vec<String> = Vec::new();
    for spec in markets.iter().map(|m| &m.spec) {
        for a in [&spec.base, &spec.quote] {
            if !assets.contains(a) {
                assets.push(a.clone());
            }
        }
    }
    InstrumentData {
        assets: assets
            .iter()
            .map(|a| AssetInfo {
                id: Asset::from(a.as_str()),
                status: AssetStatus::Enabled,
                precision: 10,
                precision_display: 5,
                borrowable: Some(false),
                collateral_value: Decimal::new(1, 0).ok(),
                margin_rate: None,
                multiplier: None,
            })
            .collect(),
        pairs: markets
            .iter()
            .map(|m| pair_info(&m.spec, m.status.clone()))
            .collect(),
    }
}

/// An `instrument` update for one changed pair: Kraken sends only what
/// changed, so `assets` is empty and `pairs` holds the one pair in full.
pub(crate) fn instrument_pair_update(market: &Market) -> String {
    let data = InstrumentData {
        assets: Vec::new(),
        pairs: vec![pair_info(&market.spec, market.status.clone())],
    };
    frame("instrument", "update", data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_put_deletes_then_refills_then_new_levels() {
        // Window of 3 asks; 101 deleted, 104 refills from beyond, 99 new.
        let old = [(101, 5), (102, 5), (103, 5)];
        let new = [(99, 1), (102, 5), (103, 5)];
        let book = [99, 102, 103, 104];
        let changes = side_update(
            false,
            &old,
            &new,
            |p| book.contains(&p),
            |p| p == 99 || p == 101,
        );
        assert_eq!(changes, vec![(101, 0), (99, 1)]);

        let new = [(102, 5), (103, 5), (104, 7)];
        let book = [102, 103, 104, 105];
        let changes = side_update(false, &old, &new, |p| book.contains(&p), |p| p == 101);
        assert_eq!(changes, vec![(101, 0), (104, 7)]);
    }

    #[test]
    fn bids_rank_descending() {
        // Window of 3 bids; 99 traded away, 96 refills, 101 new at the top.
        let old = [(99, 5), (98, 5), (97, 5)];
        let new = [(101, 1), (98, 5), (97, 5)];
        let book = [101, 98, 97, 96];
        let changes = side_update(
            true,
            &old,
            &new,
            |p| book.contains(&p),
            |p| p == 101 || p == 99,
        );
        assert_eq!(changes, vec![(99, 0), (101, 1)]);
        let new = [(98, 4), (97, 5), (96, 2)];
        let changes = side_update(
            true,
            &old,
            &new,
            |p| book.contains(&p),
            |p| p == 99 || p == 98,
        );
        assert_eq!(changes, vec![(99, 0), (96, 2), (98, 4)]);
    }

    #[test]
    fn pushed_out_levels_get_no_delete() {
        let old = [(101, 5), (102, 5), (103, 5)];
        let new = [(100, 2), (101, 5), (102, 5)];
        let book = [100, 101, 102, 103];
        let changes = side_update(false, &old, &new, |p| book.contains(&p), |p| p == 100);
        assert_eq!(changes, vec![(100, 2)]);
    }
}
