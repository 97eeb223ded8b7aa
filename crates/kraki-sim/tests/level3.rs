//! level3 on `/l3/v2` behind a REST token: the token errors, acks, and
//! queues whose checksums an independent book (wire text, own CRC-32)
//! and kraki-proto's `L3Book` both verify after every message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Ws, connect, drain, keys, next_response, send};
use kraki_proto::book::{L3Book, Precision};
use kraki_proto::{Inbound, decode};
use kraki_sim::{DEMO_API_KEY, DEMO_API_SECRET, SimHandle, Simulator};
use ring::{digest, hmac};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A token from the REST endpoint, signed as §8 says.
async fn token(sim: &SimHandle) -> String {
    let path = "/0/private/GetWebSocketsToken";
    let body = "nonce=1";
    let hash = digest::digest(&digest::SHA256, format!("1{body}").as_bytes());
    let mut message = path.as_bytes().to_vec();
    message.extend_from_slice(hash.as_ref());
    let key = hmac::Key::new(hmac::HMAC_SHA512, &BASE64.decode(DEMO_API_SECRET).unwrap());
    let sign = BASE64.encode(hmac::sign(&key, &message).as_ref());
    let mut tcp = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nAPI-Key: {DEMO_API_KEY}\r\nAPI-Sign: {sign}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    let json: serde_json::Value =
        serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    json["result"]["token"].as_str().unwrap().to_owned()
}

