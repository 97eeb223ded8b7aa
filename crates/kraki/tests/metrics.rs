//! The client's counters through the `metrics` facade (feature
//! `metrics`): a recorder installed by the test reads what a verified
//! book counted across a checksum mismatch, its resync and a reconnect
//! against the simulator. One test per binary: the recorder is global.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::recorder::Counts;
use common::retrying_client;
use kraki::BookEvent;
use kraki_sim::Simulator;
use std::time::Duration;

async fn until(book: &kraki::BookHandle, mut done: impl FnMut(&BookEvent) -> bool) {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), book.next_event())
            .await
            .expect("no book event within 10 s")
            .expect("book ended");
        if done(&event) {
            return;
        }
    }
}

#[tokio::test]
async fn a_recorder_counts_messages_verification_resyncs_and_reconnects() {
    let counts = Counts::install();
    let sim = Simulator::builder().rate(400.0).spawn().await.unwrap();
    let client = retrying_client(&sim).await;
    let btc = client.book("BTC/USD", 10).await.unwrap();
    until(&btc, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;

    sim.corrupt_next_checksum("BTC/USD");
    until(&btc, |e| matches!(e, BookEvent::Resyncing { .. })).await;
    until(&btc, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;
    assert_eq!(
        counts.get("kraki_book_mismatched_total{channel=book,source=websocket}"),
        1
    );
    assert_eq!(
        counts.get("kraki_book_resyncs_total{channel=book,source=websocket}"),
        1
    );
    assert_eq!(counts.get("kraki_reconnects_total"), 0);

    sim.cut_connections();
    until(&btc, |e| matches!(e, BookEvent::Reconnected)).await;
    until(&btc, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;
    client.close().await;

    // Nothing moves once the client is closed: the book's own counts and
    // the recorder's agree exactly.
    let state = btc.state();
    assert_eq!(
        counts.get("kraki_book_verified_total{channel=book,source=websocket}"),
        state.verified
    );
    assert!(state.verified > 2, "{}", state.verified);
    assert_eq!(
        counts.get("kraki_book_mismatched_total{channel=book,source=websocket}"),
        1
    );
    assert_eq!(
        counts.get("kraki_book_resyncs_total{channel=book,source=websocket}"),
        1
    );
    assert_eq!(counts.get("kraki_reconnects_total"), 1);
    // Every verified message was received, and so were the corrupted one
    // and those skipped while the resync was on its way.
    let received = counts.get("kraki_messages_received_total{channel=book}");
    assert!(
        received > state.verified,
        "{received} vs {}",
        state.verified
    );
    // Other channels count under their own names.
    assert!(counts.get("kraki_messages_received_total{channel=instrument}") >= 1);
}
