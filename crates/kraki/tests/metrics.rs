//! The client's counters through the `metrics` facade (feature
//! `metrics`): a recorder installed by the test reads what a verified
//! book counted across a checksum mismatch, its resync and a reconnect
//! against the simulator. One test per binary: the recorder is global.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::retrying_client;
use kraki::BookEvent;
use kraki_sim::Simulator;
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Counters by name and labels, e.g. `kraki_book_verified_total{channel=book}`.
#[derive(Default, Clone)]
struct Counts {
    counters: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>,
}

impl Counts {
    fn get(&self, name: &str) -> u64 {
        self.counters
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

fn shown(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    if labels.is_empty() {
        key.name().to_owned()
    } else {
        format!("{}{{{}}}", key.name(), labels.join(","))
    }
}

impl Recorder for Counts {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let counter = self
            .counters
            .lock()
            .unwrap()
            .entry(shown(key))
            .or_default()
            .clone();
        Counter::from_arc(counter)
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

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
    let counts = Counts::default();
    metrics::set_global_recorder(counts.clone()).unwrap();
    let sim = Simulator::builder().rate(400.0).spawn().await.unwrap();
    let client = retrying_client(&sim).await;
    let btc = client.book("BTC/USD", 10).await.unwrap();
    until(&btc, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;

    sim.corrupt_next_checksum("BTC/USD");
    until(&btc, |e| matches!(e, BookEvent::Resyncing { .. })).await;
    until(&btc, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;
    assert_eq!(counts.get("kraki_book_mismatched_total{channel=book}"), 1);
    assert_eq!(counts.get("kraki_book_resyncs_total{channel=book}"), 1);
    assert_eq!(counts.get("kraki_reconnects_total"), 0);

    sim.cut_connections();
    until(&btc, |e| matches!(e, BookEvent::Reconnected)).await;
    until(&btc, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;
    client.close().await;

    // Nothing moves once the client is closed: the book's own counts and
    // the recorder's agree exactly.
    let state = btc.state();
    assert_eq!(
        counts.get("kraki_book_verified_total{channel=book}"),
        state.verified
    );
    assert!(state.verified > 2, "{}", state.verified);
    assert_eq!(counts.get("kraki_book_mismatched_total{channel=book}"), 1);
    assert_eq!(counts.get("kraki_book_resyncs_total{channel=book}"), 1);
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
