//! The public endpoint over real sockets: acks and errors with exactly the
//! documented keys, books whose checksums an independent book verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{connect, keys, next_response, next_text, send};
use futures_util::StreamExt;
use kraki_proto::book::{L2Book, Precision};
use kraki_proto::{Inbound, decode};
use kraki_sim::{SimHandle, Simulator};
use serde_json::Value;
use std::time::Duration;

async fn sim() -> SimHandle {
    Simulator::builder()
        .seed(3)
        .rate(1500.0)
        .spawn()
        .await
        .unwrap()
}

#[tokio::test]
async fn status_first_then_ping_pong() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    let status: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(status["channel"], "status");
    assert_eq!(status["data"][0]["system"], "online");
    assert!(status["data"][0]["connection_id"].as_u64().unwrap() > i64::MAX as u64);

    send(&mut ws, r#"{"method":"ping","req_id":101}"#).await;
    let pong = next_response(&mut ws).await;
    assert_eq!(keys(&pong), ["method", "req_id", "time_in", "time_out"]);
    assert_eq!(pong["method"], "pong");
    assert_eq!(pong["req_id"], 101);

    send(&mut ws, r#"{"method":"ping","params":{},"req_id":7}"#).await;
    let err = next_response(&mut ws).await;
    assert_eq!(
        err["error"],
        "Unsupported field: 'params' for the given msg type: ping"
    );
    assert_eq!(err["success"], false);
    assert_eq!(
        keys(&err),
        [
            "error", "method", "req_id", "success", "time_in", "time_out"
        ]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn book_acks_and_verified_updates_at_several_depths() {
    let sim = sim().await;
    for (symbol, precision, depth) in [
        ("BTC/USD", Precision::new(1, 8), 10),
        ("DOGE/USD", Precision::new(7, 8), 25),
        ("ETH/BTC", Precision::new(5, 8), 1000),
    ] {
        let mut ws = connect(&sim.public_url()).await;
        send(
            &mut ws,
            &format!(r#"{{"method":"subscribe","params":{{"channel":"book","symbol":["{symbol}"],"depth":{depth}}},"req_id":5}}"#),
        )
        .await;
        let ack = next_response(&mut ws).await;
        assert_eq!(
            keys(&ack),
            [
                "method", "req_id", "result", "success", "time_in", "time_out"
            ]
        );
        assert_eq!(ack["result"]["depth"], depth);
        assert_eq!(ack["result"]["symbol"], symbol);
        assert_eq!(ack["result"]["snapshot"], true);

        let mut book = L2Book::new(symbol, precision, depth as usize);
        let mut verified = 0;
        while verified < 40 {
            let text = next_text(&mut ws).await;
            let Inbound::Book(msg) = decode(&text).unwrap() else {
                continue;
            };
            let v = book.apply(msg.kind, &msg.data[0]).unwrap();
            assert!(v.is_verified(), "{v:?} on {text}");
            assert_eq!(book.len(), (depth as usize, depth as usize), "{text}");
            verified += 1;
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn book_numbers_are_padded_to_the_pair_precision() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}"#,
    )
    .await;
    let ack = next_response(&mut ws).await;
    assert!(ack.get("req_id").is_none(), "req_id echoed only when sent");
    let snapshot = next_text(&mut ws).await;
    let start = snapshot.find("\"qty\":").unwrap() + 6;
    let qty: String = snapshot[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    assert_eq!(qty.split('.').nth(1).unwrap().len(), 8, "{qty}");
    sim.shutdown().await;
}

#[tokio::test]
async fn every_error_has_krakens_string_and_keys() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    let cases = [
        (
            r#"{"method":"subscribe","params":{"channel":"bogus","symbol":["BTC/USD"]},"req_id":1}"#,
            "Subscription name invalid",
            None,
        ),
        (
            r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["XBT/USD"]},"req_id":2}"#,
            "Currency pair not supported XBT/USD",
            Some("XBT/USD"),
        ),
        (
            r#"{"method":"unsubscribe","params":{"channel":"ticker","symbol":["ETH/USD"]},"req_id":3}"#,
            "Subscription Not Found",
            Some("ETH/USD"),
        ),
        (
            r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":7},"req_id":4}"#,
            "EGeneral:Invalid arguments:depth",
            None,
        ),
        (
            r#"{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"],"interval":2},"req_id":5}"#,
            "EGeneral:Invalid arguments:interval",
            None,
        ),
        (
            r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"leverage":2},"req_id":6}"#,
            "Unsupported field: 'leverage'",
            None,
        ),
        (
            r#"{"method":"subscribe","params":{"channel":"executions"},"req_id":7}"#,
            "Token(s) not found",
            None,
        ),
        (r#"{"method":"subscribe","#, "Unsupported event", None),
    ];
    for (request, error, symbol) in cases {
        send(&mut ws, request).await;
        let r = next_response(&mut ws).await;
        assert_eq!(r["error"], error, "{request}");
        assert_eq!(r["success"], false);
        let mut expected = vec!["error", "success", "time_in", "time_out"];
        if request.contains("req_id") {
            expected.push("req_id");
            expected.push("method");
        }
        if let Some(symbol) = symbol {
            expected.push("symbol");
            assert_eq!(r["symbol"], symbol);
        }
        expected.sort_unstable();
        assert_eq!(keys(&r), expected, "{request}");
    }
    // Subscribed once, the second time is "Already subscribed".
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]},"req_id":9}"#,
    )
    .await;
    assert_eq!(next_response(&mut ws).await["success"], true);
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]},"req_id":10}"#,
    )
    .await;
    let r = next_response(&mut ws).await;
    assert_eq!(r["error"], "Already subscribed");
    assert_eq!(r["symbol"], "BTC/USD");
    sim.shutdown().await;
}

