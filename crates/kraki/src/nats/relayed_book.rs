//! What the book feeder needs of a book kind, for L2 (`book`) and
//! level3 alike: its subscription, how a message applies and verifies,
//! and how the book is written as a snapshot frame.

use super::frames::frame;
use crate::{Book, BookUpdate, Level3, Level3Update, Subscribe};
use kraki_proto::book::{BookError, BookView, L2Book, L3Book, Level3View, Precision, Verification};
use kraki_proto::channels::{BookData, Level3Data, Level3Order, PriceLevel};
use kraki_proto::{MessageType, Timestamp};

pub(crate) trait RelayedBook: Send + 'static {
    type Spec: Subscribe<Item = Self::Update>;
    type Update: Clone + Send + 'static;
    fn fresh(symbol: &str, precision: Precision, depth: u32) -> Self;
    fn spec(symbol: &str, depth: u32) -> Self::Spec;
    fn kind(update: &Self::Update) -> MessageType;
    fn timestamp(update: &Self::Update) -> Option<Timestamp>;
    fn apply(&mut self, update: &Self::Update) -> Result<Verification, BookError>;
    fn in_sync(&self) -> bool;
    /// The message's frame, as Kraken sent it.
    fn frame(update: &Self::Update) -> String;
    /// A snapshot frame of the book as it stands, at `at` (the last
    /// update's time).
    fn snapshot(&self, at: Option<Timestamp>) -> String;
}

impl RelayedBook for L2Book {
    type Spec = Book;
    type Update = BookUpdate;

    fn fresh(symbol: &str, precision: Precision, depth: u32) -> Self {
        L2Book::new(symbol, precision, depth as usize)
    }

    fn spec(symbol: &str, depth: u32) -> Book {
        Book::new([symbol]).depth(depth)
    }

    fn kind(update: &BookUpdate) -> MessageType {
        update.kind
    }

    fn timestamp(update: &BookUpdate) -> Option<Timestamp> {
        update.book.timestamp
    }

    fn apply(&mut self, update: &BookUpdate) -> Result<Verification, BookError> {
        self.apply_update(update.kind, &BookView::from(&update.book))
    }

    fn in_sync(&self) -> bool {
        self.is_in_sync()
    }

    fn frame(update: &BookUpdate) -> String {
        frame("book", update.kind, &update.book)
    }

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
    type Spec = Level3;
    type Update = Level3Update;

    fn fresh(symbol: &str, precision: Precision, depth: u32) -> Self {
        L3Book::new(symbol, precision, depth as usize)
    }

    fn spec(symbol: &str, depth: u32) -> Level3 {
        Level3::new([symbol]).depth(depth)
    }

    fn kind(update: &Level3Update) -> MessageType {
        update.kind
    }

    fn timestamp(update: &Level3Update) -> Option<Timestamp> {
        update.data.timestamp
    }

    fn apply(&mut self, update: &Level3Update) -> Result<Verification, BookError> {
        self.apply_update(update.kind, &Level3View::from(&update.data))
    }

    fn in_sync(&self) -> bool {
        self.is_in_sync()
    }

    fn frame(update: &Level3Update) -> String {
        frame("level3", update.kind, &update.data)
    }

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
