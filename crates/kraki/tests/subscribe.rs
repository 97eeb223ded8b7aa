//! The client against the simulator over real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{next_data, public_client};
use futures_util::StreamExt;
use kraki::proto::MessageType;
use kraki::proto::book::{L2Book, Precision};
use kraki::{Book, Client, Error, Event, Instrument, Ohlc, Ticker, Trades};
use kraki_sim::Simulator;
use std::time::Duration;

#[tokio::test]
async fn every_public_channel_yields_typed_data() {
    let sim = Simulator::builder().rate(500.0).spawn().await.unwrap();
    let client = public_client(&sim).await;

    let mut ticker = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    let t = next_data(&mut ticker).await;
    assert_eq!(t.kind, MessageType::Snapshot);
    assert_eq!(t.ticker.symbol, "BTC/USD");
    assert!(t.ticker.bid < t.ticker.ask);

    let mut trades = client.subscribe(Trades::new(["ETH/USD"])).await.unwrap();
    let first = next_data(&mut trades).await;
    assert_eq!(first.kind, MessageType::Snapshot);
    let update = next_data(&mut trades).await;
    assert!(update.trades.iter().all(|t| t.symbol == "ETH/USD"));

    let mut candles = client.subscribe(Ohlc::new(["ETH/USD"], 5)).await.unwrap();
    let c = next_data(&mut candles).await;
    assert!(c.candles.iter().all(|c| c.interval == 5));

    let mut instruments = client.subscribe(Instrument::new()).await.unwrap();
    let i = next_data(&mut instruments).await;
    assert!(
        i.data
            .pairs
            .iter()
            .any(|p| p.symbol == "DOGE/USD" && p.price_precision == 7)
    );

    let mut book = client
        .subscribe(Book::new(["BTC/USD"]).depth(25))
        .await
        .unwrap();
    let mut l2 = L2Book::new("BTC/USD", Precision::new(1, 8), 25);
    for _ in 0..30 {
        let u = next_data(&mut book).await;
        assert!(l2.apply(u.kind, &u.book).unwrap().is_verified());
    }
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn multi_symbol_subscribe_fails_with_krakens_error_per_symbol() {
    let sim = Simulator::builder().spawn().await.unwrap();
    let client = public_client(&sim).await;
    let err = client
        .subscribe(Ticker::new(["BTC/USD", "XBT/USD", "NOPE/EUR"]))
        .await
        .unwrap_err();
    let Error::Rejected(rejections) = &err else {
        panic!("{err}")
    };
    let mut errors: Vec<(String, String)> = rejections
        .iter()
        .map(|r| (r.symbol.clone().unwrap(), r.error.clone()))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            (
                "NOPE/EUR".into(),
                "Currency pair not supported NOPE/EUR".into()
            ),
            (
                "XBT/USD".into(),
                "Currency pair not supported XBT/USD".into()
            ),
        ]
    );
    assert!(
        err.to_string()
            .contains("Currency pair not supported XBT/USD")
    );
    // BTC/USD was released: subscribing again works and yields data.
    let mut ok = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    next_data(&mut ok).await;
    client.close().await;
}

#[tokio::test]
async fn a_partial_subscribe_keeps_the_accepted_symbols_and_names_the_refused() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let (mut ticker, refused) = client
        .subscribe_partial(Ticker::new(["BTC/USD", "NOPE/EUR", "ETH/USD"]))
        .await
        .unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].symbol.as_deref(), Some("NOPE/EUR"));
    assert_eq!(refused[0].error, "Currency pair not supported NOPE/EUR");
    let mut symbols = std::collections::BTreeSet::new();
    while symbols.len() < 2 {
        symbols.insert(next_data(&mut ticker).await.ticker.symbol.to_string());
    }
    assert_eq!(
        symbols.into_iter().collect::<Vec<_>>(),
        ["BTC/USD", "ETH/USD"]
    );
    // Nothing accepted is still an error.
    let err = client
        .subscribe_partial(Ticker::new(["NOPE/EUR"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Rejected(_)), "{err}");
    client.close().await;
}

