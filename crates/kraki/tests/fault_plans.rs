//! The client against the simulator's lasting faults ([`FaultPlan`]):
//! connections that close after N messages, acks late or never, refused
//! subscriptions and a server that refuses connections for a while.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{next_event, public_client, retrying_client, until_reconnected};
use kraki::proto::MessageType;
use kraki::proto::book::{L2Book, Precision};
use kraki::{Book, Client, Error, Event, Ticker, Trades};
use kraki_sim::{FaultPlan, Simulator};
use std::time::{Duration, Instant};

#[tokio::test]
async fn connections_closing_after_n_messages_are_replaced_and_books_verify_again() {
    // Every connection closes after 60 frames, the status and acks
    // included: the client goes through several connections.
    let sim = Simulator::builder()
        .rate(1500.0)
        .faults(FaultPlan::new().close_after(60))
        .spawn()
        .await
        .unwrap();
    let client = retrying_client(&sim).await;
    let mut book = client
        .subscribe(Book::new(["BTC/USD"]).depth(10))
        .await
        .unwrap();
    let mut l2 = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
    let mut reconnects = 0;
    let mut verified_after_reconnect = 0;
    let mut fresh = false;
    while reconnects < 3 || verified_after_reconnect < 5 {
        match next_event(&mut book).await {
            Event::Data(u) => {
                if fresh {
                    assert_eq!(
                        u.kind,
                        MessageType::Snapshot,
                        "first data after a reconnect"
                    );
                    fresh = false;
                }
                let applied = l2.apply(u.kind, &u.book).unwrap();
                assert!(applied.is_verified(), "checksum mismatch");
                if reconnects > 0 {
                    verified_after_reconnect += 1;
                }
            }
            Event::Reconnecting => {}
            Event::Reconnected => {
                reconnects += 1;
                fresh = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_subscribe_with_a_late_ack_completes_within_the_timeout() {
    let delay = Duration::from_millis(300);
    let sim = Simulator::builder()
        .rate(300.0)
        .faults(FaultPlan::new().delay_acks(delay))
        .spawn()
        .await
        .unwrap();
    let client = Client::builder()
        .public_url(sim.public_url())
        .request_timeout(Duration::from_secs(3))
        .connect()
        .await
        .unwrap();
    let started = Instant::now();
    let mut book = client
        .subscribe(Book::new(["ETH/USD"]).depth(10))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= delay,
        "acked after {:?}",
        started.elapsed()
    );
    let mut l2 = L2Book::new("ETH/USD", Precision::new(2, 8), 10);
    let mut verified = 0;
    while verified < 5 {
        if let Event::Data(u) = next_event(&mut book).await {
            assert!(l2.apply(u.kind, &u.book).unwrap().is_verified());
            verified += 1;
        }
    }
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_subscribe_without_an_ack_times_out_then_works_once_acks_return() {
    let sim = Simulator::builder()
        .rate(300.0)
        .faults(FaultPlan::new().drop_acks(true))
        .spawn()
        .await
        .unwrap();
    let client = Client::builder()
        .public_url(sim.public_url())
        .request_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let err = client
        .subscribe(Trades::new(["SOL/USD"]))
        .await
        .expect_err("a subscribe without an ack succeeded");
    assert!(
        matches!(
            err,
            Error::Timeout {
                method: "subscribe",
                timeout_ms: 300
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.to_string(), "no response to subscribe within 300 ms");

    // The retry is not refused as a duplicate of the subscription the
    // server made without saying so.
    sim.set_faults(FaultPlan::default());
    let mut trades = client
        .subscribe(Trades::new(["SOL/USD"]))
        .await
        .expect("the retry failed");
    loop {
        if let Event::Data(t) = next_event(&mut trades).await {
            assert!(t.trades.iter().all(|t| t.symbol == "SOL/USD"));
            break;
        }
    }
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_subscribe_returns_krakens_error_per_symbol() {
    let sim = Simulator::builder()
        .rate(300.0)
        .faults(FaultPlan::new().reject_subscriptions(true))
        .spawn()
        .await
        .unwrap();
    let client = public_client(&sim).await;
    let err = client
        .subscribe(Ticker::new(["BTC/USD", "ETH/USD"]))
        .await
        .expect_err("a refused subscribe succeeded");
    assert!(err.is_rejection(), "{err:?}");
    assert!(!err.is_retryable());
    let mut rejections: Vec<(Option<String>, String)> = err
        .rejections()
        .iter()
        .map(|r| (r.symbol.clone(), r.error.clone()))
        .collect();
    rejections.sort();
    assert_eq!(
        rejections,
        [
            (
                Some("BTC/USD".to_owned()),
                "EService:Unavailable".to_owned()
            ),
            (
                Some("ETH/USD".to_owned()),
                "EService:Unavailable".to_owned()
            ),
        ]
    );
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_server_refusing_connections_for_a_while_is_retried_until_it_serves() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = retrying_client(&sim).await;
    let mut ticker = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    next_event(&mut ticker).await;

    let period = Duration::from_millis(600);
    let down_at = Instant::now();
    sim.refuse_connections_for(period);
    sim.cut_connections();
    assert_eq!(
        until_reconnected(&mut ticker).await,
        ["reconnecting", "reconnected"]
    );
    assert!(
        down_at.elapsed() >= period,
        "reconnected after {:?}, inside the refusal",
        down_at.elapsed()
    );
    loop {
        if let Event::Data(t) = next_event(&mut ticker).await {
            assert_eq!(t.ticker.symbol, "BTC/USD");
            break;
        }
    }
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn resubscribes_left_without_acks_lead_to_a_new_connection() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = Client::builder()
        .public_url(sim.public_url())
        .request_timeout(Duration::from_millis(300))
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    let mut ticker = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    next_event(&mut ticker).await;

    // The reconnect's resubscribe is never acked: subscribed again, then
    // that connection is given up for another one.
    sim.set_faults(FaultPlan::new().drop_acks(true));
    let reconnect = sim.next_connection();
    sim.cut_connections();
    let ackless = tokio::time::timeout(Duration::from_secs(5), reconnect)
        .await
        .unwrap()
        .unwrap();
    let replacement = sim.next_connection();
    let replaced = tokio::time::timeout(Duration::from_secs(5), replacement)
        .await
        .expect("the client kept a connection whose acks never came")
        .unwrap();
    assert_ne!(replaced.id(), ackless.id());

    sim.set_faults(FaultPlan::default());
    let mut seen_reconnected = false;
    loop {
        match next_event(&mut ticker).await {
            Event::Reconnected => seen_reconnected = true,
            Event::Data(t) if seen_reconnected => {
                assert_eq!(t.ticker.symbol, "BTC/USD");
                break;
            }
            _ => {}
        }
    }
    client.close().await;
    sim.shutdown().await;
}
