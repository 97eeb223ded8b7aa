//! `client.book_inline`: a verified book whose callback the socket reader
//! runs, with the same resync and reconnect behaviour as `client.book`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{PATIENCE, public_client};
use kraki::proto::MessageType;
use kraki::proto::book::Level;
use kraki::{BookEvent, BookStatus};
use kraki_sim::Simulator;
use tokio::sync::mpsc;

/// What the callback saw of one event.
#[derive(Debug)]
struct Seen {
    event: BookEvent,
    status: BookStatus,
    best: (Option<Level>, Option<Level>),
    verified: u64,
    resyncs: u64,
    timestamp: bool,
}

async fn until(events: &mut mpsc::UnboundedReceiver<Seen>, f: impl Fn(&Seen) -> bool) -> Vec<Seen> {
    let mut seen = Vec::new();
    loop {
        let s = tokio::time::timeout(PATIENCE, events.recv())
            .await
            .expect("no inline book event within 10 s")
            .expect("callback dropped");
        let done = f(&s);
        seen.push(s);
        if done {
            return seen;
        }
    }
}

fn applied(kind: MessageType, ok: bool) -> impl Fn(&Seen) -> bool {
    move |s| matches!(s.event, BookEvent::Applied { kind: k, ok: o, .. } if k == kind && o == ok)
}

