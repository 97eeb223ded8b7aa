//! A pair's status changed at runtime: `instrument` subscribers get an
//! update in Kraken's shape, later snapshots show it, the trading engine
//! honours it, and an unknown symbol is a clear error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::private::{Private, top};
use common::{Ws, connect, next_response, next_text, send};
use kraki_proto::{Inbound, decode};
use kraki_sim::{PairStatus, PairStatusError, SimHandle, Simulator};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn sim() -> SimHandle {
    Simulator::builder().paused(true).spawn().await.unwrap()
}

/// The next `instrument` frame of a connection (heartbeats and acks skipped).
async fn next_instrument(ws: &mut Ws) -> Value {
    loop {
        let v: Value = serde_json::from_str(&next_text(ws).await).unwrap();
        if v["channel"] == "instrument" {
            return v;
        }
    }
}

/// A public connection subscribed to `instrument`, past its snapshot.
async fn instrument_subscriber(sim: &SimHandle) -> (Ws, Value) {
    let mut ws = connect(&sim.public_url()).await;
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"instrument"},"req_id":1}"#,
    )
    .await;
    assert_eq!(next_response(&mut ws).await["success"], true);
    let snapshot = next_instrument(&mut ws).await;
    assert_eq!(snapshot["type"], "snapshot");
    (ws, snapshot)
}

fn pair<'a>(frame: &'a Value, symbol: &str) -> &'a Value {
    frame["data"]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["symbol"] == symbol)
        .unwrap_or_else(|| panic!("{symbol} not in {frame}"))
}

