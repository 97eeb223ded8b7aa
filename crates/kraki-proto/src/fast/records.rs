//! The objects of the hot channels, field by field.

use super::value::read_object;
use crate::channels::{BookData, ExecutionReport, PriceLevel, Ticker, Trade};
use crate::scan::Cursor;

/// A JSON array of objects, each read by `one`.
pub(super) fn list<T>(c: &mut Cursor<'_>, one: fn(&mut Cursor<'_>) -> Option<T>) -> Option<Vec<T>> {
    c.eat(b'[')?;
    c.ws();
    let mut out = Vec::with_capacity(1);
    if c.eat(b']').is_some() {
        return Some(out);
    }
    loop {
        c.ws();
        out.push(one(c)?);
        if !c.comma_or_end(b']')? {
            return Some(out);
        }
    }
}

pub(super) fn ticker(c: &mut Cursor<'_>) -> Option<Ticker> {
    Some(read_object!(
        c,
        Ticker {
            required: [
                symbol, bid, bid_qty, ask, ask_qty, last, volume, vwap, low, high, change,
                change_pct
            ],
            optional: [timestamp],
        }
    ))
}

pub(super) fn trade(c: &mut Cursor<'_>) -> Option<Trade> {
    Some(read_object!(
        c,
        Trade {
            required: [symbol, side, price, qty, ord_type, trade_id, timestamp],
            optional: [],
        }
    ))
}

fn level(c: &mut Cursor<'_>) -> Option<PriceLevel> {
    Some(read_object!(
        c,
        PriceLevel {
            required: [price, qty],
            optional: []
        }
    ))
}

impl super::value::FastValue for PriceLevel {
    #[inline]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        level(c)
    }
}

pub(super) fn book(c: &mut Cursor<'_>) -> Option<BookData> {
    // `bids` and `asks` default to empty when absent, as in serde.
    Some(read_object!(
        c,
        BookData {
            required: [symbol, checksum],
            optional: [timestamp],
            defaulted: [bids, asks],
        }
    ))
}

pub(super) fn execution(c: &mut Cursor<'_>) -> Option<ExecutionReport> {
    ExecutionReport::read_fast(c)
}