#[tokio::test]
async fn local_subscribers_share_one_wire_subscription() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let mut a = client.subscribe(Trades::new(["BTC/USD"])).await.unwrap();
    // The sim answers a second wire subscribe with "Already subscribed":
    // success here proves the second local subscriber reused the first.
    let mut b = client.subscribe(Trades::new(["BTC/USD"])).await.unwrap();
    // Each gets the snapshot its subscribe promises…
    let first_a = next_data(&mut a).await;
    assert_eq!(first_a.kind, MessageType::Snapshot);
    assert_eq!(next_data(&mut b).await.kind, MessageType::Snapshot);
    // …and `a` is not replayed `b`'s: after its own snapshot it sees
    // updates only, each trade once, in order.
    let mut seen: Vec<u64> = first_a.trades.iter().map(|t| t.trade_id).collect();
    while seen.len() < first_a.trades.len() + 5 {
        let update = next_data(&mut a).await;
        assert_eq!(update.kind, MessageType::Update);
        seen.extend(update.trades.iter().map(|t| t.trade_id));
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "trades repeated or out of order: {seen:?}"
    );
    // Dropping both unsubscribes; subscribing again then gets a new
    // snapshot.
    drop(a);
    drop(b);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut c = client.subscribe(Trades::new(["BTC/USD"])).await.unwrap();
    assert_eq!(next_data(&mut c).await.kind, MessageType::Snapshot);
    client.close().await;
}

#[tokio::test]
async fn consumed_from_a_plain_thread() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let sub = client.subscribe(Ticker::new(["SOL/USD"])).await.unwrap();
    let worker = std::thread::spawn(move || {
        let mut got = 0;
        while got < 3 {
            match sub.recv_timeout(Duration::from_secs(10)) {
                Some(Event::Data(t)) => {
                    assert_eq!(t.ticker.symbol, "SOL/USD");
                    got += 1;
                }
                Some(_) => {}
                None => panic!("no ticker within 10 s"),
            }
        }
        got
    });
    let got = tokio::task::spawn_blocking(move || worker.join().unwrap())
        .await
        .unwrap();
    assert_eq!(got, 3);
    client.close().await;
}