#[tokio::test]
async fn an_inline_book_verifies_resyncs_and_reconnects() {
    let sim = Simulator::builder().rate(400.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let (tx, mut events) = mpsc::unbounded_channel();
    let _book = client
        .book_inline("BTC/USD", 10, move |book| {
            let state = book.state();
            let _ = tx.send(Seen {
                event: book.event().clone(),
                status: state.status,
                best: (state.book.best_bid(), state.book.best_ask()),
                verified: state.verified,
                resyncs: state.resyncs,
                timestamp: book.timestamp().is_some(),
            });
        })
        .await
        .unwrap();

    until(&mut events, applied(MessageType::Snapshot, true)).await;
    let seen = until(&mut events, applied(MessageType::Update, true)).await;
    let last = seen.last().unwrap();
    assert_eq!(last.status, BookStatus::Live);
    assert!(
        last.timestamp,
        "an update's exchange timestamp reaches the callback"
    );
    let BookEvent::Applied {
        best_bid, best_ask, ..
    } = &last.event
    else {
        unreachable!()
    };
    // The event's best levels are the book's, as the callback sees it.
    assert_eq!((*best_bid, *best_ask), last.best);
    let (bid, ask) = (best_bid.unwrap(), best_ask.unwrap());
    assert!(bid.price < ask.price);
    assert!(last.verified >= 2);

    sim.corrupt_next_checksum("BTC/USD");
    let seen = until(&mut events, |s| {
        matches!(s.event, BookEvent::Resyncing { .. })
    })
    .await;
    assert!(
        seen.iter().any(applied(MessageType::Update, false)),
        "{seen:?}"
    );
    assert_eq!(seen.last().unwrap().status, BookStatus::Resyncing);
    let seen = until(&mut events, applied(MessageType::Snapshot, true)).await;
    let back = seen.last().unwrap();
    assert_eq!((back.status, back.resyncs), (BookStatus::Live, 1));

    sim.cut_connections();
    let seen = until(&mut events, |s| s.event == BookEvent::Reconnected).await;
    let statuses: Vec<_> = seen
        .iter()
        .filter(|s| matches!(s.event, BookEvent::Reconnecting | BookEvent::Reconnected))
        .map(|s| s.status)
        .collect();
    assert_eq!(statuses, [BookStatus::Reconnecting, BookStatus::Syncing]);
    let seen = until(&mut events, applied(MessageType::Snapshot, true)).await;
    assert_eq!(seen.last().unwrap().status, BookStatus::Live);
    client.close().await;
}

/// The inline book and a `BookHandle` on the same feed apply the same
/// messages, in the same order, to the same checksums.
#[tokio::test]
async fn an_inline_book_sees_what_a_book_handle_sees() {
    let sim = Simulator::builder().rate(400.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let (tx, mut events) = mpsc::unbounded_channel();
    let _inline = client
        .book_inline("ETH/USD", 10, move |book| {
            if let BookEvent::Applied { checksum, ok, .. } = book.event() {
                let _ = tx.send((*checksum, *ok));
            }
        })
        .await
        .unwrap();
    let handle = client.book("ETH/USD", 10).await.unwrap();
    let mut from_handle = Vec::new();
    while from_handle.len() < 60 {
        let event = tokio::time::timeout(PATIENCE, handle.next_event())
            .await
            .expect("no book event within 10 s")
            .expect("book ended");
        if let BookEvent::Applied { checksum, ok, .. } = event {
            from_handle.push((checksum, ok));
        }
    }
    let mut from_inline = Vec::new();
    while let Ok(applied) = events.try_recv() {
        from_inline.push(applied);
    }
    // The handle joined later: its messages from its first snapshot on
    // are the inline book's latest ones, all verified.
    assert!(from_handle.iter().all(|&(_, ok)| ok), "{from_handle:?}");
    let tail = &from_handle[10..];
    assert!(
        from_inline.windows(tail.len()).any(|w| w == tail),
        "the handle's messages are not a run of the inline book's:\n{from_handle:?}\n{from_inline:?}"
    );
    client.close().await;
}

/// A callback that panics is not called again; the connection, and every
/// other subscriber on it, goes on.
#[tokio::test]
async fn a_panicking_callback_stops_alone() {
    let sim = Simulator::builder().rate(400.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = calls.clone();
    let _broken = client
        .book_inline("BTC/USD", 10, move |_| {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            panic!("a bug in the user's callback");
        })
        .await
        .unwrap();
    let (tx, mut events) = mpsc::unbounded_channel();
    let _healthy = client
        .book_inline("BTC/USD", 10, move |book| {
            let _ = tx.send(Seen {
                event: book.event().clone(),
                status: book.state().status,
                best: (None, None),
                verified: book.state().verified,
                resyncs: 0,
                timestamp: false,
            });
        })
        .await
        .unwrap();
    let seen = until(&mut events, |s| s.verified >= 20).await;
    assert_eq!(seen.last().unwrap().status, BookStatus::Live);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    client.close().await;
}

async fn next(items: &mut mpsc::UnboundedReceiver<Item>) -> Item {
    tokio::time::timeout(PATIENCE, items.recv())
        .await
        .expect("no applied message within 10 s")
        .expect("callback dropped")
}

/// What the callback saw of an applied message's own text.
#[derive(Debug)]
struct Item {
    checksum: u32,
    /// The item, alone in a frame, decoded: its pair and checksum.
    decoded: Option<(String, u32)>,
}

#[tokio::test]
async fn an_inline_books_item_text_is_the_message_verified_until_something_reads_books_decoded() {
    let sim = Simulator::builder().rate(400.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let (tx, mut items) = mpsc::unbounded_channel();
    let _book = client
        .book_inline("BTC/USD", 10, move |book| {
            let BookEvent::Applied { kind, checksum, .. } = book.event() else {
                return;
            };
            let kind = match kind {
                MessageType::Snapshot => "snapshot",
                _ => "update",
            };
            let decoded = book.item_text().map(|item| {
                let frame = format!(r#"{{"channel":"book","type":"{kind}","data":[{item}]}}"#);
                match kraki::proto::decode(&frame) {
                    Ok(kraki::proto::Inbound::Book(m)) if m.data.len() == 1 => {
                        (m.data[0].symbol.to_string(), m.data[0].checksum)
                    }
                    other => panic!("{frame} decodes to {other:?}"),
                }
            });
            let _ = tx.send(Item {
                checksum: *checksum,
                decoded,
            });
        })
        .await
        .unwrap();
    // Read in place: each item is there, and it is the message verified.
    for _ in 0..5 {
        let item = next(&mut items).await;
        assert_eq!(
            item.decoded,
            Some(("BTC/USD".to_owned(), item.checksum)),
            "{item:?}"
        );
    }
    // A decoded reader of book messages on the connection: frames are
    // decoded for it, and the inline book has no text to give.
    let _decoded = client
        .subscribe(kraki::Book::new(["ETH/USD"]))
        .await
        .unwrap();
    // (Messages read before the subscribe took effect still had theirs.)
    let mut before = 0;
    while next(&mut items).await.decoded.is_some() {
        before += 1;
        assert!(before < 500, "item texts still given after 500 messages");
    }
    for _ in 0..3 {
        let item = next(&mut items).await;
        assert_eq!(item.decoded, None, "{item:?}");
    }
    client.close().await;
}
