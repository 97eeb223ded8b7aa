//! The level3 book: the §7.3 known answer, queue order, and updates
//! checked against the plain checksum function.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::book::{BookError, L3Book, Precision, Verification};
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

/// A level3 frame with the given bid orders (`id`, `qty`) at 100.0.
fn level3_frame(kind: &str, bids: &[(&str, &str, Option<&str>)]) -> String {
    let orders: Vec<String> = bids
        .iter()
        .map(|(id, qty, event)| {
            let event = event.map_or(String::new(), |e| format!(r#""event":"{e}","#));
            format!(
                r#"{{{event}"order_id":"{id}","limit_price":100.0,"order_qty":{qty},"timestamp":"2023-12-01T00:00:00.000000000Z"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"channel":"level3","type":"{kind}","data":[{{"symbol":"BTC/USD","checksum":0,"bids":[{}],"asks":[]}}]}}"#,
        orders.join(",")
    )
}

fn try_apply(book: &mut L3Book, frame: &str) -> Result<Verification, BookError> {
    let Inbound::Level3(m) = decode(frame).unwrap() else {
        panic!("not level3")
    };
    book.apply(m.kind, &m.data[0])
}

/// `i64::MAX` units at eight places: the largest quantity one order holds.
const LARGEST_QTY: &str = "92233720368.54775807";

#[test]
fn a_level_total_past_i64_is_an_error_not_an_overflow() {
    let mut book = L3Book::new("BTC/USD", Precision::new(1, 8), 10);
    let frame = level3_frame(
        "snapshot",
        &[("A", LARGEST_QTY, None), ("B", "0.00000001", None)],
    );
    let err = try_apply(&mut book, &frame).unwrap_err();
    assert_eq!(
        err,
        BookError::LevelTotalOverflow {
            price: "100.0".parse().unwrap(),
            precision: 8
        }
    );
    assert_eq!(
        err.to_string(),
        "the order quantities at price 100.0 sum past the largest level total (9223372036854775807 units at 8 decimal places)"
    );
    assert!(!book.is_in_sync());
}

#[test]
fn a_modify_that_overflows_the_level_total_is_an_error() {
    let mut book = L3Book::new("BTC/USD", Precision::new(1, 8), 10);
    let snapshot = level3_frame("snapshot", &[("A", LARGEST_QTY, None), ("B", "0", None)]);
    // The checksum is wrong on purpose; only the totals matter here.
    assert!(matches!(
        try_apply(&mut book, &snapshot),
        Ok(Verification::Mismatch { .. })
    ));
    assert_eq!(
        book.bids().next().unwrap().total.to_string(),
        "92233720368.54775807"
    );
    // Resynchronised by a second snapshot that fits, then B grows by one
    // unit too many.
    let mut book = L3Book::new("BTC/USD", Precision::new(1, 8), 10);
    let _ = try_apply(&mut book, &snapshot);
    let mut fresh = L3Book::new("BTC/USD", Precision::new(1, 8), 10);
    let _ = try_apply(&mut fresh, &snapshot);
    let sum = fresh.checksum();
    let resync = snapshot.replace(r#""checksum":0"#, &format!(r#""checksum":{sum}"#));
    assert!(try_apply(&mut book, &resync).unwrap().is_verified());
    let grow = level3_frame("update", &[("B", "0.00000001", Some("modify"))]);
    assert_eq!(
        try_apply(&mut book, &grow),
        Err(BookError::LevelTotalOverflow {
            price: "100.0".parse().unwrap(),
            precision: 8
        })
    );
    // The same modify downward first, then up to the limit exactly: fine.
    let mut book = L3Book::new("BTC/USD", Precision::new(1, 8), 10);
    assert!(try_apply(&mut book, &resync).unwrap().is_verified());
    let shrink = level3_frame(
        "update",
        &[
            ("A", "92233720368.54775806", Some("modify")),
            ("B", "0.00000001", Some("modify")),
        ],
    );
    assert!(try_apply(&mut book, &shrink).is_ok());
    assert_eq!(
        book.bids().next().unwrap().total.to_string(),
        "92233720368.54775807"
    );
}
