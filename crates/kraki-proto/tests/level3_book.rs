//! The level3 book: the §7.3 known answer, queue order, and updates
//! checked against the plain checksum function.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::book::{L3Book, Precision, Verification};
use kraki_proto::{Inbound, OrderId, decode};

/// §7.3's docs example as a snapshot frame (prices and quantities as the
/// docs show them, strings).
fn docs_snapshot() -> String {
    let bids: &[(&str, &[&str])] = &[
        (
            "44939.4",
            &[
                "0.88968699",
                "0.45210000",
                "0.10000000",
                "0.14296323",
                "0.25000000",
                "0.10292988",
                "0.33880000",
                "1.28140860",
            ],
        ),
        ("44937.1", &["0.03346877"]),
        ("44934.7", &["0.35630000"]),
        (
            "44930.2",
            &[
                "0.22734299",
                "0.01000000",
                "0.05550000",
                "0.70000000",
                "0.15000000",
            ],
        ),
        ("44928.0", &["0.00105240"]),
        ("44919.6", &["0.33870000"]),
        ("44919.5", &["0.07610000"]),
        ("44912.0", &["0.35630000"]),
        ("44909.7", &["0.06690000"]),
        ("44901.9", &["0.00088982"]),
    ];
    let asks: &[(&str, &[&str])] = &[
        (
            "44939.5",
            &["4.52308393", "0.00111261", "0.00100000", "0.01000000"],
        ),
        ("44950.0", &["0.10334926"]),
        ("44953.0", &["0.00064537"]),
        ("44955.0", &["0.00250000"]),
        ("44959.6", &["0.35630000", "0.35630000"]),
        ("44960.1", &["0.00338072"]),
        ("44960.2", &["0.88967575"]),
        ("44967.0", &["3.14392283"]),
        ("44978.5", &["0.06778960"]),
        ("44979.2", &["0.35630000"]),
    ];
    let mut n = 0;
    let mut orders = |side: &[(&str, &[&str])], tag: &str| {
        let mut out = Vec::new();
        for (price, qtys) in side {
            for qty in *qtys {
                n += 1;
                out.push(format!(
                    r#"{{"order_id":"{tag}{n}","limit_price":"{price}","order_qty":"{qty}","timestamp":"2023-12-01T00:00:00.000000000Z"}}"#
                ));
            }
        }
        out.join(",")
    };
    let b = orders(bids, "B");
    let a = orders(asks, "A");
    format!(
        r#"{{"channel":"level3","type":"snapshot","data":[{{"symbol":"BTC/USD","checksum":1063832831,"bids":[{b}],"asks":[{a}]}}]}}"#
    )
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
