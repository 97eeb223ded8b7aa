//! The objects of the hot channels, field by field.

use super::value::read_object;
use crate::channels::{BookData, ExecutionReport, PriceLevel, Ticker, Trade};
use crate::scan::Cursor;

/// A JSON array of objects, each read by `one` into the list `new_list`
/// gives, which is inlined here:
/// returned through memory, a record is written in narrow stores and
/// copied into the vector in wide loads, which stalls.
#[inline(always)]
pub(super) fn list<T>(
    c: &mut Cursor<'_>,
    one: impl Fn(&mut Cursor<'_>) -> Option<T>,
    new_list: impl Fn() -> Vec<T>,
) -> Option<Vec<T>> {
    c.eat(b'[')?;
    c.ws();
    if c.eat(b']').is_some() {
        return Some(Vec::new());
    }
    let mut out = new_list();
    loop {
        out.push(one(c)?);
        if !c.comma_or_end(b']')? {
            return Some(out);
        }
    }
}

#[inline(always)]
pub(super) fn ticker(c: &mut Cursor<'_>) -> Option<Ticker> {
    Some(read_object!(
        c,
        Ticker {
            symbol: required,
            bid: required,
            bid_qty: required,
            ask: required,
            ask_qty: required,
            last: required,
            volume: required,
            vwap: required,
            low: required,
            high: required,
            change: required,
            change_pct: required,
            timestamp: optional,
        }
    ))
}

#[inline(always)]
pub(super) fn trade(c: &mut Cursor<'_>) -> Option<Trade> {
    Some(read_object!(
        c,
        Trade {
            symbol: required,
            side: required,
            price: required,
            qty: required,
            ord_type: required,
            trade_id: required,
            timestamp: required,
        }
    ))
}

// Inlined into the array loop: returned through memory, a level is
// written in narrow stores and read back in wide ones, which stalls.
#[inline(always)]
fn level(c: &mut Cursor<'_>) -> Option<PriceLevel> {
    Some(read_object!(
        c,
        PriceLevel {
            price: required,
            qty: required,
        }
    ))
}

impl super::value::FastValue for PriceLevel {
    #[inline(always)]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        level(c)
    }

    /// Recycled lists: every book frame carries two.
    #[inline]
    fn new_list() -> Vec<Self> {
        super::pool::levels()
    }
}

#[inline(always)]
pub(super) fn book(c: &mut Cursor<'_>) -> Option<BookData> {
    // `bids` and `asks` default to empty when absent, as in serde.
    Some(read_object!(
        c,
        BookData {
            symbol: required,
            bids: defaulted,
            asks: defaulted,
            checksum: required,
            timestamp: optional,
        }
    ))
}

#[inline(always)]
pub(super) fn execution(c: &mut Cursor<'_>) -> Option<ExecutionReport> {
    ExecutionReport::read_fast(c)
}