#[tokio::test]
async fn multi_symbol_subscribe_gives_one_ack_per_symbol() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD","ETH/USD","NOPE/USD"]},"req_id":42}"#,
    )
    .await;
    let mut acks = Vec::new();
    while acks.len() < 3 {
        acks.push(next_response(&mut ws).await);
    }
    let symbols: Vec<&str> = acks
        .iter()
        .map(|a| {
            a["result"]["symbol"]
                .as_str()
                .or(a["symbol"].as_str())
                .unwrap()
        })
        .collect();
    assert_eq!(symbols, ["BTC/USD", "ETH/USD", "NOPE/USD"]);
    assert!(acks.iter().all(|a| a["req_id"] == 42));
    assert_eq!(acks[0]["result"]["event_trigger"], "trades");
    assert_eq!(acks[2]["success"], false);
    sim.shutdown().await;
}

#[tokio::test]
async fn every_public_channel_decodes() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    for request in [
        r#"{"method":"subscribe","params":{"channel":"instrument"}}"#,
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["SOL/USD"],"event_trigger":"bbo"}}"#,
        r#"{"method":"subscribe","params":{"channel":"trade","symbol":["SOL/USD"]}}"#,
        r#"{"method":"subscribe","params":{"channel":"ohlc","symbol":["SOL/USD"],"interval":1}}"#,
    ] {
        send(&mut ws, request).await;
    }
    let mut seen = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.len() < 9 && tokio::time::Instant::now() < deadline {
        let text = next_text(&mut ws).await;
        let msg = decode(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        seen.insert(msg.kind().to_string());
    }
    for kind in [
        "instrument.snapshot",
        "ticker.snapshot SOL/USD",
        "ticker.update SOL/USD",
        "trade.snapshot SOL/USD",
        "trade.update SOL/USD",
        "ohlc.update SOL/USD",
    ] {
        assert!(seen.contains(kind), "{kind} not in {seen:?}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn heartbeats_when_subscribed_and_quiet() {
    let sim = Simulator::builder()
        .rate(0.2)
        .heartbeat(Duration::from_millis(100))
        .spawn()
        .await
        .unwrap();
    let mut ws = connect(&sim.public_url()).await;
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false}}"#,
    )
    .await;
    let mut heartbeats = 0;
    while heartbeats < 3 {
        if next_text(&mut ws).await == r#"{"channel":"heartbeat"}"# {
            heartbeats += 1;
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let sim = Simulator::builder()
        .idle_timeout(Duration::from_millis(300))
        .spawn()
        .await
        .unwrap();
    let mut ws = connect(&sim.public_url()).await;
    let _status = next_text(&mut ws).await;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(m)) if !m.is_close() => continue,
                _ => return,
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the idle connection stayed open");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_status_change_reaches_every_connection_and_rest() {
    let sim = sim().await;
    let mut public = connect(&sim.public_url()).await;
    let mut private = connect(&sim.private_url()).await;
    for ws in [&mut public, &mut private] {
        let first: Value = serde_json::from_str(&next_text(ws).await).unwrap();
        assert_eq!(first["data"][0]["system"], "online");
    }
    sim.set_status(kraki_sim::SystemStatus::CancelOnly);
    // Setting the same state again is not a change and sends nothing.
    sim.set_status(kraki_sim::SystemStatus::CancelOnly);
    for ws in [&mut public, &mut private] {
        let update: Value = serde_json::from_str(&next_text(ws).await).unwrap();
        assert_eq!(update["channel"], "status");
        assert_eq!(update["type"], "update");
        assert_eq!(update["data"][0]["system"], "cancel_only");
    }
    let later = common::drain(&mut public, Duration::from_millis(300)).await;
    assert!(
        later.is_empty(),
        "a repeated state was sent again: {later:?}"
    );

    let mut fresh = connect(&sim.public_url()).await;
    let first: Value = serde_json::from_str(&next_text(&mut fresh).await).unwrap();
    assert_eq!(first["data"][0]["system"], "cancel_only");

    sim.set_status(kraki_sim::SystemStatus::Online);
    let back: Value = serde_json::from_str(&next_text(&mut fresh).await).unwrap();
    assert_eq!(back["data"][0]["system"], "online");
    sim.shutdown().await;
}
