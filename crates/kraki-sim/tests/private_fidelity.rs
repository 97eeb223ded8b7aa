//! Every kind of private message the sim sends has the keys of the
//! documented examples (protocol reference §5, §6), decodes with
//! kraki-proto to the right variant, and pads numbers to the pair's or
//! asset's precision as the live server does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::private::{Private, top};
use kraki_proto::Decimal;
use kraki_sim::Simulator;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::time::Duration;

type Fields = BTreeMap<String, Box<RawValue>>;

/// The report or entry objects of a frame, as raw fields.
fn data(frame: &serde_json::Value) -> Vec<Fields> {
    #[derive(serde::Deserialize)]
    struct Frame {
        data: Vec<Fields>,
    }
    let f: Frame = serde_json::from_str(frame["_raw"].as_str().unwrap()).unwrap();
    f.data
}

fn keys(f: &Fields) -> Vec<&str> {
    f.keys().map(String::as_str).collect()
}

fn sorted<'a>(k: &[&'a str]) -> Vec<&'a str> {
    let mut k = k.to_vec();
    k.sort_unstable();
    k
}

fn padded(f: &Fields, key: &str, places: usize) {
    let text = f[key].get();
    let got = text.split_once('.').map_or(0, |(_, d)| d.len());
    assert_eq!(got, places, "{key}={text}");
}

const PENDING_NEW: &[&str] = &[
    "order_id",
    "order_userref",
    "symbol",
    "order_qty",
    "cum_cost",
    "time_in_force",
    "exec_type",
    "side",
    "order_type",
    "limit_price_type",
    "limit_price",
    "order_status",
    "fee_usd_equiv",
    "fee_ccy_pref",
    "timestamp",
];
const NEW: &[&str] = &[
    "timestamp",
    "order_status",
    "exec_type",
    "order_userref",
    "order_id",
];
const TRADE: &[&str] = &[
    "order_id",
    "order_userref",
    "exec_id",
    "exec_type",
    "trade_id",
    "symbol",
    "side",
    "last_qty",
    "last_price",
    "liquidity_ind",
    "cost",
    "order_type",
    "timestamp",
    "order_status",
    "cum_qty",
    "cum_cost",
    "avg_price",
    "fee_usd_equiv",
    "fees",
];
const CANCELED: &[&str] = &[
    "timestamp",
    "order_status",
    "exec_type",
    "cum_qty",
    "cum_cost",
    "fee_usd_equiv",
    "avg_price",
    "order_userref",
    "cancel_reason",
    "reason",
    "order_id",
];
const AMENDED: &[&str] = &[
    "timestamp",
    "exec_type",
    "order_status",
    "cum_qty",
    "reason",
    "amended",
    "order_qty",
    "limit_price",
    "limit_price_type",
    "order_userref",
    "order_id",
];
const LEDGER: &[&str] = &[
    "ledger_id",
    "ref_id",
    "timestamp",
    "type",
    "asset",
    "asset_class",
    "category",
    "wallet_type",
    "wallet_id",
    "amount",
    "fee",
    "balance",
];
const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn every_private_message_has_the_documented_keys_and_padding() {
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    let mut p = Private::connect(&sim).await;
    let (snapshot, balances) = p.subscribe_both("").await;
    assert_eq!(
        sorted(&common::keys_of(&snapshot)),
        ["channel", "data", "sequence", "type"]
    );
    for entry in data(&balances) {
        assert_eq!(
            sorted(&keys(&entry)),
            ["asset", "asset_class", "balance", "wallets"]
        );
        let places = if entry["asset"].get() == "\"USD\"" {
            4
        } else {
            8
        };
        padded(&entry, "balance", places);
    }

    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let limit = bid - 100;
    let price = format!("{}.{}", limit / 10, limit % 10);
    let ack = p
        .request(&format!(
            r#"{{"method":"add_order","params":{{"order_type":"limit","side":"buy","order_qty":0.01,"symbol":"BTC/USD","limit_price":{price},"token":"{{token}}"}},"req_id":4}}"#
        ))
        .await;
    assert_eq!(
        sorted(&common::keys_of(&ack)),
        [
            "method", "req_id", "result", "success", "time_in", "time_out"
        ]
    );
    let frames = p.drain("executions", QUIET).await;
    let pending = &data(&frames[0])[0];
    assert_eq!(sorted(&keys(pending)), sorted(PENDING_NEW));
    padded(pending, "order_qty", 8);
    padded(pending, "limit_price", 1);
    padded(pending, "cum_cost", 4);
    padded(pending, "fee_usd_equiv", 4);
    assert_eq!(sorted(&keys(&data(&frames[1])[0])), sorted(NEW));

    let order_id = ack["result"]["order_id"].as_str().unwrap().to_owned();
    let amend = format!(
        r#"{{"method":"amend_order","params":{{"order_id":"{order_id}","order_qty":0.02,"token":"{{token}}"}}}}"#
    );
    assert_eq!(p.request(&amend).await["success"], true);
    let frames = p.drain("executions", QUIET).await;
    let amended = &data(&frames[0])[0];
    assert_eq!(sorted(&keys(amended)), sorted(AMENDED));
    padded(amended, "order_qty", 8);

    let qty = Decimal::parse("0.005").unwrap();
    assert!(
        sim.trade_to("BTC/USD", Decimal::parse(&price).unwrap(), qty)
            .await
    );
    let frames = p.drain("executions", QUIET).await;
    let trade = &data(&frames[0])[0];
    assert_eq!(sorted(&keys(trade)), sorted(TRADE));
    for (key, places) in [
        ("last_qty", 8),
        ("cum_qty", 8),
        ("last_price", 1),
        ("avg_price", 1),
        ("cost", 4),
        ("cum_cost", 4),
        ("fee_usd_equiv", 4),
    ] {
        padded(trade, key, places);
    }
    for frame in p.drain("balances", QUIET).await {
        let entry = &data(&frame)[0];
        assert_eq!(sorted(&keys(entry)), sorted(LEDGER));
        let places = if entry["asset"].get() == "\"USD\"" {
            4
        } else {
            8
        };
        for key in ["amount", "fee", "balance"] {
            padded(entry, key, places);
        }
    }

    let cancel = format!(
        r#"{{"method":"cancel_order","params":{{"order_id":["{order_id}"],"token":"{{token}}"}}}}"#
    );
    assert_eq!(p.request(&cancel).await["success"], true);
    let frames = p.drain("executions", QUIET).await;
    let canceled = &data(&frames[0])[0];
    assert_eq!(sorted(&keys(canceled)), sorted(CANCELED));
    padded(canceled, "cum_qty", 8);
    sim.shutdown().await;
}
