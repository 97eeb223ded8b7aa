//! Borrowed views of one book or level3 message item: what the books
//! apply. Both decoders produce them: [`crate::decode`] (through `From`
//! on the owned types) and the allocation-free
//! [`FrameParser`](super::FrameParser).

use crate::channels::{BookData, Level3Data, Level3Event, Level3Order, PriceLevel};
use crate::fast::level::OrderSlot;
use crate::{Decimal, Timestamp};

/// One item of a `book` message, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookView<'a> {
    /// The pair.
    pub symbol: &'a str,
    /// Bid levels in message order.
    pub bids: &'a [PriceLevel],
    /// Ask levels in message order.
    pub asks: &'a [PriceLevel],
    /// Kraken's checksum of the book after this message.
    pub checksum: u32,
    /// The item's timestamp, when sent.
    pub timestamp: Option<Timestamp>,
}

impl<'a> From<&'a BookData> for BookView<'a> {
    fn from(data: &'a BookData) -> Self {
        BookView {
            symbol: data.symbol.as_str(),
            bids: &data.bids,
            asks: &data.asks,
            checksum: data.checksum,
            timestamp: data.timestamp,
        }
    }
}

/// One order event of a level3 message, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level3OrderRef<'a> {
    /// The event; absent in snapshots (an add).
    pub event: Option<&'a Level3Event>,
    /// Kraken's order id.
    pub order_id: &'a str,
    /// The order's limit price.
    pub limit_price: Decimal,
    /// Remaining visible quantity.
    pub order_qty: Decimal,
    /// When the order was inserted or amended.
    pub timestamp: Option<Timestamp>,
}

/// The orders of one side of a level3 item, from either decoder.
#[derive(Debug, Clone, Copy)]
pub struct Level3Orders<'a>(OrdersSource<'a>);

#[derive(Debug, Clone, Copy)]
enum OrdersSource<'a> {
    Decoded(&'a [Level3Order]),
    Parsed {
        text: &'a str,
        slots: &'a [OrderSlot],
    },
}

impl<'a> Level3Orders<'a> {
    pub(crate) fn parsed(text: &'a str, slots: &'a [OrderSlot]) -> Self {
        Level3Orders(OrdersSource::Parsed { text, slots })
    }

    /// The number of orders.
    #[must_use]
    pub fn len(&self) -> usize {
        match self.0 {
            OrdersSource::Decoded(orders) => orders.len(),
            OrdersSource::Parsed { slots, .. } => slots.len(),
        }
    }

    /// True when there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The orders in message order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Level3OrderRef<'a>> + 'a {
        let (decoded, parsed, text) = match self.0 {
            OrdersSource::Decoded(orders) => (orders, &[][..], ""),
            OrdersSource::Parsed { text, slots } => (&[][..], slots, text),
        };
        // One of the two is empty: chaining keeps a single concrete type.
        let from_decoded = decoded.iter().map(|o| Level3OrderRef {
            event: o.event.as_ref(),
            order_id: o.order_id.as_str(),
            limit_price: o.limit_price,
            order_qty: o.order_qty,
            timestamp: o.timestamp,
        });
        let from_parsed = parsed.iter().map(move |s| Level3OrderRef {
            event: s.event.as_ref(),
            order_id: text.get(s.order_id.clone()).unwrap_or_default(),
            limit_price: s.limit_price,
            order_qty: s.order_qty,
            timestamp: s.timestamp,
        });
        ExactChain(from_decoded.chain(from_parsed), self.len())
    }
}

/// `Chain` is not `ExactSizeIterator`; the length is known here.
struct ExactChain<I>(I, usize);

impl<I: Iterator> Iterator for ExactChain<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.0.next()?;
        self.1 = self.1.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<I: Iterator> ExactSizeIterator for ExactChain<I> {}

/// One item of a `level3` message, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Level3View<'a> {
    /// The pair.
    pub symbol: &'a str,
    /// Bid order events in message order.
    pub bids: Level3Orders<'a>,
    /// Ask order events in message order.
    pub asks: Level3Orders<'a>,
    /// Kraken's level3 checksum of the book after this message.
    pub checksum: u32,
    /// When the message was generated.
    pub timestamp: Option<Timestamp>,
}

impl<'a> From<&'a Level3Data> for Level3View<'a> {
    fn from(data: &'a Level3Data) -> Self {
        Level3View {
            symbol: data.symbol.as_str(),
            bids: Level3Orders(OrdersSource::Decoded(&data.bids)),
            asks: Level3Orders(OrdersSource::Decoded(&data.asks)),
            checksum: data.checksum,
            timestamp: data.timestamp,
        }
    }
}