async fn subscribe(ws: &mut Ws, params: &str) -> serde_json::Value {
    send(
        ws,
        &format!(r#"{{"method":"subscribe","params":{params},"req_id":7}}"#),
    )
    .await;
    next_response(ws).await
}

#[tokio::test]
async fn tokens_depths_and_acks() {
    let sim = Simulator::builder().rate(20.0).spawn().await.unwrap();
    let token = token(&sim).await;
    let mut ws = connect(&sim.level3_url()).await;
    let cases = [
        (
            r#"{"channel":"level3","symbol":["BTC/USD"]}"#.to_owned(),
            "Token(s) not found",
        ),
        (
            r#"{"channel":"level3","symbol":["BTC/USD"],"token":"forged"}"#.to_owned(),
            "ESession:Invalid session",
        ),
        (
            format!(r#"{{"channel":"level3","symbol":["BTC/USD"],"depth":25,"token":"{token}"}}"#),
            "EGeneral:Invalid arguments:depth",
        ),
        (
            format!(r#"{{"channel":"level3","symbol":["XBT/USD"],"token":"{token}"}}"#),
            "Currency pair not supported XBT/USD",
        ),
    ];
    for (params, error) in cases {
        let answer = subscribe(&mut ws, &params).await;
        assert_eq!(answer["error"], error, "{params}");
        assert_eq!(answer["success"], false);
    }
    // The live capture: no depth asked for, none echoed.
    let ack = subscribe(
        &mut ws,
        &format!(r#"{{"channel":"level3","symbol":["BTC/USD"],"token":"{token}"}}"#),
    )
    .await;
    assert_eq!(
        keys(&ack),
        [
            "method", "req_id", "result", "success", "time_in", "time_out"
        ]
    );
    assert_eq!(
        ack["result"],
        serde_json::json!({"channel":"level3","snapshot":true,"symbol":"BTC/USD"})
    );
    let ack = subscribe(
        &mut ws,
        &format!(r#"{{"channel":"level3","symbol":["ETH/USD"],"depth":100,"token":"{token}"}}"#),
    )
    .await;
    assert_eq!(ack["result"]["depth"], 100);
    send(
        &mut ws,
        &format!(r#"{{"method":"unsubscribe","params":{{"channel":"level3","symbol":["ETH/USD"],"depth":100,"token":"{token}"}}}}"#),
    )
    .await;
    let ack = next_response(&mut ws).await;
    assert_eq!(
        ack["result"],
        serde_json::json!({"channel":"level3","depth":100,"symbol":"ETH/USD"})
    );
    sim.shutdown().await;
}

#[derive(Deserialize)]
struct Frame {
    channel: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    data: Vec<Msg>,
}

#[derive(Deserialize)]
struct Msg {
    bids: Vec<Event>,
    asks: Vec<Event>,
    checksum: u32,
}

#[derive(Deserialize)]
struct Event {
    event: Option<String>,
    order_id: String,
    limit_price: Box<RawValue>,
    order_qty: Box<RawValue>,
}

fn digits(t: &str) -> String {
    let d = t.replace('.', "");
    let d = d.trim_start_matches('0');
    if d.is_empty() { "0".into() } else { d.into() }
}

/// One side: best level first; each level a queue of (order id, qty text).
#[derive(Default)]
struct Side {
    bids: bool,
    levels: BTreeMap<i128, (String, Vec<(String, String)>)>,
}

impl Side {
    fn apply(&mut self, e: &Event) {
        let price = e.limit_price.get().to_owned();
        let qty = e.order_qty.get().to_owned();
        let units: i128 = price.replace('.', "").parse().unwrap();
        let key = if self.bids { -units } else { units };
        match e.event.as_deref() {
            None | Some("add") => {
                let level = self
                    .levels
                    .entry(key)
                    .or_insert_with(|| (price, Vec::new()));
                assert!(
                    level.1.iter().all(|(id, _)| *id != e.order_id),
                    "added twice"
                );
                level.1.push((e.order_id.clone(), qty));
            }
            Some("modify") => {
                let level = self
                    .levels
                    .get_mut(&key)
                    .expect("modify of an unknown level");
                let order = level
                    .1
                    .iter_mut()
                    .find(|(id, _)| *id == e.order_id)
                    .unwrap();
                order.1 = qty;
            }
            Some("delete") => {
                let level = self
                    .levels
                    .get_mut(&key)
                    .expect("delete of an unknown level");
                let before = level.1.len();
                level.1.retain(|(id, _)| *id != e.order_id);
                assert_eq!(level.1.len(), before - 1, "delete of an unknown order");
                if level.1.is_empty() {
                    self.levels.remove(&key);
                }
            }
            Some(other) => panic!("event {other}"),
        }
    }

    fn truncate(&mut self, depth: usize) {
        while self.levels.len() > depth {
            self.levels.pop_last();
        }
    }

    fn checksum_text(&self) -> String {
        let mut text = String::new();
        for (price, orders) in self.levels.values().take(10) {
            for (_, qty) in orders {
                text += &(digits(price) + &digits(qty));
            }
        }
        text
    }
}

#[tokio::test]
async fn queues_and_checksums_match_independent_books() {
    let sim = Simulator::builder()
        .seed(17)
        .paused(true)
        .spawn()
        .await
        .unwrap();
    let token = token(&sim).await;
    let cases = [
        ("BTC/USD", Precision::new(1, 8), 10),
        ("SHIB/USD", Precision::new(8, 2), 100),
        ("ETH/BTC", Precision::new(5, 8), 1000),
    ];
    let mut sockets = Vec::new();
    for (symbol, _, depth) in &cases {
        let mut ws = connect(&sim.level3_url()).await;
        let params = format!(
            r#"{{"channel":"level3","symbol":["{symbol}"],"depth":{depth},"token":"{token}"}}"#
        );
        assert_eq!(subscribe(&mut ws, &params).await["success"], true);
        sockets.push(ws);
    }
    sim.advance(1500).await;
    let drained = futures_util::future::join_all(
        sockets
            .iter_mut()
            .map(|ws| drain(ws, Duration::from_millis(500))),
    )
    .await;
    for ((symbol, precision, depth), frames) in cases.into_iter().zip(drained) {
        let mut bids = Side {
            bids: true,
            ..Side::default()
        };
        let mut asks = Side::default();
        let mut proto = L3Book::new(symbol, precision, depth);
        let (mut updates, mut modifies, mut deletes) = (0, 0, 0);
        for text in &frames {
            let frame: Frame = serde_json::from_str(text).unwrap();
            if frame.channel != "level3" {
                continue;
            }
            let msg = &frame.data[0];
            updates += usize::from(frame.kind.as_deref() == Some("update"));
            for e in msg.bids.iter().chain(&msg.asks) {
                modifies += usize::from(e.event.as_deref() == Some("modify"));
                deletes += usize::from(e.event.as_deref() == Some("delete"));
            }
            msg.bids.iter().for_each(|e| bids.apply(e));
            msg.asks.iter().for_each(|e| asks.apply(e));
            bids.truncate(depth);
            asks.truncate(depth);
            let mine = crc32fast::hash((asks.checksum_text() + &bids.checksum_text()).as_bytes());
            assert_eq!(mine, msg.checksum, "{symbol}: {text}");
            // An order left behind by a missed change would sooner or
            // later sit across the spread.
            let best_bid = -bids.levels.keys().next().unwrap();
            let best_ask = *asks.levels.keys().next().unwrap();
            assert!(best_bid < best_ask, "{symbol} crossed: {text}");
            // Refills keep every window at its depth in price levels.
            assert_eq!(
                (bids.levels.len(), asks.levels.len()),
                (depth, depth),
                "{symbol}"
            );

            let Inbound::Level3(typed) = decode(text).unwrap() else {
                panic!("not level3: {text}");
            };
            let verdict = proto.apply(typed.kind, &typed.data[0]).unwrap();
            assert!(verdict.is_verified(), "{symbol}: {verdict:?}");
        }
        assert!(updates > 20, "{symbol}: only {updates} updates");
        assert!(
            modifies > 0 && deletes > 0,
            "{symbol}: {modifies} modifies, {deletes} deletes"
        );
    }
    sim.shutdown().await;
}

/// What python-kraken-sdk 3.5.1 sends when it resubscribes level3 after a
/// reconnect (the ack's `symbol`, a string): Kraken's array error.
#[tokio::test]
async fn level3_symbol_as_a_string_is_named_in_the_error() {
    let sim = Simulator::builder().rate(20.0).spawn().await.unwrap();
    let token = token(&sim).await;
    let mut ws = connect(&sim.level3_url()).await;
    let ack = subscribe(
        &mut ws,
        &format!(r#"{{"channel":"level3","symbol":"BTC/USD","depth":10,"snapshot":true,"token":"{token}"}}"#),
    )
    .await;
    assert_eq!(ack["error"], "Symbol field must be an array", "{ack}");
    assert_eq!(ack["success"], false, "{ack}");
    assert_eq!(ack["req_id"], 7, "{ack}");
}
