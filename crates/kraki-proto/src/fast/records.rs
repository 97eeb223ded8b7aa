//! The objects of the hot channels, field by field.

use super::book_item;
use super::value::read_object;
use crate::channels::{BookData, ExecutionReport, Level3Data, Level3Order, Ticker, Trade};
use crate::scan::Cursor;
use crate::time_reader::TimeReader;
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

/// An execution report. The fields are in the order of Kraken's fill
/// reports, the most frequent, then the rest; other orders are read as
/// well, a little slower.
#[inline(always)]
pub(super) fn execution(c: &mut Cursor<'_>) -> Option<ExecutionReport> {
    Some(read_object!(
        c,
        ExecutionReport {
            order_id: required,
            order_userref: optional,
            exec_id: optional,
            exec_type: required,
            trade_id: optional,
            symbol: optional,
            side: optional,
            last_qty: optional,
            last_price: optional,
            liquidity_ind: optional,
            cost: optional,
            order_type: optional,
            timestamp: optional,
            order_status: required,
            cum_qty: optional,
            cum_cost: optional,
            avg_price: optional,
            fee_usd_equiv: optional,
            fees: optional,
            order_qty: optional,
            cash_order_qty: optional,
            display_qty: optional,
            display_qty_remain: optional,
            limit_price: optional,
            limit_price_type: optional,
            time_in_force: optional,
            effective_time: optional,
            expire_time: optional,
            post_only: optional,
            reduce_only: optional,
            margin: optional,
            no_mpp: optional,
            liquidated: optional,
            amended: optional,
            cl_ord_id: optional,
            ord_ref_id: optional,
            ext_ord_id: optional,
            ext_exec_id: optional,
            sender_sub_id: optional,
            fee_ccy_pref: optional,
            margin_borrow: optional,
            position_status: optional,
            reason: optional,
            contingent: optional,
            triggers: optional,
            user: optional,
            cancel_reason: optional,
            stop_price: optional,
            trigger: optional,
            triggered_price: optional,
            ratecount: optional,
        }
    ))
}
