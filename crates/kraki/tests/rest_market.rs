//! kraki's typed public REST calls against the simulator: every endpoint
//! reads the market the WebSocket channels show, errors come back as
//! Kraken writes them, and failures worth another try are retried.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{next_data, public_client};
use kraki::proto::channels::SystemStatus;
use kraki::proto::{Decimal, Side};
use kraki::rest::{RestClient, TradesSince};
use kraki::{Book, Error, Ohlc, Ticker, Trades};
use kraki_sim::{SimHandle, Simulator};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A paused simulator (nothing moves between a WebSocket snapshot and a
/// REST answer) and a REST client on it.
async fn paused_sim() -> (SimHandle, RestClient) {
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    let rest = RestClient::new(&sim.rest_url()).unwrap();
    (sim, rest)
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[tokio::test]
async fn time_and_system_status() {
    let (sim, rest) = paused_sim().await;
    let time = rest.time().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((time.unixtime - now).abs() <= 2, "{time:?} vs {now}");
    assert!(time.rfc1123.ends_with(" +0000"), "{}", time.rfc1123);
    let status = rest.system_status().await.unwrap();
    assert_eq!(status.status, SystemStatus::Online);
    sim.set_status(SystemStatus::Maintenance);
    let status = rest.system_status().await.unwrap();
    assert_eq!(status.status, SystemStatus::Maintenance);
    sim.shutdown().await;
}

#[tokio::test]
async fn assets_and_pairs_are_keyed_by_v2_names_with_krakens_kept() {
    let (sim, rest) = paused_sim().await;
    let assets = rest.assets(&["BTC", "USD", "SOL"]).await.unwrap();
    let names: Vec<(&str, &str, &str)> = assets
        .values()
        .map(|a| (a.code.as_str(), a.id.as_str(), a.altname.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("BTC", "XXBT", "XBT"),
            ("SOL", "SOL", "SOL"),
            ("USD", "ZUSD", "USD")
        ]
    );
    let all = rest.assets(&[]).await.unwrap();
    assert!(
        all.contains_key("DOGE") && all["DOGE"].id == "XXDG",
        "{all:?}"
    );

    let pairs = rest.asset_pairs(&[]).await.unwrap();
    let symbols: Vec<&str> = pairs.keys().map(String::as_str).collect();
    assert_eq!(
        symbols,
        [
            "BTC/USD", "DOGE/USD", "ETH/BTC", "ETH/USD", "SHIB/USD", "SOL/USD"
        ]
    );
    let btc = &pairs["BTC/USD"];
    assert_eq!(
        (btc.key.as_str(), btc.altname.as_str(), btc.base.as_str()),
        ("XXBTZUSD", "XBTUSD", "XXBT")
    );
    // The WebSocket instrument precisions.
    assert_eq!((btc.pair_decimals, btc.lot_decimals), (1, 8));
    assert_eq!(pairs["DOGE/USD"].key, "XDGUSD");
    assert_eq!(pairs["DOGE/USD"].pair_decimals, 7);
    assert_eq!(btc.tick_size, Some(d("0.1")));
    let one = rest.asset_pairs(&["ETH/BTC"]).await.unwrap();
    assert_eq!(one.keys().collect::<Vec<_>>(), ["ETH/BTC"]);
    assert_eq!(one["ETH/BTC"].key, "XETHXXBT");
    sim.shutdown().await;
}

#[tokio::test]
async fn ticker_agrees_with_the_ticker_channel() {
    let (sim, rest) = paused_sim().await;
    let client = public_client(&sim).await;
    let mut sub = client
        .subscribe(Ticker::new(["BTC/USD", "SOL/USD"]))
        .await
        .unwrap();
    let mut channel = std::collections::BTreeMap::new();
    while channel.len() < 2 {
        let update = next_data(&mut sub).await;
        channel.insert(update.ticker.symbol.as_str().to_owned(), update.ticker);
    }
    let tickers = rest.ticker(&["BTC/USD", "SOL/USD"]).await.unwrap();
    assert_eq!(tickers.len(), 2);
    for (symbol, ws) in &channel {
        let rest = &tickers[symbol];
        assert_eq!(rest.symbol, *symbol);
        assert_eq!((rest.bid.price, rest.bid.lot_volume), (ws.bid, ws.bid_qty));
        assert_eq!((rest.ask.price, rest.ask.lot_volume), (ws.ask, ws.ask_qty));
        assert_eq!(rest.last.price, ws.last, "{symbol}");
        assert_eq!(rest.volume.last_24h, ws.volume, "{symbol}");
        assert_eq!(rest.vwap.last_24h, ws.vwap, "{symbol}");
        assert_eq!((rest.low.last_24h, rest.high.last_24h), (ws.low, ws.high));
        assert_eq!(rest.last.price.checked_sub(rest.open), Some(ws.change));
        assert!(rest.trades.last_24h > 0);
    }
    assert_eq!(tickers["BTC/USD"].key, "XXBTZUSD");
    // Every pair, keyed by v2 symbol.
    let all = rest.ticker(&[]).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all["DOGE/USD"].key, "XDGUSD");
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn ohlc_agrees_with_the_ohlc_channel_running_candle_included() {
    let (sim, rest) = paused_sim().await;
    let client = public_client(&sim).await;
    let mut sub = client.subscribe(Ohlc::new(["ETH/USD"], 1)).await.unwrap();
    let snapshot = next_data(&mut sub).await;
    let page = rest.ohlc("ETH/USD", 1, None).await.unwrap();
    assert_eq!(page.key, "XETHZUSD");
    assert!(page.candles.len() >= 2, "{page:?}");
    assert_eq!(page.candles.len(), snapshot.candles.len());
    for (rest, ws) in page.candles.iter().zip(&snapshot.candles) {
        assert_eq!(rest.time, ws.interval_begin.unix_seconds());
        assert_eq!(
            (rest.open, rest.high, rest.low, rest.close),
            (ws.open, ws.high, ws.low, ws.close)
        );
        assert_eq!(
            (rest.vwap, rest.volume, rest.count),
            (ws.vwap, ws.volume, ws.trades)
        );
    }
    // `last` is the newest finished candle; asking after it gives only
    // the running one.
    let finished = &page.candles[page.candles.len() - 2];
    assert_eq!(page.last, finished.time);
    let next = rest.ohlc("ETH/USD", 1, Some(page.last)).await.unwrap();
    assert_eq!(next.candles, page.candles[page.candles.len() - 1..]);
    assert_eq!(next.last, page.last);
    // A wider interval folds the same trades.
    let hour = rest.ohlc("ETH/USD", 60, None).await.unwrap();
    let traded: u64 = page.candles.iter().map(|c| c.count).sum();
    assert!(hour.candles.iter().map(|c| c.count).sum::<u64>() >= traded);
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn depth_is_the_book_the_book_channel_shows() {
    let (sim, rest) = paused_sim().await;
    let client = public_client(&sim).await;
    let mut sub = client
        .subscribe(Book::new(["SHIB/USD"]).depth(10))
        .await
        .unwrap();
    let snapshot = next_data(&mut sub).await.book;
    let book = rest.depth("SHIB/USD", Some(10)).await.unwrap();
    assert_eq!(book.key, "SHIBUSD");
    let levels = |side: &[kraki::rest::DepthLevel]| -> Vec<(Decimal, Decimal)> {
        side.iter().map(|l| (l.price, l.volume)).collect()
    };
    let ws = |side: &[kraki::proto::channels::PriceLevel]| -> Vec<(Decimal, Decimal)> {
        side.iter().map(|l| (l.price, l.qty)).collect()
    };
    assert_eq!(levels(&book.bids), ws(&snapshot.bids));
    assert_eq!(levels(&book.asks), ws(&snapshot.asks));
    // Written with the pair's precisions, digit for digit.
    assert_eq!(book.bids[0].price.scale(), 8);
    assert_eq!(book.bids[0].volume.scale(), 2);
    assert!(book.bids[0].time > 1_600_000_000);
    let default = rest.depth("SHIB/USD", None).await.unwrap();
    assert_eq!(default.asks.len(), 100);
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn trades_are_the_trades_the_trade_channel_sent_and_page_by_since() {
    let (sim, rest) = paused_sim().await;
    let client = public_client(&sim).await;
    let mut sub = client.subscribe(Trades::new(["BTC/USD"])).await.unwrap();
    let snapshot = next_data(&mut sub).await.trades;
    let page = rest.trades("BTC/USD", None, None).await.unwrap();
    assert_eq!(page.key, "XXBTZUSD");
    assert!(page.trades.len() > snapshot.len(), "REST keeps more");
    let newest = &page.trades[page.trades.len() - snapshot.len()..];
    for (rest, ws) in newest.iter().zip(&snapshot) {
        assert_eq!(rest.trade_id, Some(ws.trade_id));
        assert_eq!(
            (rest.price, rest.volume, rest.side),
            (ws.price, ws.qty, ws.side)
        );
        assert_eq!(rest.ord_type, ws.ord_type);
        let micros = ws.timestamp.unix_nanos() / 1_000;
        assert_eq!(rest.time, Decimal::new(micros as i64, 6).unwrap());
    }
    // `last` is the newest trade's time in nanoseconds; paging from a
    // trade gives those after it.
    let newest_ns = snapshot.last().unwrap().timestamp.unix_nanos() as i64;
    assert_eq!(page.last, TradesSince(newest_ns));
    let tenth_last = &snapshot[snapshot.len() - 10];
    let since = TradesSince(tenth_last.timestamp.unix_nanos() as i64);
    let after = rest.trades("BTC/USD", Some(since), Some(5)).await.unwrap();
    let ids: Vec<u64> = after.trades.iter().filter_map(|t| t.trade_id).collect();
    let expected: Vec<u64> = snapshot[snapshot.len() - 9..]
        .iter()
        .map(|t| t.trade_id)
        .take(5)
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(
        after.last,
        TradesSince(snapshot[snapshot.len() - 5].timestamp.unix_nanos() as i64)
    );
    let none = rest.trades("BTC/USD", Some(page.last), None).await.unwrap();
    assert!(none.trades.is_empty());
    assert_eq!(none.last, page.last);
    // A forced trade shows at once.
    assert!(sim.trade_to("BTC/USD", d("64000.0"), d("0.5")).await);
    let more = rest.trades("BTC/USD", Some(page.last), None).await.unwrap();
    assert!(!more.trades.is_empty());
    assert!(
        more.trades.iter().any(|t| t.price == d("64000.0")),
        "{more:?}"
    );
    assert!(more.trades.iter().all(|t| t.side == Side::Sell));
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn spread_ends_at_the_current_best_bid_and_ask() {
    let (sim, rest) = paused_sim().await;
    sim.advance(200).await;
    let spreads = rest.spread("ETH/USD", None).await.unwrap();
    assert_eq!(spreads.key, "XETHZUSD");
    let book = rest.depth("ETH/USD", Some(1)).await.unwrap();
    let newest = spreads.spreads.last().expect("spreads after 200 events");
    assert_eq!(
        (newest.bid, newest.ask),
        (book.bids[0].price, book.asks[0].price)
    );
    assert!(newest.bid < newest.ask);
    assert_eq!(spreads.last, newest.time);
    let after = rest.spread("ETH/USD", Some(spreads.last)).await.unwrap();
    assert!(after.spreads.is_empty(), "{after:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn errors_come_back_as_kraken_writes_them() {
    let (sim, rest) = paused_sim().await;
    for err in [
        rest.ohlc("ADA/JPY", 1, None).await.unwrap_err(),
        rest.depth("ADA/JPY", None).await.unwrap_err(),
        rest.trades("ADA/JPY", None, None).await.unwrap_err(),
        rest.spread("ADA/JPY", None).await.unwrap_err(),
        rest.ticker(&["BTC/USD", "ADA/JPY"]).await.unwrap_err(),
        rest.asset_pairs(&["ADA/JPY"]).await.unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::Rest(e) if e == &["EQuery:Unknown asset pair"]),
            "{err:?}"
        );
    }
    let err = rest.assets(&["ADA"]).await.unwrap_err();
    assert_eq!(err.to_string(), "Kraken REST error: EQuery:Unknown asset");
    // Checked before anything is sent.
    let err = rest.ohlc("BTC/USD", 2, None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request: OHLC interval 2: Kraken serves [1, 5, 15, 30, 60, 240, 1440, 10080, 21600] minutes"
    );
    let err = rest.depth("BTCUSD", None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request: \"BTCUSD\" is not a pair: expected BASE/QUOTE, e.g. BTC/USD"
    );
    assert!(matches!(
        rest.trades("BTC/USD", None, Some(0)).await,
        Err(Error::Invalid(_))
    ));
    // What the typed client never sends, the simulator refuses as Kraken.
    for target in [
        "/0/public/OHLC?pair=XBTUSD&interval=2",
        "/0/public/OHLC?pair=XBTUSD&since=yesterday",
        "/0/public/Depth?pair=XBTUSD&count=501",
        "/0/public/Trades?pair=XBTUSD&count=-1",
        "/0/public/Spread",
        "/0/public/Depth?pair=XBTUSD,ETHUSD",
    ] {
        let body = raw_get(&sim, target).await;
        assert!(body.starts_with("HTTP/1.1 200"), "{target}: {body}");
        assert!(
            body.ends_with(r#"{"error":["EGeneral:Invalid arguments"]}"#),
            "{target}: {body}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn every_spelling_of_a_pair_gets_krakens_key() {
    let (sim, _rest) = paused_sim().await;
    for (asked, key) in [
        ("XBTUSD", "XXBTZUSD"),
        ("XXBTZUSD", "XXBTZUSD"),
        ("XBT/USD", "XBT/USD"),
        ("BTC/USD", "BTC/USD"),
    ] {
        let body = raw_get(&sim, &format!("/0/public/Depth?pair={asked}&count=1")).await;
        assert!(
            body.contains(&format!(r#""result":{{"{key}":{{"asks":[["#)),
            "{asked}: {body}"
        );
        let body = raw_get(&sim, &format!("/0/public/OHLC?pair={asked}")).await;
        assert!(body.contains(&format!(r#""{key}":[["#)), "{asked}: {body}");
        assert!(body.contains(r#""last":"#), "{asked}: {body}");
    }
    sim.shutdown().await;
}

/// One GET to the simulator, the whole answer as text.
async fn raw_get(sim: &SimHandle, target: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    answer
}

/// A server on loopback answering its n-th connection with `answers[n]`
/// (the last one again after the list); counts connections.
async fn scripted_server(answers: Vec<&'static str>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let answer = answers[n.min(answers.len() - 1)];
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8];
                while !head.ends_with(b"\r\n\r\n") {
                    if tcp.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let _ = tcp.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, count)
}

fn http(status: &str, body: &str) -> &'static str {
    Box::leak(
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    )
}

#[tokio::test]
async fn transient_failures_are_retried_then_succeed() {
    let time = r#"{"error":[],"result":{"unixtime":1700000000,"rfc1123":"x"}}"#;
    let (url, count) = scripted_server(vec![
        http("503 Service Unavailable", "<html>down</html>"),
        http("200 OK", r#"{"error":["EService:Busy"]}"#),
        http("429 Too Many Requests", ""),
        http("200 OK", time),
    ])
    .await;
    let rest = RestClient::new(&url).unwrap();
    let answer = rest.time().await.unwrap();
    assert_eq!(answer.unixtime, 1_700_000_000);
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn retries_stop_after_three_and_other_errors_are_not_retried() {
    let (url, count) = scripted_server(vec![http(
        "200 OK",
        r#"{"error":["EService:Unavailable"]}"#,
    )])
    .await;
    let err = RestClient::new(&url).unwrap().time().await.unwrap_err();
    assert_eq!(err.to_string(), "Kraken REST error: EService:Unavailable");
    assert_eq!(count.load(Ordering::SeqCst), 4, "one try and three retries");

    let (url, count) = scripted_server(vec![http(
        "200 OK",
        r#"{"error":["EGeneral:Invalid arguments"]}"#,
    )])
    .await;
    let err = RestClient::new(&url).unwrap().time().await.unwrap_err();
    assert!(matches!(&err, Error::Rest(e) if e == &["EGeneral:Invalid arguments"]));
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // Something that is not HTTP would answer the same again.
    let (url, count) = scripted_server(vec!["SSH-2.0-OpenSSH_9.6\r\n"]).await;
    let err = RestClient::new(&url).unwrap().time().await.unwrap_err();
    assert_eq!(err.to_string(), "REST: HTTP: invalid HTTP version parsed");
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // A result that is not Kraken's shape is named, not retried.
    let (url, count) = scripted_server(vec![http(
        "200 OK",
        r#"{"error":[],"result":{"XXBTZUSD":[[1,"x"]],"last":1}}"#,
    )])
    .await;
    let err = RestClient::new(&url)
        .unwrap()
        .ohlc("BTC/USD", 1, None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("OHLC BTC/USD row 0: bad open \"x\""),
        "{err}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    // A port nobody listens on: every try is refused, four in all.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let started = std::time::Instant::now();
    let err = RestClient::new(&url).unwrap().time().await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
    // The three pauses: 0.25 + 0.75 + 2 s.
    assert!(
        started.elapsed() >= Duration::from_millis(3_000),
        "{:?}",
        started.elapsed()
    );
}
