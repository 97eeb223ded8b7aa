//! The level3 book: the §7.3 known answer, queue order, and updates
//! checked against the plain checksum function.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::book::{L3Book, Precision, Verification};
use kraki_proto::{Inbound, OrderId, decode};

/// §7.3's docs example as a snapshot frame: 21 bid and 14 ask orders over
/// ten levels a side, checksum 1063832831.
fn docs_snapshot() -> String {
    include_str!("fixtures/level3-docs-snapshot.json").to_owned()
}

fn apply(book: &mut L3Book, frame: &str) -> Verification {
    let Inbound::Level3(m) = decode(frame).unwrap() else {
        panic!("not level3")
    };
    book.apply(m.kind, &m.data[0]).unwrap()
}

#[test]
fn docs_example_verifies_and_keeps_queue_order() {
    let mut book = L3Book::new("BTC/USD", Precision::new(1, 8), 10);
    assert_eq!(apply(&mut book, &docs_snapshot()), Verification::Verified);
    assert_eq!(book.order_count(), 35);
    let best_bid = book.bids().next().unwrap();
    assert_eq!(best_bid.price.to_string(), "44939.4");
    assert_eq!(best_bid.orders.len(), 8);
    assert_eq!(best_bid.total.to_string(), "3.55788870");
    // The third order at 44939.4 has two ahead of it.
    let (pos, ahead) = book.queue_position(&OrderId::from("B3")).unwrap();
    assert_eq!(pos, 2);
    assert_eq!(ahead.to_string(), "1.34178699");
}

#[test]
fn add_modify_delete_in_queue_order() {
    let mut book = L3Book::new("BTC/USD", Precision::new(1, 8), 10);
    assert!(apply(&mut book, &docs_snapshot()).is_verified());
    // Work out the expected checksum by rebuilding from the book's own
    // view with the plain function, after each event.
    let expect = |book: &L3Book| {
        let units = |levels: Vec<kraki_proto::book::L3Level>| -> Vec<(u64, Vec<u64>)> {
            levels
                .into_iter()
                .map(|l| {
                    (
                        l.price.to_units(1).unwrap() as u64,
                        l.orders
                            .iter()
                            .map(|(_, q)| q.to_units(8).unwrap() as u64)
                            .collect(),
                    )
                })
                .collect()
        };
        let asks = units(book.asks().collect());
        let bids = units(book.bids().collect());
        kraki_proto::book::level3_checksum(
            asks.iter().map(|(p, q)| (*p, q.as_slice())),
            bids.iter().map(|(p, q)| (*p, q.as_slice())),
        )
    };
    let events = [
        r#"{"event":"modify","order_id":"B1","limit_price":44939.4,"order_qty":0.5}"#,
        r#"{"event":"delete","order_id":"B2","limit_price":44939.4,"order_qty":0.4521}"#,
        r#"{"event":"add","order_id":"NEW","limit_price":44939.4,"order_qty":0.01}"#,
        r#"{"event":"delete","order_id":"B9","limit_price":44937.1,"order_qty":0.03346877}"#,
    ];
    for event in events {
        // A copy applies the event with a dummy checksum to learn the new
        // state; the real book must then verify against the checksum the
        // plain function computes from that state.
        let frame = |sum: u32| {
            format!(
                r#"{{"channel":"level3","type":"update","data":[{{"symbol":"BTC/USD","checksum":{sum},"bids":[{event}],"asks":[]}}]}}"#
            )
        };
        let mut shadow = book.clone();
        let _ = apply(&mut shadow, &frame(0));
        let sum = expect(&shadow);
        assert_eq!(
            apply(&mut book, &frame(sum)),
            Verification::Verified,
            "{event}"
        );
    }
    // B1 kept its place (modify), NEW is last in the queue.
    let level = book.bids().next().unwrap();
    assert_eq!(level.orders[0].0, "B1");
    assert_eq!(level.orders.last().unwrap().0, "NEW");
    // 44937.1 lost its only order: the level is gone.
    assert!(book.bids().all(|l| l.price.to_string() != "44937.1"));
}
