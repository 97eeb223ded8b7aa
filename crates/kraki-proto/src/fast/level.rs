//! The members of a book side, read in place: a price level, a level3
//! order, and the timestamps they and their items carry. The one reader of
//! each, for the decoded messages and for the book parser behind
//! [`FrameParser`](crate::book::FrameParser) alike.

use crate::channels::{Level3Event, PriceLevel};
use crate::scan::Cursor;
use crate::time_reader::{TimeReader, read_quoted_micros};
use crate::{Decimal, Timestamp};
use std::ops::Range;

/// An order as the fast parser stores it: the id as a range of the frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderSlot {
    pub(crate) event: Option<Level3Event>,
    pub(crate) order_id: Range<usize>,
    pub(crate) limit_price: Decimal,
    pub(crate) order_qty: Decimal,
    pub(crate) timestamp: Option<Timestamp>,
}

impl Cursor<'_> {
    /// `{"price":…,"qty":…}` in either order, unknown members skipped.
    /// Inlined into the side's loop: returned through memory, a level is
    /// written in narrow stores and read back in wide ones, which stalls.
    #[inline(always)]
    pub(crate) fn level(&mut self) -> Option<PriceLevel> {
        // Kraken's form first; anything else is read again the long way.
        let start = self.pos;
        if self.lit(br#"{"price":"#) {
            if let Some(price) = self.decimal() {
                if self.lit(br#","qty":"#) {
                    if let Some(qty) = self.decimal() {
                        if self.eat(b'}').is_some() {
                            return Some(PriceLevel { price, qty });
                        }
                    }
                }
            }
            self.pos = start;
        }
        self.level_any_form()
    }

    #[inline(never)]
    fn level_any_form(&mut self) -> Option<PriceLevel> {
        let mut price = None;
        let mut qty = None;
        self.eat(b'{')?;
        self.ws();
        loop {
            match self.key()? {
                b"price" if price.is_none() => price = Some(self.decimal()?),
                b"qty" if qty.is_none() => qty = Some(self.decimal()?),
                b"price" | b"qty" => return None,
                _ => self.skip_value(1)?,
            }
            if !self.comma_or_end(b'}')? {
                break;
            }
        }
        Some(PriceLevel {
            price: price?,
            qty: qty?,
        })
    }

    /// A level3 order or order event, its id left in the frame.
    pub(crate) fn order(&mut self, times: &mut TimeReader) -> Option<OrderSlot> {
        let mut event = None;
        let mut order_id = None;
        let mut limit_price = None;
        let mut order_qty = None;
        let mut timestamp = None;
        self.eat(b'{')?;
        self.ws();
        loop {
            match self.key()? {
                b"event" if event.is_none() => {
                    event = Some(if self.lit(b"null") {
                        None
                    } else {
                        Some(match self.string()? {
                            b"add" => Level3Event::Add,
                            b"modify" => Level3Event::Modify,
                            b"delete" => Level3Event::Delete,
                            other => Level3Event::from(std::str::from_utf8(other).ok()?),
                        })
                    });
                }
                b"order_id" if order_id.is_none() => order_id = Some(self.string_range()?),
                b"limit_price" if limit_price.is_none() => limit_price = Some(self.decimal()?),
                b"order_qty" if order_qty.is_none() => order_qty = Some(self.decimal()?),
                b"timestamp" if timestamp.is_none() => {
                    timestamp = Some(self.optional_time(times)?);
                }
                b"event" | b"order_id" | b"limit_price" | b"order_qty" | b"timestamp" => {
                    return None;
                }
                _ => self.skip_value(1)?,
            }
            if !self.comma_or_end(b'}')? {
                break;
            }
        }
        Some(OrderSlot {
            event: event.flatten(),
            order_id: order_id?,
            limit_price: limit_price?,
            order_qty: order_qty?,
            timestamp: timestamp.flatten(),
        })
    }

    /// A timestamp string, read as [`Timestamp::parse`] reads its content.
    /// Kraken's usual form (microseconds) is read inline, in straight-line
    /// code: every book item carries one. The others are out of line.
    #[inline(always)]
    pub(crate) fn time(&mut self, times: &mut TimeReader) -> Option<Timestamp> {
        let quoted = self.b.get(self.pos..).and_then(|r| r.first_chunk::<29>());
        if let Some(time) = quoted.and_then(read_quoted_micros) {
            self.pos += 29;
            return Some(time);
        }
        self.time_any_form(times)
    }

    #[inline(never)]
    fn time_any_form(&mut self, times: &mut TimeReader) -> Option<Timestamp> {
        // Kraken's other forms (nine or no fractional digits) end in `Z"`
        // at a known place; a valid time holds no quote, so the one found
        // there is the string's end, and the scan for it can be skipped.
        for len in [30, 20] {
            let end = self.pos + 1 + len;
            if self.peek() == Some(b'"') && self.b.get(end - 1..=end) == Some(&b"Z\""[..]) {
                if let Some(time) = self.text(self.pos + 1..end).and_then(|t| times.read(t)) {
                    self.pos = end + 1;
                    return Some(time);
                }
            }
        }
        let range = self.string_range()?;
        times.read(self.text(range)?)
    }

    /// `null` or a timestamp.
    #[inline(always)]
    pub(crate) fn optional_time(&mut self, times: &mut TimeReader) -> Option<Option<Timestamp>> {
        if self.lit(b"null") {
            return Some(None);
        }
        self.time(times).map(Some)
    }
}
