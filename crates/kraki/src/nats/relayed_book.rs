//! What the book feeder needs of a book kind beyond what the client's
//! verified book gives, for L2 (`book`) and level3 alike: its channel's
//! name and how the book is written as a snapshot frame.

use super::frames::frame;
use crate::VerifiedBook;
use kraki_proto::book::{L2Book, L3Book};
use kraki_proto::channels::{BookData, Level3Data, Level3Order, PriceLevel};
use kraki_proto::{MessageType, Timestamp};

pub(crate) trait RelayedBook: VerifiedBook {
    /// The channel's name in frames and subjects.
    const NAME: &'static str;
    /// A snapshot frame of the book as it stands, at `at` (the last
    /// update's time).
    fn snapshot(&self, at: Option<Timestamp>) -> String;
}

impl RelayedBook for L2Book {
    const NAME: &'static str = "book";

    fn snapshot(&self, at: Option<Timestamp>) -> String {
        let level = |l: kraki_proto::book::Level| PriceLevel {
            price: l.price,
            qty: l.qty,
        };
        let data = BookData {
            symbol: self.symbol().clone(),
            bids: self.bids().map(level).collect(),
            asks: self.asks().map(level).collect(),
            checksum: self.checksum(),
            timestamp: at,
        };
        frame("book", MessageType::Snapshot, &data)
    }
}

impl RelayedBook for L3Book {
    const NAME: &'static str = "level3";

    fn snapshot(&self, at: Option<Timestamp>) -> String {
        // The book keeps each order's id and visible quantity, in queue
        // order, which is all a snapshot and its checksum need.
        let orders = |levels: &mut dyn Iterator<Item = kraki_proto::book::L3Level>| {
            levels
                .flat_map(|level| {
                    let price = level.price;
                    level
                        .orders
                        .into_iter()
                        .map(move |(order_id, qty)| Level3Order {
                            event: None,
                            order_id,
                            limit_price: price,
                            order_qty: qty,
                            timestamp: None,
                        })
                })
                .collect()
        };
        let data = Level3Data {
            symbol: self.symbol().clone(),
            bids: orders(&mut self.bids()),
            asks: orders(&mut self.asks()),
            checksum: self.checksum(),
            timestamp: at,
        };
        frame("level3", MessageType::Snapshot, &data)
    }
}
