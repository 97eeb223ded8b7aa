//! The authenticated connection against the simulator over real sockets:
//! tokens from REST with §8 signatures, Kraken's REST errors verbatim and
//! not retried, order rules from AssetPairs, checks before sending.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{d, demo};
use kraki::auth::{FixedToken, RestTokenSource, TokenSource};
use kraki::proto::Side;
use kraki::rest::RestClient;
use kraki::{Client, Credentials, Error, Order};
use kraki_sim::{DEMO_API_KEY, DEMO_API_SECRET, SimHandle, Simulator};

async fn sim() -> SimHandle {
    Simulator::builder()
        .seed(5)
        .rate(50.0)
        .spawn()
        .await
        .unwrap()
}

#[tokio::test]
async fn tokens_come_from_rest_and_every_call_gets_a_new_one() {
    let sim = sim().await;
    let rest = RestClient::new(&sim.rest_url()).unwrap();
    let issued = rest.websockets_token(&demo()).await.unwrap();
    assert_eq!(issued.expires.as_secs(), 900);
    assert!(!issued.token.expose().is_empty());
    assert_eq!(format!("{:?}", issued.token), "Token(<redacted>)");
    let source = RestTokenSource::new(rest, demo());
    let (a, b) = (source.token().await.unwrap(), source.token().await.unwrap());
    assert_ne!(
        a.expose(),
        b.expose(),
        "two fetches, two tokens (nonces increase)"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_key_fails_fast_with_krakens_error() {
    let sim = sim().await;
    let wrong = Credentials::new("not-the-demo-key", DEMO_API_SECRET).unwrap();
    let started = std::time::Instant::now();
    let err = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(wrong)
        .connect_auth()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Rest(e) if e == &["EAPI:Invalid key"]),
        "{err:?}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "retried a refused key"
    );
    // A wrong secret is a bad signature.
    let other_secret =
        Credentials::new(DEMO_API_KEY, "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=").unwrap();
    let err = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(other_secret)
        .connect_auth()
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Kraken REST error: EAPI:Invalid signature");
    let err = Client::builder()
        .auth_url(sim.private_url())
        .connect_auth()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Credentials(_)), "{err:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn orders_are_checked_against_asset_pairs_before_sending() {
    let sim = sim().await;
    let client = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .connect_auth()
        .await
        .unwrap();
    let rules = client.order_rules("BTC/USD").await.unwrap();
    assert_eq!(rules.price_increment, d("0.1"));
    assert_eq!(rules.qty_increment, d("0.00000001"));
    let err = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.01"), d("65000.05")))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request: limit price 65000.05 is not a multiple of BTC/USD's price increment 0.1"
    );
    let err = client.order_rules("NOPE/USD").await.unwrap_err();
    assert!(
        matches!(&err, Error::Rest(_) | Error::UnknownSymbol(_)),
        "{err:?}"
    );
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_fixed_token_source_skips_rest() {
    let sim = sim().await;
    let rest = RestClient::new(&sim.rest_url()).unwrap();
    let token = rest.websockets_token(&demo()).await.unwrap().token;
    let client = Client::builder()
        .auth_url(sim.private_url())
        .rest_url("http://127.0.0.1:1")
        .token_source(FixedToken(token))
        .connect_auth()
        .await
        .unwrap();
    client.close().await;
    sim.shutdown().await;
}