#[tokio::test]
async fn subscribers_get_the_changed_pair_and_later_snapshots_show_it() {
    let sim = sim().await;
    let (mut first, snapshot) = instrument_subscriber(&sim).await;
    let (mut second, _) = instrument_subscriber(&sim).await;
    assert_eq!(pair(&snapshot, "ETH/USD")["status"], "online");

    sim.set_pair_status("ETH/USD", PairStatus::CancelOnly)
        .await
        .unwrap();
    for ws in [&mut first, &mut second] {
        let update = next_instrument(ws).await;
        assert_eq!(update["type"], "update");
        assert_eq!(update["data"]["assets"], serde_json::json!([]));
        let pairs = update["data"]["pairs"].as_array().unwrap();
        assert_eq!(pairs.len(), 1, "{update}");
        // The pair in full, with the fields of a snapshot's pair.
        let changed = &pairs[0];
        assert_eq!(changed["symbol"], "ETH/USD");
        assert_eq!(changed["status"], "cancel_only");
        assert_eq!(changed["base"], "ETH");
        assert_eq!(changed["price_precision"], 2);
        let same_keys = |v: &Value| {
            let mut k: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(same_keys(changed), same_keys(pair(&snapshot, "ETH/USD")));
        // kraki-proto reads it as a typed instrument update.
        let text = update.to_string();
        match decode(&text).unwrap() {
            Inbound::Instrument(msg) => {
                assert_eq!(msg.data.pairs[0].status, PairStatus::CancelOnly);
            }
            other => panic!("not an instrument update: {other:?}"),
        }
    }

    // The same status again is no change: nothing is sent. A second pair
    // changing then arrives next, which proves the first sent nothing.
    sim.set_pair_status("ETH/USD", PairStatus::CancelOnly)
        .await
        .unwrap();
    sim.set_pair_status("SOL/USD", PairStatus::Maintenance)
        .await
        .unwrap();
    let next = next_instrument(&mut first).await;
    assert_eq!(pair(&next, "SOL/USD")["status"], "maintenance");

    // REST AssetPairs reports it too.
    let pairs = asset_pairs(&sim).await;
    assert_eq!(
        pairs["result"]["XETHZUSD"]["status"], "cancel_only",
        "{pairs}"
    );
    assert_eq!(pairs["result"]["XXBTZUSD"]["status"], "online", "{pairs}");

    let (_, later) = instrument_subscriber(&sim).await;
    assert_eq!(pair(&later, "ETH/USD")["status"], "cancel_only");
    assert_eq!(pair(&later, "SOL/USD")["status"], "maintenance");
    assert_eq!(pair(&later, "BTC/USD")["status"], "online");

    sim.set_pair_status("ETH/USD", PairStatus::Online)
        .await
        .unwrap();
    let back = next_instrument(&mut first).await;
    assert_eq!(pair(&back, "ETH/USD")["status"], "online");
    sim.shutdown().await;
}

/// REST `AssetPairs`, every pair.
async fn asset_pairs(sim: &SimHandle) -> Value {
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let head = "GET /0/public/AssetPairs HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

#[tokio::test]
async fn an_unknown_symbol_is_an_error_naming_the_known_ones() {
    let sim = sim().await;
    let err = sim
        .set_pair_status("XBT/EUR", PairStatus::Maintenance)
        .await
        .unwrap_err();
    assert!(matches!(err, PairStatusError::UnknownSymbol { .. }));
    assert_eq!(
        err.to_string(),
        "unknown symbol \"XBT/EUR\": the simulator trades \
         BTC/USD, ETH/USD, ETH/BTC, SOL/USD, DOGE/USD, SHIB/USD"
    );
    sim.shutdown().await;
}

/// BTC/USD price units (0.1) as wire text.
fn px(units: i64) -> String {
    format!("{}.{}", units / 10, units % 10)
}

fn buy(price: &str, extra: &str) -> String {
    format!(
        r#"{{"method":"add_order","params":{{"order_type":"limit","side":"buy","order_qty":0.01,"symbol":"BTC/USD","limit_price":{price},"token":"{{token}}"{extra}}},"req_id":7}}"#
    )
}

#[tokio::test]
async fn new_orders_follow_the_pair_status_and_cancels_go_through() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let price = px(bid - 100);
    let placed = p.request(&buy(&price, "")).await;
    assert_eq!(placed["success"], true, "{placed}");
    let id = placed["result"]["order_id"].as_str().unwrap().to_owned();

    sim.set_pair_status("BTC/USD", PairStatus::CancelOnly)
        .await
        .unwrap();
    let r = p.request(&buy(&price, "")).await;
    assert_eq!(r["error"], "EService:Market in cancel_only mode");
    let amend = format!(
        r#"{{"method":"amend_order","params":{{"order_id":"{id}","order_qty":0.02,"token":"{{token}}"}}}}"#
    );
    let r = p.request(&amend).await;
    assert_eq!(r["error"], "EService:Market in cancel_only mode");
    // Another pair is not affected.
    let r = p
        .request(
            r#"{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.1,"symbol":"ETH/USD","limit_price":100.00,"token":"{token}","validate":true}}"#,
        )
        .await;
    assert_eq!(r["success"], true, "{r}");

    sim.set_pair_status("BTC/USD", PairStatus::PostOnly)
        .await
        .unwrap();
    let r = p.request(&buy(&price, "")).await;
    assert_eq!(r["error"], "EService:Market in post_only mode");
    let r = p
        .request(&buy(&price, r#","post_only":true,"validate":true"#))
        .await;
    assert_eq!(r["success"], true, "{r}");

    sim.set_pair_status("BTC/USD", PairStatus::LimitOnly)
        .await
        .unwrap();
    let r = p
        .request(
            r#"{"method":"add_order","params":{"order_type":"market","side":"buy","order_qty":0.01,"symbol":"BTC/USD","token":"{token}"}}"#,
        )
        .await;
    assert_eq!(r["error"], "EService:Market in limit_only mode");

    sim.set_pair_status("BTC/USD", PairStatus::Maintenance)
        .await
        .unwrap();
    let r = p.request(&buy(&price, "")).await;
    assert_eq!(r["error"], "EService:Unavailable");
    let cancel = format!(
        r#"{{"method":"cancel_order","params":{{"order_id":["{id}"],"token":"{{token}}"}}}}"#
    );
    let r = p.request(&cancel).await;
    assert_eq!(r["success"], true, "{r}");

    sim.set_pair_status("BTC/USD", PairStatus::Online)
        .await
        .unwrap();
    let r = p.request(&buy(&price, "")).await;
    assert_eq!(r["success"], true, "{r}");
    sim.shutdown().await;
}
