//! Every kind of public message the sim sends has the keys of the
//! documented examples (protocol reference §3–§4), decodes strictly with
//! kraki-proto, and writes prices and quantities with exactly the pair's
//! precision, as the live server does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{connect, next_text, send};
use kraki_sim::Simulator;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

type Fields = BTreeMap<String, Box<RawValue>>;

fn fields(raw: &RawValue) -> Fields {
    serde_json::from_str(raw.get()).unwrap()
}

fn list(raw: &RawValue) -> Vec<Box<RawValue>> {
    serde_json::from_str(raw.get()).unwrap()
}

fn key_set(f: &Fields) -> Vec<&str> {
    f.keys().map(String::as_str).collect()
}

fn sorted<'a>(keys: &[&'a str]) -> Vec<&'a str> {
    let mut k = keys.to_vec();
    k.sort_unstable();
    k
}

/// Asserts a number's wire text has exactly `places` decimals.
fn padded(f: &Fields, key: &str, places: usize, context: &str) {
    let text = f[key].get();
    let got = text.split_once('.').map_or(0, |(_, d)| d.len());
    assert_eq!(got, places, "{key}={text} in {context}");
}

/// (price decimals, qty decimals) of the pairs used here.
fn precision(symbol: &str) -> (usize, usize) {
    match symbol {
        "BTC/USD" => (1, 8),
        "DOGE/USD" => (7, 8),
        "SHIB/USD" => (8, 2),
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test]
async fn every_public_message_has_the_documented_keys_and_padding() {
    let sim = Simulator::builder()
        .seed(21)
        .rate(1500.0)
        .spawn()
        .await
        .unwrap();
    let mut ws = connect(&sim.public_url()).await;
    let symbols = r#"["BTC/USD","DOGE/USD","SHIB/USD"]"#;
    for params in [
        format!(r#"{{"channel":"ticker","symbol":{symbols}}}"#),
        format!(r#"{{"channel":"book","symbol":{symbols}}}"#),
        format!(r#"{{"channel":"trade","symbol":{symbols}}}"#),
        format!(r#"{{"channel":"ohlc","symbol":{symbols},"interval":5}}"#),
        r#"{"channel":"instrument"}"#.to_owned(),
    ] {
        send(
            &mut ws,
            &format!(r#"{{"method":"subscribe","params":{params}}}"#),
        )
        .await;
    }
    let wanted = [
        "status.update",
        "ticker.snapshot",
        "ticker.update",
        "book.snapshot",
        "book.update",
        "trade.snapshot",
        "trade.update",
        "ohlc.snapshot",
        "ohlc.update",
        "instrument.snapshot",
    ];
    let mut seen = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.len() < wanted.len() {
        assert!(tokio::time::Instant::now() < deadline, "only saw {seen:?}");
        let text = next_text(&mut ws).await;
        kraki_proto::decode(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let top: Fields = serde_json::from_str(&text).unwrap();
        if top.contains_key("method") || text == r#"{"channel":"heartbeat"}"# {
            continue;
        }
        let channel: String = serde_json::from_str(top["channel"].get()).unwrap();
        let kind: String = serde_json::from_str(top["type"].get()).unwrap();
        let expected_top: &[&str] = if channel == "ohlc" {
            &["channel", "data", "timestamp", "type"]
        } else {
            &["channel", "data", "type"]
        };
        assert_eq!(key_set(&top), expected_top, "{text}");
        check_data(&channel, &top["data"], &text);
        seen.insert(format!("{channel}.{kind}"));
    }
    sim.shutdown().await;
}

fn check_data(channel: &str, data: &RawValue, text: &str) {
    if channel == "instrument" {
        let d = fields(data);
        assert_eq!(key_set(&d), ["assets", "pairs"]);
        for asset in list(&d["assets"]) {
            let a = fields(&asset);
            assert_eq!(
                key_set(&a),
                sorted(&[
                    "borrowable",
                    "collateral_value",
                    "id",
                    "precision",
                    "precision_display",
                    "status"
                ])
            );
        }
        for pair in list(&d["pairs"]) {
            let p = fields(&pair);
            assert_eq!(
                key_set(&p),
                sorted(&[
                    "base",
                    "cost_min",
                    "cost_precision",
                    "has_index",
                    "marginable",
                    "price_increment",
                    "price_precision",
                    "qty_increment",
                    "qty_min",
                    "qty_precision",
                    "quote",
                    "status",
                    "symbol",
                    "tick_size",
                ]),
                "{text}"
            );
        }
        return;
    }
    for item in list(data) {
        let f = fields(&item);
        let keys: &[&str] = match channel {
            "status" => &["api_version", "connection_id", "system", "version"],
            "ticker" => &[
                "ask",
                "ask_qty",
                "bid",
                "bid_qty",
                "change",
                "change_pct",
                "high",
                "last",
                "low",
                "symbol",
                "volume",
                "vwap",
            ],
            "book" => &["asks", "bids", "checksum", "symbol", "timestamp"],
            "trade" => &[
                "ord_type",
                "price",
                "qty",
                "side",
                "symbol",
                "timestamp",
                "trade_id",
            ],
            "ohlc" => &[
                "close",
                "high",
                "interval",
                "interval_begin",
                "low",
                "open",
                "symbol",
                "timestamp",
                "trades",
                "volume",
                "vwap",
            ],
            other => panic!("unexpected channel {other}"),
        };
        assert_eq!(key_set(&f), sorted(keys), "{text}");
        if channel == "status" {
            continue;
        }
        let symbol: String = serde_json::from_str(f["symbol"].get()).unwrap();
        let (price_dp, qty_dp) = precision(&symbol);
        let (prices, qtys): (&[&str], &[&str]) = match channel {
            "ticker" => (
                &["ask", "bid", "change", "high", "last", "low", "vwap"],
                &["ask_qty", "bid_qty", "volume"],
            ),
            "trade" => (&["price"], &["qty"]),
            "ohlc" => (&["close", "high", "low", "open", "vwap"], &["volume"]),
            _ => (&[], &[]),
        };
        prices.iter().for_each(|k| padded(&f, k, price_dp, text));
        qtys.iter().for_each(|k| padded(&f, k, qty_dp, text));
        if channel == "book" {
            for side in ["asks", "bids"] {
                for level in list(&f[side]) {
                    let l = fields(&level);
                    assert_eq!(key_set(&l), ["price", "qty"]);
                    padded(&l, "price", price_dp, text);
                    padded(&l, "qty", qty_dp, text);
                }
            }
        }
    }
}
