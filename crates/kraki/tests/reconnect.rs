//! Recovery from the simulator's faults: every stream says `Reconnecting`,
//! then `Reconnected`, and data (with a fresh verified book) flows again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::next_event;
use kraki::proto::MessageType;
use kraki::proto::book::{L2Book, Precision};
use kraki::{Book, Client, Event, Ticker};
use kraki_sim::{SimHandle, Simulator};
use std::time::Duration;

async fn setup() -> (SimHandle, Client) {
    let sim = Simulator::builder()
        .rate(300.0)
        .heartbeat(Duration::from_millis(100))
        .spawn()
        .await
        .unwrap();
    let client = Client::builder()
        .public_url(sim.public_url())
        .idle_timeout(Duration::from_millis(800))
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    (sim, client)
}

/// Drives a book subscription through a fault and checks the sequence:
/// verified data, `Reconnecting`, `Reconnected`, a snapshot, verified data.
async fn survives(fault: impl FnOnce(&SimHandle)) {
    let (sim, client) = setup().await;
    let mut book = client
        .subscribe(Book::new(["BTC/USD"]).depth(10))
        .await
        .unwrap();
    let mut ticker = client.subscribe(Ticker::new(["ETH/USD"])).await.unwrap();
    let mut l2 = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
    let mut verified = 0;
    while verified < 5 {
        if let Event::Data(u) = next_event(&mut book).await {
            assert!(l2.apply(u.kind, &u.book).unwrap().is_verified());
            verified += 1;
        }
    }
    fault(&sim);
    let mut seen = Vec::new();
    loop {
        match next_event(&mut book).await {
            Event::Data(u) => {
                if seen.last() == Some(&"reconnected") {
                    assert_eq!(
                        u.kind,
                        MessageType::Snapshot,
                        "first data after a reconnect"
                    );
                    assert!(l2.apply(u.kind, &u.book).unwrap().is_verified());
                    break;
                }
                // Data already in flight before the fault was noticed.
                assert!(seen.is_empty(), "data between Reconnecting and Reconnected");
                let _ = l2.apply(u.kind, &u.book).unwrap();
            }
            Event::Reconnecting => seen.push("reconnecting"),
            Event::Reconnected => seen.push("reconnected"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["reconnecting", "reconnected"]);
    // Updates verify against the fresh snapshot.
    let mut after = 0;
    while after < 5 {
        if let Event::Data(u) = next_event(&mut book).await {
            assert!(l2.apply(u.kind, &u.book).unwrap().is_verified());
            after += 1;
        }
    }
    // The other subscription came back too.
    let mut ticker_back = false;
    while !ticker_back {
        ticker_back = matches!(next_event(&mut ticker).await, Event::Reconnected);
    }
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn survives_a_server_close() {
    survives(SimHandle::close_connections).await;
}

#[tokio::test]
async fn survives_a_cut_connection() {
    survives(SimHandle::cut_connections).await;
}

#[tokio::test]
async fn a_stalled_connection_is_detected_by_the_idle_watchdog() {
    survives(SimHandle::stall_connections).await;
}