#[tokio::test]
async fn close_ends_every_stream() {
    let sim = Simulator::builder().spawn().await.unwrap();
    let client = public_client(&sim).await;
    let mut sub = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    client.close().await;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while sub.next().await.is_some() {}
    })
    .await;
    assert!(end.is_ok(), "stream did not end after close");
    assert!(matches!(
        client.subscribe(Ticker::new(["BTC/USD"])).await,
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn first_connection_fails_fast_with_a_clear_error() {
    // A port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = std::time::Instant::now();
    let err = Client::builder()
        .public_url(format!("ws://127.0.0.1:{port}/v2"))
        .connect_attempts(2)
        .backoff(Duration::from_millis(10), Duration::from_millis(20))
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { attempts: 2, .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(5));

    let err = Client::builder()
        .public_url("http://example.invalid/v2")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

#[tokio::test]
async fn a_server_that_never_answers_the_upgrade_times_out() {
    // Accepts TCP, then keeps every connection open and silent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let err = Client::builder()
        .public_url(format!("ws://127.0.0.1:{port}/v2"))
        .connect_attempts(2)
        .connect_timeout(Duration::from_millis(200))
        .backoff(Duration::from_millis(10), Duration::from_millis(20))
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { attempts: 2, .. }), "{err}");
    assert!(err.to_string().contains("no answer from"), "{err}");
}

#[tokio::test]
async fn fan_in_merges_and_fan_out_keeps_each_symbol_on_one_worker() {
    let sim = Simulator::builder().rate(500.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    // Fan-in: subscriptions of two connections, one receiver.
    let second = public_client(&sim).await;
    let a = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    let b = second.subscribe(Ticker::new(["ETH/USD"])).await.unwrap();
    let merged = kraki::fan::merge([a, b], 64);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 2 {
        if let Some(Event::Data(t)) = merged.next_event().await {
            seen.insert(t.ticker.symbol.to_string());
        }
    }
    // Fan-out by symbol to threads: a symbol never shows up at two workers.
    let trades = client
        .subscribe(Trades::new(["BTC/USD", "ETH/USD", "SOL/USD", "DOGE/USD"]))
        .await
        .unwrap();
    let workers = kraki::fan::shard(trades, 3, 256, |u: &kraki::TradeUpdate| {
        u.trades[0].symbol.clone()
    });
    let threads: Vec<_> = workers
        .into_iter()
        .map(|rx| {
            std::thread::spawn(move || {
                let mut symbols = std::collections::BTreeSet::new();
                for _ in 0..20 {
                    match rx.recv_timeout(Duration::from_millis(1500)) {
                        Some(Event::Data(u)) => {
                            symbols.insert(u.trades[0].symbol.to_string());
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
                symbols
            })
        })
        .collect();
    let per_worker: Vec<_> = tokio::task::spawn_blocking(move || {
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
    .await
    .unwrap();
    let mut all = std::collections::BTreeSet::new();
    for symbols in &per_worker {
        for s in symbols {
            assert!(
                all.insert(s.clone()),
                "{s} reached two workers: {per_worker:?}"
            );
        }
    }
    assert_eq!(all.len(), 4, "{per_worker:?}");
    client.close().await;
}

#[tokio::test]
async fn handlers_by_type_and_user_tasks() {
    let sim = Simulator::builder().rate(500.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let (tx, rx) = std::sync::mpsc::channel();
    client
        .on::<kraki::TickerUpdate>(move |t| {
            let _ = tx.send(t.ticker.symbol.to_string());
        })
        .unwrap();
    let (atx, mut arx) = tokio::sync::mpsc::unbounded_channel();
    client
        .on_async::<kraki::TradeUpdate, _, _>(move |u| {
            let atx = atx.clone();
            async move {
                let _ = atx.send(u.trades.len());
            }
        })
        .unwrap();
    let _ticker = client.subscribe(Ticker::new(["SOL/USD"])).await.unwrap();
    let _trades = client.subscribe(Trades::new(["SOL/USD"])).await.unwrap();
    let symbol = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(symbol, "SOL/USD");
    let n = tokio::time::timeout(Duration::from_secs(10), arx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(n > 0);
    // A user task lives until close.
    let (ttx, trx) = tokio::sync::oneshot::channel::<()>();
    client.spawn(async move {
        let _keep = ttx;
        std::future::pending::<()>().await;
    });
    client.close().await;
    assert!(trx.await.is_err(), "the task was aborted by close");
}

#[tokio::test]
async fn an_inline_callback_gets_every_event_and_a_panicking_one_harms_nobody() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let (tx, rx) = std::sync::mpsc::channel();
    let inline = client
        .subscribe_inline(Ticker::new(["BTC/USD"]), move |event| {
            let _ = tx.send(event);
        })
        .await
        .unwrap();
    let panicking = client
        .subscribe_inline(Trades::new(["BTC/USD"]), |_| panic!("a user's bug"))
        .await
        .unwrap();
    let events = tokio::task::spawn_blocking(move || {
        (0..3)
            .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let Event::Data(first) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(first.kind, MessageType::Snapshot);
    assert!(events.iter().all(|e| matches!(e, Event::Data(_))));
    // The connection survived the panic: another subscription still works.
    let mut ok = client.subscribe(Ticker::new(["ETH/USD"])).await.unwrap();
    next_data(&mut ok).await;
    drop(panicking);
    inline.unsubscribe();
    client.close().await;
}

#[tokio::test]
async fn an_instrument_subscription_sees_a_pair_status_change() {
    use kraki::proto::channels::PairStatus;
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let mut instruments = client.subscribe(Instrument::new()).await.unwrap();
    let snapshot = next_data(&mut instruments).await;
    assert_eq!(snapshot.kind, MessageType::Snapshot);
    let sol = snapshot.data.pairs.iter().find(|p| p.symbol == "SOL/USD");
    assert_eq!(sol.unwrap().status, PairStatus::Online);

    sim.set_pair_status("SOL/USD", PairStatus::PostOnly)
        .await
        .unwrap();
    let update = next_data(&mut instruments).await;
    assert_eq!(update.kind, MessageType::Update);
    assert!(update.data.assets.is_empty());
    assert_eq!(update.data.pairs.len(), 1);
    assert_eq!(update.data.pairs[0].symbol, "SOL/USD");
    assert_eq!(update.data.pairs[0].status, PairStatus::PostOnly);
    assert_eq!(update.data.pairs[0].price_precision, 2);
    client.close().await;
    sim.shutdown().await;
}
