//! The same seed gives the same messages (timestamps aside); another seed
//! gives other ones. Uses paused simulators, moved by `advance`, so that
//! nothing depends on timing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{connect, drain, next_text, send};
use kraki_sim::Simulator;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Removes the fields that carry the wall clock.
fn without_clock(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for key in ["timestamp", "time_in", "time_out", "interval_begin"] {
                map.remove(key);
            }
            map.values_mut().for_each(without_clock);
        }
        Value::Array(list) => list.iter_mut().for_each(without_clock),
        _ => {}
    }
}

/// Every frame of one session, grouped by (channel, symbol): frames of
/// different subscriptions are forwarded independently, so only the order
/// within a subscription is defined.
async fn session(seed: u64) -> BTreeMap<String, Vec<Value>> {
    let sim = Simulator::builder()
        .seed(seed)
        .paused(true)
        .spawn()
        .await
        .unwrap();
    let mut ws = connect(&sim.public_url()).await;
    let requests = [
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25},"req_id":1}"#,
        r#"{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD","DOGE/USD"]},"req_id":2}"#,
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["ETH/BTC"]},"req_id":3}"#,
    ];
    let mut frames = Vec::new();
    for request in requests {
        send(&mut ws, request).await;
    }
    // Every ack is in before the market moves.
    let mut acks = 0;
    while acks < 4 {
        let text = next_text(&mut ws).await;
        acks += usize::from(text.contains(r#""method":"subscribe""#));
        frames.push(text);
    }
    sim.advance(600).await;
    frames.extend(drain(&mut ws, Duration::from_millis(500)).await);
    sim.shutdown().await;

    let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for text in frames {
        // Heartbeats fill silences, which depend on timing.
        if text == r#"{"channel":"heartbeat"}"# {
            continue;
        }
        let mut v: Value = serde_json::from_str(&text).unwrap();
        without_clock(&mut v);
        let symbol = v["data"][0]["symbol"]
            .as_str()
            .or(v["result"]["symbol"].as_str())
            .unwrap_or("")
            .to_owned();
        let channel = v["channel"].as_str().or(v["method"].as_str()).unwrap_or("");
        grouped
            .entry(format!("{channel} {symbol}"))
            .or_default()
            .push(v);
    }
    grouped
}

#[tokio::test]
async fn same_seed_same_messages() {
    let (a, b, c) = tokio::join!(session(9), session(9), session(10));
    let count = |g: &BTreeMap<String, Vec<Value>>, key: &str| g.get(key).map_or(0, Vec::len);
    // Enough happened for the comparison to mean something.
    assert!(count(&a, "book BTC/USD") > 20, "{:?}", a.keys());
    assert!(count(&a, "trade BTC/USD") > 5);
    assert!(count(&a, "ticker ETH/BTC") > 5);
    assert_eq!(a, b);
    assert_ne!(a.get("book BTC/USD"), c.get("book BTC/USD"));
}
