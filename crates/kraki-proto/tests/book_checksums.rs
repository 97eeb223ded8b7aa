//! The known-answer vectors of protocol reference §7 and the live capture.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::book::{L2Book, Precision, Verification};
use kraki_proto::channels::BookData;
use kraki_proto::{Inbound, MessageType, decode};

fn book_message(frame: &str) -> (MessageType, BookData) {
    match decode(frame).unwrap() {
        Inbound::Book(m) => (m.kind, m.data.into_iter().next().unwrap()),
        other => panic!("not a book message: {other:?}"),
    }
}

const DOCS_SNAPSHOT: &str = r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":45283.5,"qty":0.10000000},{"price":45283.4,"qty":1.54582015},{"price":45282.1,"qty":0.10000000},{"price":45281.0,"qty":0.10000000},{"price":45280.3,"qty":1.54592586},{"price":45279.0,"qty":0.07990000},{"price":45277.6,"qty":0.03310103},{"price":45277.5,"qty":0.30000000},{"price":45277.3,"qty":1.54602737},{"price":45276.6,"qty":0.15445238}],"asks":[{"price":45285.2,"qty":0.00100000},{"price":45286.4,"qty":1.54571953},{"price":45286.6,"qty":1.54571109},{"price":45289.6,"qty":1.54560911},{"price":45290.2,"qty":0.15890660},{"price":45291.8,"qty":1.54553491},{"price":45294.7,"qty":0.04454749},{"price":45296.1,"qty":0.35380000},{"price":45297.5,"qty":0.09945542},{"price":45299.5,"qty":0.18772827}],"checksum":3310070434,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#;

#[test]
fn docs_btc_usd_snapshot_and_delete() {
    let mut book = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
    let (kind, data) = book_message(DOCS_SNAPSHOT);
    assert_eq!(book.apply(kind, &data).unwrap(), Verification::Verified);
    assert_eq!(book.checksum(), 3_310_070_434);
    assert_eq!(book.best_bid().unwrap().price.to_string(), "45283.5");
    assert_eq!(book.best_ask().unwrap().qty.to_string(), "0.00100000");
    assert_eq!(book.spread().unwrap().to_string(), "1.7");

    let (kind, data) = book_message(
        r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[{"price":45285.2,"qty":0}],"checksum":1182027464}]}"#,
    );
    assert_eq!(book.apply(kind, &data).unwrap(), Verification::Verified);
    assert_eq!(book.len(), (10, 9));
}

#[test]
fn docs_matic_usd_needs_precision_padding() {
    // The docs JSON lost trailing zeros (0.566, 18097.1547): the precision
    // restores them.
    let snapshot = r#"{"channel":"book","type":"snapshot","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5666,"qty":4831.75496356},{"price":0.5665,"qty":6658.22734739},{"price":0.5664,"qty":18724.91513344},{"price":0.5663,"qty":11563.92544914},{"price":0.5662,"qty":14006.65365711},{"price":0.5661,"qty":17454.85679807},{"price":0.566,"qty":18097.1547},{"price":0.5659,"qty":33644.89175666},{"price":0.5658,"qty":148.3464},{"price":0.5657,"qty":606.70854372}],"asks":[{"price":0.5668,"qty":4410.79769741},{"price":0.5669,"qty":4655.40412487},{"price":0.567,"qty":49844.89424998},{"price":0.5671,"qty":24306.41678},{"price":0.5672,"qty":29783.25223475},{"price":0.5673,"qty":57234.71239278},{"price":0.5674,"qty":45065.04744},{"price":0.5675,"qty":5912.76380354},{"price":0.5676,"qty":42514.92434778},{"price":0.5677,"qty":36304.0847022}],"checksum":2439117997}]}"#;
    let mut book = L2Book::new("MATIC/USD", Precision::new(4, 8), 10);
    let (kind, data) = book_message(snapshot);
    assert_eq!(book.apply(kind, &data).unwrap(), Verification::Verified);
    let (kind, data) = book_message(
        r#"{"channel":"book","type":"update","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5657,"qty":1098.3947558}],"asks":[],"checksum":2114181697}]}"#,
    );
    assert_eq!(book.apply(kind, &data).unwrap(), Verification::Verified);
}

#[test]
fn mismatch_then_out_of_sync_until_snapshot() {
    let mut book = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
    let (kind, mut data) = book_message(DOCS_SNAPSHOT);
    data.checksum = 1;
    assert_eq!(
        book.apply(kind, &data).unwrap(),
        Verification::Mismatch {
            expected: 1,
            computed: 3_310_070_434
        }
    );
    assert!(!book.is_in_sync());
    let (ukind, update) = book_message(
        r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[{"price":45285.2,"qty":0}],"checksum":1182027464}]}"#,
    );
    assert_eq!(book.apply(ukind, &update).unwrap(), Verification::Skipped);
    let (kind, data) = book_message(DOCS_SNAPSHOT);
    assert_eq!(book.apply(kind, &data).unwrap(), Verification::Verified);
    assert_eq!(book.apply(ukind, &update).unwrap(), Verification::Verified);
}

#[test]
fn values_finer_than_the_precision_are_errors_not_guesses() {
    let mut book = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
    let (kind, data) = book_message(
        r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":45283.55,"qty":1}],"asks":[],"checksum":0}]}"#,
    );
    let err = book.apply(kind, &data).unwrap_err();
    assert_eq!(
        err.to_string(),
        "price 45283.55 does not fit 1 decimal places"
    );
    assert!(!book.is_in_sync());
}

/// The live capture of 2023-07-30 (1 snapshot + 509 updates, depth 10),
/// read in place from the shared fixtures when present.
#[test]
fn live_capture_all_510_checksums() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/book-btcusd-live-2023-07-30.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("note: {path} is absent; the live-capture replay is skipped");
        return;
    };
    #[derive(serde::Deserialize)]
    struct Capture {
        init: Box<serde_json::value::RawValue>,
        updates: Vec<Box<serde_json::value::RawValue>>,
    }
    let fixture: Capture = serde_json::from_str(&text).unwrap();
    let mut book = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
    let mut verified = 0;
    let (kind, data) = book_message(fixture.init.get());
    assert!(book.apply(kind, &data).unwrap().is_verified());
    verified += 1;
    for update in &fixture.updates {
        let (kind, data) = book_message(update.get());
        let v = book.apply(kind, &data).unwrap();
        assert!(v.is_verified(), "{v:?} at {}", update.get());
        assert_eq!(book.len(), (10, 10));
        verified += 1;
    }
    assert_eq!(verified, 510);
}
