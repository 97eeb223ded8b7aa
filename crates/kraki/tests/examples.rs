//! The examples in `examples/`, run against a simulator of their own: each
//! example's `run` is the code its `main` runs, included here as it is,
//! so an example that stops working fails a test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// Each example's `main` is for `cargo run --example`, not called here.
#[allow(dead_code)]
#[path = "../examples/handlers_and_tasks.rs"]
mod handlers_and_tasks;
#[allow(dead_code)]
#[path = "../examples/market_books.rs"]
mod market_books;
#[allow(dead_code)]
#[path = "../examples/record_and_replay.rs"]
mod record_and_replay;
#[allow(dead_code)]
#[path = "../examples/ticker_stream.rs"]
mod ticker_stream;
#[allow(dead_code)]
#[path = "../examples/trading_bot.rs"]
mod trading_bot;
#[allow(dead_code)]
#[path = "../examples/verified_book.rs"]
mod verified_book;

use kraki::Credentials;
use kraki::proto::channels::OrderStatus;
use kraki_sim::{SimHandle, Simulator};
use std::time::Duration;

async fn sim() -> SimHandle {
    Simulator::builder()
        .seed(7)
        .rate(400.0)
        .spawn()
        .await
        .unwrap()
}

#[tokio::test]
async fn ticker_stream_sees_every_pair() {
    let sim = sim().await;
    let counts = ticker_stream::run(&sim.public_url(), 3).await.unwrap();
    assert_eq!(
        counts.keys().map(String::as_str).collect::<Vec<_>>(),
        ["BTC/USD", "ETH/USD"]
    );
    assert!(counts.values().all(|&n| n >= 3), "{counts:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn market_books_follows_every_pair_with_its_latency() {
    let mut markets = kraki_sim::default_markets();
    let mut activity = vec![kraki_sim::DEFAULT_ACTIVITY; markets.len()];
    markets.extend(kraki_sim::synthetic_markets(20));
    activity.extend((0..20).map(kraki_sim::synthetic_activity));
    let pairs = markets.len();
    let sim = Simulator::builder()
        .seed(7)
        .rate(2000.0)
        .markets(markets)
        .activity(activity)
        .spawn()
        .await
        .unwrap();
    let report = market_books::run(
        &sim.public_url(),
        Duration::from_secs(1),
        Duration::from_secs(2),
    )
    .await
    .unwrap();
    assert_eq!(report.books, pairs, "{report:?}");
    assert!(report.updates > 100, "{report:?}");
    assert_eq!(report.mismatched, 0, "{report:?}");
    assert_eq!(report.latencies_us.len() as u64, report.updates);
    assert!(report.latencies_us.is_sorted());
    // Generated, then sent and verified: later, by less than the window.
    assert!(report.latency_us(0.0) > 0, "{report:?}");
    assert!(report.latency_us(1.0) < 2_000_000, "{report:?}");
    assert!(report.rss_kib > 0 && report.cpu_seconds >= 0.0);
    sim.shutdown().await;
}

#[tokio::test]
async fn verified_book_shows_a_verified_uncrossed_top() {
    let sim = sim().await;
    let tops = verified_book::run(&sim.public_url(), "ETH/USD", 3)
        .await
        .unwrap();
    assert_eq!(tops.len(), 3);
    for top in &tops {
        assert!(top.bid.price < top.ask.price, "{top:?}");
        assert!(top.verified > 0, "{top:?}");
        assert_eq!(top.mismatches, 0, "{top:?}");
    }
    assert!(tops.windows(2).all(|w| w[0].verified <= w[1].verified));
    sim.shutdown().await;
}

#[tokio::test]
async fn trading_bot_s_order_is_canceled_by_the_dead_man_s_switch() {
    let sim = sim().await;
    let credentials =
        Credentials::new(kraki_sim::DEMO_API_KEY, kraki_sim::DEMO_API_SECRET).unwrap();
    let outcome = trading_bot::run(
        &sim.public_url(),
        &sim.private_url(),
        &sim.rest_url(),
        credentials,
    )
    .await
    .unwrap();
    assert!(!outcome.order_id.is_empty());
    // It rested until the switch fired: new, then canceled, nothing between.
    let n = outcome.statuses.len();
    assert!(n >= 2, "{outcome:?}");
    assert_eq!(
        outcome.statuses[n - 2..],
        [OrderStatus::New, OrderStatus::Canceled],
        "{outcome:?}"
    );
    // Not before the 2 s timeout minus the refresh period (a third of it)
    // had passed since the last refresh, and not long after it.
    assert!(
        outcome.canceled_after <= Duration::from_secs(3),
        "{outcome:?}"
    );
    assert!(
        outcome.canceled_after >= Duration::from_millis(1200),
        "{outcome:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn handlers_and_the_user_task_all_run() {
    let sim = sim().await;
    let counts = handlers_and_tasks::run(&sim.public_url(), 3).await.unwrap();
    assert!(counts.tickers >= 3, "{counts:?}");
    assert!(counts.trades >= 3, "{counts:?}");
    assert!(counts.reports >= 1, "{counts:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_recording_replays_into_a_verified_book() {
    let sim = sim().await;
    let path =
        std::env::temp_dir().join(format!("kraki-examples-test-{}.jsonl", std::process::id()));
    let written = record_and_replay::record(&sim.public_url(), "BTC/USD", &path, 20)
        .await
        .unwrap();
    sim.shutdown().await;
    let replayed = record_and_replay::replay(&path, "BTC/USD").unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(replayed.frames, written);
    assert!(replayed.verified >= 20, "{replayed:?}");
    assert_eq!(replayed.failed, 0, "{replayed:?}");
}