/// A client of `sim`'s level3 endpoint with the demo account.
async fn level3_client(sim: &SimHandle) -> Client {
    Client::builder()
        .level3_url(sim.level3_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .connect_level3()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_level3_book_verifies_and_resyncs_itself() {
    use kraki::BookStatus;
    let sim = Simulator::builder()
        .seed(9)
        .rate(400.0)
        .spawn()
        .await
        .unwrap();
    let client = level3_client(&sim).await;
    let mut book = client.level3_book("BTC/USD", 10).await.unwrap();
    let within = std::time::Duration::from_secs(10);
    let state = loop {
        let state = tokio::time::timeout(within, book.changed())
            .await
            .unwrap()
            .unwrap();
        if state.status == BookStatus::Live && state.verified >= 5 {
            break state;
        }
    };
    assert_eq!(state.mismatches, 0);
    assert!(state.book.order_count() > 0);
    sim.corrupt_next_checksum("BTC/USD");
    let before = state.verified;
    loop {
        let state = tokio::time::timeout(within, book.changed())
            .await
            .unwrap()
            .unwrap();
        if state.resyncs == 1 && state.status == BookStatus::Live && state.verified > before + 2 {
            assert_eq!(state.mismatches, 1);
            break;
        }
    }
    // The same events as the L2 book's, in order: the mismatch, then the
    // resync.
    let mut events = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(std::time::Duration::from_millis(100), book.next_event()).await
    {
        events.push(event);
    }
    let mismatch = events
        .iter()
        .position(|e| matches!(e, kraki::BookEvent::Applied { ok: false, .. }))
        .expect("the mismatch was reported");
    assert!(
        matches!(events[mismatch + 1], kraki::BookEvent::Resyncing { .. }),
        "{:?}",
        &events[mismatch..]
    );
    assert!(events[..mismatch].iter().all(|e| matches!(
        e,
        kraki::BookEvent::Applied {
            ok: true,
            best_bid: Some(_),
            best_ask: Some(_),
            ..
        }
    )));
    // A cut connection comes back with a fresh token and a fresh snapshot.
    sim.cut_connections();
    let mut saw_reconnecting = false;
    loop {
        let state = tokio::time::timeout(within, book.changed())
            .await
            .unwrap()
            .unwrap();
        saw_reconnecting |= state.status != BookStatus::Live;
        if saw_reconnecting && state.status == BookStatus::Live {
            break;
        }
    }
    client.close().await;
    sim.shutdown().await;
}

/// The level3 book applies frames in place while it is the only level3
/// reader; a raw `Level3` subscription beside it makes them decoded for
/// both. Either way it verifies every message, and the raw stream gets as
/// many updates as the book applies.
#[tokio::test]
async fn the_level3_book_shares_its_feed_with_a_raw_subscription() {
    use futures_util::StreamExt;
    use kraki::proto::MessageType;
    use kraki::{Event, Level3};
    let btc = kraki_sim::default_markets().into_iter().take(1).collect();
    let sim = Simulator::builder()
        .seed(4)
        .markets(btc)
        .paused(true)
        .spawn()
        .await
        .unwrap();
    let client = level3_client(&sim).await;
    let mut book = client.level3_book("BTC/USD", 10).await.unwrap();
    while book.state().status != kraki::BookStatus::Live {
        tokio::time::timeout(std::time::Duration::from_secs(10), book.changed())
            .await
            .expect("no snapshot within 10 s")
            .unwrap();
    }
    let quiet = std::time::Duration::from_millis(500);
    let settled = |book: &kraki::Level3Handle| {
        let state = book.state();
        (state.verified, state.mismatches, state.resyncs)
    };
    // Alone: in place.
    let before = settled(&book).0;
    sim.advance(400).await;
    tokio::time::sleep(quiet).await;
    let (verified, mismatches, resyncs) = settled(&book);
    assert!(
        verified - before > 50,
        "{} applied alone",
        verified - before
    );
    assert_eq!((mismatches, resyncs), (0, 0));

    // Beside a raw subscription: decoded, the same updates for both.
    let mut raw = client
        .subscribe(Level3::new(["BTC/USD"]).depth(10))
        .await
        .unwrap();
    let before = settled(&book).0;
    sim.advance(400).await;
    let mut raw_updates = 0u64;
    while let Ok(Some(event)) = tokio::time::timeout(quiet, raw.next()).await {
        if matches!(event, Event::Data(ref u) if u.kind == MessageType::Update) {
            raw_updates += 1;
        }
    }
    let (verified, mismatches, resyncs) = settled(&book);
    assert!(raw_updates > 50, "{raw_updates} raw updates");
    assert_eq!(verified - before, raw_updates);
    assert_eq!((mismatches, resyncs), (0, 0));
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unanswered_order_is_outcome_unknown_with_its_cl_ord_id() {
    let sim = sim().await;
    let client = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .request_timeout(std::time::Duration::from_millis(300))
        .idle_timeout(std::time::Duration::from_millis(500))
        .connect_auth()
        .await
        .unwrap();
    // Rules fetched first, so that the stall hits the order itself; no
    // new connection is let in, so no executions snapshot can settle it.
    client.order_rules("BTC/USD").await.unwrap();
    sim.refuse_connections_for(std::time::Duration::from_secs(60));
    sim.stall_connections();
    let err = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.01"), d("50000.0")))
        .await
        .unwrap_err();
    let Error::OutcomeUnknown {
        method,
        cl_ord_id,
        reason,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*method, "add_order");
    assert!(reason.contains("no answer within 300 ms"), "{reason}");
    assert!(
        reason.contains("no executions snapshot to check within 800 ms"),
        "{reason}"
    );
    let id = cl_ord_id.as_deref().unwrap();
    assert_eq!(id.len(), 32, "a generated short UUID: {id}");
    assert!(err.to_string().contains(id));
    assert!(!err.is_rejection());
    client.close().await;
    sim.shutdown().await;
}

/// `level3_book_inline`: the order-by-order book, applied in place on the
/// reader, verified and resynced after a corrupt checksum.
#[tokio::test]
async fn the_inline_level3_book_verifies_and_resyncs_itself() {
    use kraki::{BookEvent, BookStatus};
    let sim = Simulator::builder()
        .seed(9)
        .rate(400.0)
        .spawn()
        .await
        .unwrap();
    let client = level3_client(&sim).await;
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let _book = client
        .level3_book_inline("BTC/USD", 10, move |book| {
            let state = book.state();
            let _ = tx.send((
                book.event().clone(),
                state.status,
                state.verified,
                state.resyncs,
                state.book.order_count(),
            ));
        })
        .await
        .unwrap();
    let within = std::time::Duration::from_secs(10);
    let mut next = async || {
        tokio::time::timeout(within, seen.recv())
            .await
            .unwrap()
            .unwrap()
    };
    loop {
        let (_, status, verified, _, orders) = next().await;
        if status == BookStatus::Live && verified >= 5 {
            assert!(orders > 0);
            break;
        }
    }
    sim.corrupt_next_checksum("BTC/USD");
    let mut mismatched = false;
    loop {
        let (event, status, _, resyncs, _) = next().await;
        mismatched |= matches!(event, BookEvent::Applied { ok: false, .. });
        if resyncs == 1 && status == BookStatus::Live {
            break;
        }
    }
    assert!(mismatched, "the corrupt checksum was seen");
    client.close().await;
}
