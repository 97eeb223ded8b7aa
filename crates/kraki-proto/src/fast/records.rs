//! The objects of the hot channels, field by field.

use super::book_item;
use super::value::read_object;
use crate::book::TimeReader;
use crate::channels::{BookData, ExecutionReport, Level3Data, Level3Order, Ticker, Trade};
use crate::scan::Cursor;
use crate::{OrderId, Symbol};

/// A JSON array of objects, each read by `one` into the list `new_list`
/// gives (only once there is a first one: an empty array allocates
/// nothing). Inlined here: returned through memory, a record is written
/// in narrow stores and copied into the vector in wide loads, which
/// stalls.
#[inline(always)]
pub(super) fn list<T>(
    c: &mut Cursor<'_>,
    mut one: impl FnMut(&mut Cursor<'_>) -> Option<T>,
    new_list: impl Fn() -> Vec<T>,
) -> Option<Vec<T>> {
    if !c.array_open()? {
        return Some(Vec::new());
    }
    let mut out = new_list();
    c.array_elements(|c| {
        out.push(one(c)?);
        Some(())
    })?;
    Some(out)
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

/// A `book` item, its levels in recycled lists (every book frame carries
/// two) and its symbol in a recycled string.
#[inline(always)]
pub(super) fn book(c: &mut Cursor<'_>) -> Option<BookData> {
    // Only read when it is not in Kraken's usual form: nothing to
    // remember between frames.
    let mut times = TimeReader::new();
    let item = book_item::read(c, &mut times, |c, _| {
        list(c, |c| c.level(), super::pool::levels)
    })?;
    Some(BookData {
        symbol: Symbol::new(super::pool::text(c.text(item.symbol)?)),
        bids: item.bids,
        asks: item.asks,
        checksum: item.checksum,
        timestamp: item.timestamp,
    })
}

/// A `level3` item, its orders in owned lists.
#[inline(always)]
pub(super) fn level3(c: &mut Cursor<'_>, times: &mut TimeReader) -> Option<Level3Data> {
    let item = book_item::read(c, times, |c, times| {
        list(
            c,
            |c| {
                let order = c.order(times)?;
                Some(Level3Order {
                    event: order.event,
                    order_id: OrderId::from(c.text(order.order_id)?),
                    limit_price: order.limit_price,
                    order_qty: order.order_qty,
                    timestamp: order.timestamp,
                })
            },
            Vec::new,
        )
    })?;
    Some(Level3Data {
        symbol: Symbol::from(c.text(item.symbol)?),
        bids: item.bids,
        asks: item.asks,
        checksum: item.checksum,
        timestamp: item.timestamp,
    })
}

#[inline(always)]
pub(super) fn execution(c: &mut Cursor<'_>) -> Option<ExecutionReport> {
    ExecutionReport::read_fast(c)
}
