//! `client.book`: verified, readable from any thread, resyncing itself on
//! a checksum mismatch for that symbol only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::public_client;
use kraki::{BookEvent, BookStatus, Error};
use kraki_sim::Simulator;
use std::time::Duration;

async fn until<F: FnMut(&BookEvent) -> bool>(book: &kraki::BookHandle, mut f: F) -> Vec<BookEvent> {
    let mut seen = Vec::new();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), book.next_event())
            .await
            .expect("no book event within 10 s")
            .expect("book ended");
        let done = f(&e);
        seen.push(e);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn book_goes_live_and_resyncs_after_a_corrupt_checksum() {
    let sim = Simulator::builder().rate(400.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let btc = client.book("BTC/USD", 10).await.unwrap();
    let eth = client.book("ETH/USD", 10).await.unwrap();
    until(&btc, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;
    let state = btc.state();
    assert_eq!(state.status, BookStatus::Live);
    let (bid, ask) = (
        state.book.best_bid().unwrap(),
        state.book.best_ask().unwrap(),
    );
    assert!(bid.price < ask.price);

    // Readable from a plain thread.
    let reader = {
        let state = btc.state();
        std::thread::spawn(move || state.book.len())
    };
    assert_eq!(reader.join().unwrap(), (10, 10));

    sim.corrupt_next_checksum("BTC/USD");
    let seen = until(&btc, |e| matches!(e, BookEvent::Resyncing { .. })).await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, BookEvent::Applied { ok: false, .. })),
        "{seen:?}"
    );
    assert_eq!(btc.state().status, BookStatus::Resyncing);
    // A fresh snapshot brings it back, verified.
    until(&btc, |e| {
        matches!(
            e,
            BookEvent::Applied {
                ok: true,
                kind: kraki::proto::MessageType::Snapshot,
                ..
            }
        )
    })
    .await;
    until(&btc, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;
    assert_eq!(btc.state().status, BookStatus::Live);
    assert_eq!(btc.state().resyncs, 1);
    // The other symbol never resynced.
    assert_eq!(eth.state().resyncs, 0);
    assert_eq!(eth.state().mismatches, 0);
    client.close().await;
}

#[tokio::test]
async fn a_book_without_instrument_data_is_an_error() {
    let sim = Simulator::builder().spawn().await.unwrap();
    let client = public_client(&sim).await;
    let err = client.book("NOPE/USD", 10).await.unwrap_err();
    assert!(
        matches!(err, Error::UnknownSymbol(ref s) if s == "NOPE/USD"),
        "{err}"
    );
}

/// A burst of thousands of updates arriving at once (many per socket
/// read): every one reaches the verified book, none lost or reordered.
#[tokio::test]
async fn a_burst_of_updates_is_applied_whole() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_websockets::{ClientBuilder, Message};
    let btc = kraki_sim::default_markets().into_iter().take(1).collect();
    let sim = Simulator::builder()
        .seed(3)
        .markets(btc)
        .paused(true)
        .spawn()
        .await
        .unwrap();
    let client = public_client(&sim).await;
    let book = client.book("BTC/USD", 10).await.unwrap();
    until(&book, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;

    // An independent count of the updates the sim sends.
    let (mut raw, _) = ClientBuilder::from_uri(sim.public_url().parse().unwrap())
        .connect()
        .await
        .unwrap();
    raw.send(Message::text(
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10}}"#
            .to_owned(),
    ))
    .await
    .unwrap();
    loop {
        let msg = raw.next().await.unwrap().unwrap();
        if msg
            .as_text()
            .is_some_and(|t| t.contains(r#""type":"snapshot""#))
        {
            break;
        }
    }
    sim.advance(3_000).await;
    let mut updates = 0u64;
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(500), raw.next()).await
    {
        if msg
            .as_text()
            .is_some_and(|t| t.contains(r#""channel":"book","type":"update""#))
        {
            updates += 1;
        }
    }
    assert!(updates > 500, "a burst: {updates} updates");

    let mut state = book.state();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while state.verified < updates + 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        state = book.state();
    }
    assert_eq!(state.mismatches, 0);
    assert_eq!(state.resyncs, 0);
    assert_eq!(state.verified, updates + 1, "the snapshot and every update");
    client.close().await;
    sim.shutdown().await;
}

/// A verified book applies book frames in place, without decoding them,
/// only while nothing else reads them. With a raw subscription to the same
/// feed and a handler for `BookUpdate`, every frame is decoded and reaches
/// all three; once they are gone the book goes on in place. Either way no
/// update is lost or applied twice.
#[tokio::test]
async fn a_book_shares_its_feed_with_raw_subscribers_and_handlers() {
    use futures_util::StreamExt;
    use kraki::{Book, BookUpdate, Event};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let btc = kraki_sim::default_markets().into_iter().take(1).collect();
    let sim = Simulator::builder()
        .seed(5)
        .markets(btc)
        .paused(true)
        .spawn()
        .await
        .unwrap();
    let client = public_client(&sim).await;
    let book = client.book("BTC/USD", 10).await.unwrap();
    until(&book, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;

    let mut raw = client
        .subscribe(Book::new(["BTC/USD"]).depth(10))
        .await
        .unwrap();
    let handled = Arc::new(AtomicU64::new(0));
    let counter = handled.clone();
    client
        .on::<BookUpdate>(move |u| {
            if u.kind == kraki::proto::MessageType::Update {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .unwrap();
    // The handler is registered through the driver's queue: a round trip
    // (this subscribe) makes sure it is in place before data flows.
    let _round_trip = client
        .subscribe(kraki::Ticker::new(["BTC/USD"]))
        .await
        .unwrap();

    let verified_before = book.state().verified;
    sim.advance(500).await;
    let mut raw_updates = 0u64;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(500), raw.next()).await {
        if let Event::Data(u) = event {
            if u.kind == kraki::proto::MessageType::Update {
                raw_updates += 1;
            }
        }
    }
    assert!(raw_updates > 100, "{raw_updates} updates");
    let state = book.state();
    assert_eq!(state.verified - verified_before, raw_updates);
    assert_eq!(handled.load(Ordering::Relaxed), raw_updates);

    // The handler stays, so frames are still decoded; it still counts
    // every update once, and so does the book.
    drop(raw);
    let verified_before = book.state().verified;
    let handled_before = handled.load(Ordering::Relaxed);
    sim.advance(500).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let applied = book.state().verified - verified_before;
        let seen = handled.load(Ordering::Relaxed) - handled_before;
        if applied > 100 && applied == seen {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "book applied {applied}, handler saw {seen}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let state = book.state();
    assert_eq!((state.mismatches, state.resyncs), (0, 0));
    assert_eq!(state.status, BookStatus::Live);
    client.close().await;
    sim.shutdown().await;
}
