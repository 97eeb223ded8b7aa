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

/// A paused one-pair (BTC/USD) simulator, a client and its verified book,
/// live.
async fn live_btc_book(seed: u64) -> (kraki_sim::SimHandle, kraki::Client, kraki::BookHandle) {
    let btc = kraki_sim::default_markets().into_iter().take(1).collect();
    let sim = Simulator::builder()
        .seed(seed)
        .markets(btc)
        .paused(true)
        .spawn()
        .await
        .unwrap();
    let client = public_client(&sim).await;
    let book = client.book("BTC/USD", 10).await.unwrap();
    until(&book, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;
    (sim, client, book)
}

/// A burst of thousands of updates arriving at once (many per socket
/// read): every one reaches the verified book, none lost or reordered.
#[tokio::test]
async fn a_burst_of_updates_is_applied_whole() {
    use futures_util::StreamExt;
    let (sim, client, book) = live_btc_book(3).await;

    // An independent count of the updates the sim sends.
    let mut raw = independent_book_reader(&sim).await;
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

/// The updates an independent connection (`raw`, subscribed to BTC/USD
/// book depth 10) receives until the feed pauses for half a second.
/// A connection of its own to the sim, subscribed to BTC/USD's book at
/// depth 10: an independent count of what the sim sends.
async fn independent_book_reader(sim: &kraki_sim::SimHandle) -> RawSocket {
    use futures_util::SinkExt;
    let (mut raw, _) = tokio_websockets::ClientBuilder::from_uri(sim.public_url().parse().unwrap())
        .connect()
        .await
        .unwrap();
    raw.send(tokio_websockets::Message::text(
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10}}"#
            .to_owned(),
    ))
    .await
    .unwrap();
    raw
}

type RawSocket =
    tokio_websockets::WebSocketStream<tokio_websockets::MaybeTlsStream<tokio::net::TcpStream>>;

async fn updates_until_quiet(raw: &mut RawSocket) -> u64 {
    use futures_util::StreamExt;
    let mut updates = 0;
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(500), raw.next()).await
    {
        if msg
            .as_text()
            .is_some_and(|t| t.contains(r#""channel":"book","type":"update""#))
        {
            updates += 1;
        }
    }
    updates
}

/// A verified book applies book frames in place, without decoding them,
/// only while nothing else on the client reads book messages; a raw `Book`
/// subscription or a `BookUpdate` handler makes every frame decoded for
/// all. Through each switch (raw subscription on, off, handler on) every
/// update reaches each reader exactly once, counted against an
/// independent connection.
#[tokio::test]
async fn a_book_shares_its_feed_with_raw_subscribers_and_handlers() {
    use futures_util::StreamExt;
    use kraki::{Book, BookUpdate, Event};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let (sim, client, book) = live_btc_book(5).await;
    let mut independent = independent_book_reader(&sim).await;
    updates_until_quiet(&mut independent).await;

    // A raw subscription beside the book: frames are decoded.
    let mut raw = client
        .subscribe(Book::new(["BTC/USD"]).depth(10))
        .await
        .unwrap();
    let verified = book.state().verified;
    sim.advance(500).await;
    let sent = updates_until_quiet(&mut independent).await;
    assert!(sent > 100, "{sent} updates");
    let mut raw_updates = 0u64;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(100), raw.next()).await {
        if matches!(event, Event::Data(ref u) if u.kind == kraki::proto::MessageType::Update) {
            raw_updates += 1;
        }
    }
    assert_eq!(raw_updates, sent);
    assert_eq!(book.state().verified - verified, sent);

    // Dropped: the book alone, frames applied in place.
    drop(raw);
    let verified = book.state().verified;
    sim.advance(500).await;
    let sent = updates_until_quiet(&mut independent).await;
    assert!(sent > 100, "{sent} updates");
    assert_eq!(book.state().verified - verified, sent);

    // A handler: decoded again.
    let handled = Arc::new(AtomicU64::new(0));
    let counter = handled.clone();
    client
        .on::<BookUpdate>(move |u| {
            if u.kind == kraki::proto::MessageType::Update {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .unwrap();
    // The handler goes to the driver through its command queue; a
    // subscribe's round trip makes sure it is in place before data flows.
    let _round_trip = client
        .subscribe(kraki::Ticker::new(["BTC/USD"]))
        .await
        .unwrap();
    let verified = book.state().verified;
    sim.advance(500).await;
    let sent = updates_until_quiet(&mut independent).await;
    assert!(sent > 100, "{sent} updates");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while handled.load(Ordering::Relaxed) < sent && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(handled.load(Ordering::Relaxed), sent);
    assert_eq!(book.state().verified - verified, sent);

    let state = book.state();
    assert_eq!((state.mismatches, state.resyncs), (0, 0));
    assert_eq!(state.status, BookStatus::Live);
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_book_opens_while_an_instrument_stream_shares_the_wire_subscription() {
    let sim = Simulator::builder().rate(400.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let instruments = client.subscribe(kraki::Instrument::new()).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), instruments.next_event())
        .await
        .expect("no instrument snapshot within 10 s")
        .expect("stream ended");
    assert!(matches!(first, kraki::Event::Data(_)), "{first:?}");
    // The book needs the pair's precision from the instrument channel,
    // whose wire subscription already exists and sends nothing more
    // until an instrument changes.
    let book = tokio::time::timeout(Duration::from_secs(10), client.book("BTC/USD", 10))
        .await
        .expect("book() waited for an instrument update that never comes")
        .unwrap();
    until(&book, |e| matches!(e, BookEvent::Applied { ok: true, .. })).await;
    assert_eq!(book.state().status, BookStatus::Live);
    // The book's own instrument snapshot was not replayed to the stream.
    while let Some(event) = instruments.try_recv() {
        if let kraki::Event::Data(update) = event {
            assert_ne!(update.kind, kraki::proto::MessageType::Snapshot);
        }
    }
}
