//! Property test: the level3 book against a naive reference (a sorted map
//! of price → orders in queue order, every order formatted as a string for
//! each checksum), through both decoders.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::book::{FastFrame, FrameParser, L3Book, Precision, Verification};
use kraki_proto::{Decimal, Inbound, OrderId, decode};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Price units → orders (id, qty units), oldest first.
type NaiveSide = BTreeMap<i64, Vec<(String, i64)>>;

struct Naive {
    bids: NaiveSide,
    asks: NaiveSide,
    depth: usize,
    precision: Precision,
}

impl Naive {
    fn side(&mut self, bid: bool) -> &mut NaiveSide {
        if bid { &mut self.bids } else { &mut self.asks }
    }

    fn remove(&mut self, id: &str) {
        for side in [&mut self.bids, &mut self.asks] {
            for orders in side.values_mut() {
                orders.retain(|(o, _)| o != id);
            }
            side.retain(|_, orders| !orders.is_empty());
        }
    }

    fn find(&self, id: &str) -> Option<(bool, i64)> {
        for (bid, side) in [(true, &self.bids), (false, &self.asks)] {
            for (price, orders) in side {
                if orders.iter().any(|(o, _)| o == id) {
                    return Some((bid, *price));
                }
            }
        }
        None
    }

    fn apply(&mut self, event: &Event) {
        let Event {
            bid,
            kind,
            id,
            price,
            qty,
        } = event.clone();
        match kind {
            Kind::Delete => self.remove(&id),
            Kind::Modify if self.find(&id) == Some((bid, price)) => {
                let orders = self.side(bid).get_mut(&price).unwrap();
                orders.iter_mut().find(|(o, _)| *o == id).unwrap().1 = qty;
            }
            // An add, or a modify of an order not known at that price: the
            // order goes to the back of its queue.
            _ => {
                self.remove(&id);
                self.side(bid).entry(price).or_default().push((id, qty));
            }
        }
    }

    fn truncate(&mut self) {
        while self.bids.len() > self.depth {
            self.bids.pop_first();
        }
        while self.asks.len() > self.depth {
            self.asks.pop_last();
        }
    }

    fn checksum(&self) -> u32 {
        let fmt = |units: i64, prec: u8| {
            let s = Decimal::new(units, prec)
                .unwrap()
                .to_string()
                .replace('.', "");
            let s = s.trim_start_matches('0');
            if s.is_empty() {
                "0".to_owned()
            } else {
                s.to_owned()
            }
        };
        let mut text = String::new();
        let levels = self
            .asks
            .iter()
            .take(10)
            .chain(self.bids.iter().rev().take(10));
        for (price, orders) in levels {
            for (_, qty) in orders {
                text += &fmt(*price, self.precision.price);
                text += &fmt(*qty, self.precision.qty);
            }
        }
        crc32fast::hash(text.as_bytes())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Add,
    Modify,
    Delete,
}

#[derive(Debug, Clone)]
struct Event {
    bid: bool,
    kind: Kind,
    id: String,
    price: i64,
    qty: i64,
}

fn order_json(e: &Event, precision: Precision, snapshot: bool) -> String {
    let event = match (snapshot, e.kind) {
        (true, _) => String::new(),
        (false, Kind::Add) => r#""event":"add","#.to_owned(),
        (false, Kind::Modify) => r#""event":"modify","#.to_owned(),
        (false, Kind::Delete) => r#""event":"delete","#.to_owned(),
    };
    format!(
        r#"{{{event}"order_id":"{}","limit_price":{},"order_qty":{},"timestamp":"2024-05-19T18:55:20.910159752Z"}}"#,
        e.id,
        Decimal::new(e.price, precision.price).unwrap(),
        Decimal::new(e.qty, precision.qty).unwrap()
    )
}

/// Raw events: (is bid, kind, order number, price offset, qty).
type Raw = (bool, u8, u8, i64, i64);

fn to_event((bid, kind, n, offset, qty): Raw, mid: i64) -> Event {
    let kind = match kind % 4 {
        0 | 1 => Kind::Add,
        2 => Kind::Modify,
        _ => Kind::Delete,
    };
    Event {
        bid,
        kind,
        // Few ids, so that modifies and deletes find their orders; one set
        // per side, as an order does not change sides.
        id: format!("{}{}", if bid { 'B' } else { 'A' }, n % 16),
        price: if bid {
            mid - 1 - offset
        } else {
            mid + 1 + offset
        },
        qty,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn level3_book_matches_naive_reference(
        price_prec in 0u8..6,
        qty_prec in 0u8..9,
        depth in prop::sample::select(vec![1usize, 3, 10, 12]),
        mid in 1000i64..50_000,
        snapshot in prop::collection::vec((any::<bool>(), Just(0u8), any::<u8>(), 0i64..15, 1i64..5000), 0..30),
        updates in prop::collection::vec(
            prop::collection::vec((any::<bool>(), any::<u8>(), any::<u8>(), 0i64..15, 1i64..5000), 1..4),
            1..40,
        ),
    ) {
        let precision = Precision::new(price_prec, qty_prec);
        let mut naive = Naive { bids: BTreeMap::new(), asks: BTreeMap::new(), depth, precision };
        let mut book = L3Book::new("X/Y", precision, depth);
        let mut fast_book = L3Book::new("X/Y", precision, depth);
        let mut parser = FrameParser::new();
        let messages = std::iter::once((true, snapshot)).chain(updates.into_iter().map(|u| (false, u)));
        for (is_snapshot, raw) in messages {
            let events: Vec<Event> = raw.into_iter().map(|r| to_event(r, mid)).collect();
            for e in &events {
                naive.apply(e);
            }
            naive.truncate();
            let sum = naive.checksum();
            let side = |bid: bool| {
                events
                    .iter()
                    .filter(|e| e.bid == bid)
                    .map(|e| order_json(e, precision, is_snapshot))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let kind = if is_snapshot { "snapshot" } else { "update" };
            let frame = format!(
                r#"{{"channel":"level3","type":"{kind}","data":[{{"symbol":"X/Y","checksum":{sum},"bids":[{}],"asks":[{}]}}]}}"#,
                side(true),
                side(false)
            );
            let Inbound::Level3(msg) = decode(&frame).unwrap() else { panic!() };
            let verdict = book.apply(msg.kind, &msg.data[0]).unwrap();
            prop_assert_eq!(verdict, Verification::Verified, "{}", frame);
            prop_assert_eq!(book.checksum(), sum);
            let Some(FastFrame::Level3(fast)) = parser.parse(&frame) else { panic!("{frame}") };
            for update in fast.updates() {
                let verdict = fast_book.apply_update(fast.kind(), &update).unwrap();
                prop_assert_eq!(verdict, Verification::Verified, "{}", frame);
            }
            // Queue positions agree with the model.
            for (bid, side) in [(true, &naive.bids), (false, &naive.asks)] {
                for orders in side.values() {
                    let mut ahead = 0;
                    for (n, (id, qty)) in orders.iter().enumerate() {
                        let (pos, qty_ahead) = book.queue_position(&OrderId::from(id.as_str())).unwrap();
                        prop_assert_eq!(pos, n, "{} bid={}", id, bid);
                        prop_assert_eq!(qty_ahead, Decimal::new(ahead, qty_prec).unwrap());
                        ahead += qty;
                    }
                }
            }
            prop_assert_eq!(book.len(), (naive.bids.len(), naive.asks.len()));
        }
    }
}
