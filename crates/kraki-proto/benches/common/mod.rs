//! What the benchmarks share: the messages the decode benchmarks use, the
//! baseline they are measured against (serde derive into `f64` structs,
//! what a quick client does), and the live capture's frames.

#![allow(dead_code)]

use serde::Deserialize;

pub(crate) const TICKER: &str = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65843.7,"bid_qty":12.31628629,"ask":65843.8,"ask_qty":0.31232000,"last":65843.7,"volume":4182.59447976,"vwap":64223.4,"low":61325.4,"high":66450.0,"change":4213.8,"change_pct":6.84}]}"#;
pub(crate) const BOOK_1: &str = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":66786.5,"qty":0.01470022}],"asks":[],"checksum":902440905,"timestamp":"2024-05-19T16:45:24.204654Z"}]}"#;
pub(crate) const TRADE: &str = r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":68500.0,"qty":0.01044926,"ord_type":"limit","trade_id":70635299,"timestamp":"2024-05-27T12:43:11.798009Z"},{"symbol":"BTC/USD","side":"buy","price":68500.0,"qty":0.00483192,"ord_type":"limit","trade_id":70635300,"timestamp":"2024-05-27T12:43:11.798009Z"}]}"#;
pub(crate) const EXECUTION: &str = r#"{"channel":"executions","type":"update","data":[{"order_id":"OK4GJX-KSTLS-7DZZO5","order_userref":3,"exec_id":"TGBB7L-HT5LX-J3BZ4A","exec_type":"trade","trade_id":62887576,"symbol":"BTC/USD","side":"sell","last_qty":0.005,"last_price":26599.9,"liquidity_ind":"t","cost":132.9995,"order_type":"limit","timestamp":"2023-09-22T10:33:05.709993Z","order_status":"partially_filled","cum_qty":0.005,"cum_cost":132.9995,"avg_price":26599.9,"fee_usd_equiv":0.3458,"fees":[{"asset":"USD","qty":0.3458}]}],"sequence":10}"#;

pub(crate) fn book(levels: usize, kind: &str) -> String {
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
pub(crate) struct Msg<T> {
    channel: String,
    #[serde(rename = "type")]
    kind: String,
    data: Vec<T>,
}
#[derive(Deserialize)]
pub(crate) struct F64Level {
    price: f64,
    qty: f64,
}
#[derive(Deserialize)]
pub(crate) struct F64Book {
    symbol: String,
    bids: Vec<F64Level>,
    asks: Vec<F64Level>,
    checksum: u32,
    timestamp: Option<String>,
}
#[derive(Deserialize)]
pub(crate) struct F64Ticker {
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
pub(crate) struct F64Trade {
    symbol: String,
    side: String,
    price: f64,
    qty: f64,
    ord_type: String,
    trade_id: u64,
    timestamp: String,
}
#[derive(Deserialize)]
pub(crate) struct F64Fee {
    asset: String,
    qty: f64,
}
#[derive(Deserialize)]
pub(crate) struct F64Execution {
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

/// Decodes `frame`, named as in the benchmarks, the baseline way.
pub(crate) fn decode_f64(name: &str, frame: &str) -> bool {
    match name {
        "ticker" => serde_json::from_str::<Msg<F64Ticker>>(frame).is_ok(),
        "trade_2" => serde_json::from_str::<Msg<F64Trade>>(frame).is_ok(),
        "executions_trade" => serde_json::from_str::<Msg<F64Execution>>(frame).is_ok(),
        _ => serde_json::from_str::<Msg<F64Book>>(frame).is_ok(),
    }
}

/// The live capture in `../shared/fixtures`, one compact frame per entry,
/// or `None` when the file is absent.
pub(crate) fn live_frames() -> Option<Vec<String>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/book-btcusd-live-2023-07-30.json"
    );
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut frames = vec![value["init"].to_string()];
    frames.extend(value["updates"].as_array()?.iter().map(|u| u.to_string()));
    Some(frames)
}
