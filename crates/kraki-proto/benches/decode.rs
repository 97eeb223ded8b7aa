//! Exact typed decode of the common messages, beside the usual inexact
//! approach (serde derive into `f64` structs) in the same run.
//!
//! `cargo bench -p kraki-proto --bench decode`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;
use std::hint::black_box;
use std::time::Duration;

const TICKER: &str = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65843.7,"bid_qty":12.31628629,"ask":65843.8,"ask_qty":0.31232000,"last":65843.7,"volume":4182.59447976,"vwap":64223.4,"low":61325.4,"high":66450.0,"change":4213.8,"change_pct":6.84}]}"#;
const BOOK_1: &str = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":66786.5,"qty":0.01470022}],"asks":[],"checksum":902440905,"timestamp":"2024-05-19T16:45:24.204654Z"}]}"#;
const TRADE: &str = r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":68500.0,"qty":0.01044926,"ord_type":"limit","trade_id":70635299,"timestamp":"2024-05-27T12:43:11.798009Z"},{"symbol":"BTC/USD","side":"buy","price":68500.0,"qty":0.00483192,"ord_type":"limit","trade_id":70635300,"timestamp":"2024-05-27T12:43:11.798009Z"}]}"#;
const EXECUTION: &str = r#"{"channel":"executions","type":"update","data":[{"order_id":"OK4GJX-KSTLS-7DZZO5","order_userref":3,"exec_id":"TGBB7L-HT5LX-J3BZ4A","exec_type":"trade","trade_id":62887576,"symbol":"BTC/USD","side":"sell","last_qty":0.005,"last_price":26599.9,"liquidity_ind":"t","cost":132.9995,"order_type":"limit","timestamp":"2023-09-22T10:33:05.709993Z","order_status":"partially_filled","cum_qty":0.005,"cum_cost":132.9995,"avg_price":26599.9,"fee_usd_equiv":0.3458,"fees":[{"asset":"USD","qty":0.3458}]}],"sequence":10}"#;

fn book(levels: usize, kind: &str) -> String {
    let side = |base: f64, step: f64| {
        (0..levels)
            .map(|i| {
                format!(
                    r#"{{"price":{:.1},"qty":{:.8}}}"#,
                    base + step * i as f64,
                    0.1 + i as f64 * 0.01234567
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"channel":"book","type":"{kind}","data":[{{"symbol":"BTC/USD","bids":[{}],"asks":[{}],"checksum":3310070434,"timestamp":"2024-05-19T16:45:24.204654Z"}}]}}"#,
        side(66786.5, -0.5),
        side(66787.0, 0.5)
    )
}

// The baseline: what a quick client does, f64 everywhere.
#[derive(Deserialize)]
struct Msg<T> {
    #[allow(dead_code)]
    channel: String,
    #[serde(rename = "type")]
    #[allow(dead_code)]
    kind: String,
    #[allow(dead_code)]
    data: Vec<T>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct F64Level {
    price: f64,
    qty: f64,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct F64Book {
    symbol: String,
    bids: Vec<F64Level>,
    asks: Vec<F64Level>,
    checksum: u32,
    timestamp: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct F64Ticker {
    symbol: String,
    bid: f64,
    bid_qty: f64,
    ask: f64,
    ask_qty: f64,
    last: f64,
    volume: f64,
    vwap: f64,
    low: f64,
    high: f64,
    change: f64,
    change_pct: f64,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct F64Trade {
    symbol: String,
    side: String,
    price: f64,
    qty: f64,
    ord_type: String,
    trade_id: u64,
    timestamp: String,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct F64Fee {
    asset: String,
    qty: f64,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct F64Execution {
    order_id: String,
    exec_type: String,
    order_status: String,
    timestamp: Option<String>,
    symbol: Option<String>,
    side: Option<String>,
    order_type: Option<String>,
    order_userref: Option<i64>,
    exec_id: Option<String>,
    trade_id: Option<u64>,
    last_qty: Option<f64>,
    last_price: Option<f64>,
    liquidity_ind: Option<String>,
    cost: Option<f64>,
    cum_qty: Option<f64>,
    cum_cost: Option<f64>,
    avg_price: Option<f64>,
    fee_usd_equiv: Option<f64>,
    fees: Option<Vec<F64Fee>>,
}

fn bench(c: &mut Criterion) {
    let book_10 = book(10, "update");
    let book_25 = book(25, "snapshot");
    let cases: [(&str, &str); 6] = [
        ("ticker", TICKER),
        ("book_update_1", BOOK_1),
        ("book_update_10", &book_10),
        ("book_snapshot_25", &book_25),
        ("trade_2", TRADE),
        ("executions_trade", EXECUTION),
    ];
    for (name, frame) in cases {
        assert!(kraki_proto::decode(frame).is_ok(), "{name}");
        let mut group = c.benchmark_group(name);
        group.bench_function("kraki_exact", |b| {
            b.iter(|| kraki_proto::decode(black_box(frame)).unwrap())
        });
        group.bench_function("serde_f64_baseline", |b| {
            b.iter(|| match name {
                "ticker" => drop(serde_json::from_str::<Msg<F64Ticker>>(black_box(frame)).unwrap()),
                "trade_2" => drop(serde_json::from_str::<Msg<F64Trade>>(black_box(frame)).unwrap()),
                "executions_trade" => {
                    drop(serde_json::from_str::<Msg<F64Execution>>(black_box(frame)).unwrap())
                }
                _ => drop(serde_json::from_str::<Msg<F64Book>>(black_box(frame)).unwrap()),
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
