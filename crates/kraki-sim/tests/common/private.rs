//! A private-endpoint client for the trading tests: a token from the REST
//! endpoint behind a §8.3 signature, and a connection that decodes every
//! frame with `kraki_proto::decode`, checks it is the typed variant its
//! channel or method calls for, and keeps frames aside until asked for.

use super::{Ws, connect, next_text, send};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use kraki_proto::{BalancesData, Inbound, MessageType, Response, decode};
use kraki_sim::{DEMO_API_KEY, DEMO_API_SECRET, SimHandle};
use ring::{digest, hmac};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

static NONCE: AtomicU64 = AtomicU64::new(0);

/// A WebSocket token of the demo account, from `GetWebSocketsToken`.
pub async fn token(sim: &SimHandle) -> String {
    let path = "/0/private/GetWebSocketsToken";
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let nonce = base + NONCE.fetch_add(1, Ordering::SeqCst);
    let body = format!("nonce={nonce}");
    let hash = digest::digest(&digest::SHA256, format!("{nonce}{body}").as_bytes());
    let mut message = path.as_bytes().to_vec();
    message.extend_from_slice(hash.as_ref());
    let key = hmac::Key::new(hmac::HMAC_SHA512, &BASE64.decode(DEMO_API_SECRET).unwrap());
    let sign = BASE64.encode(hmac::sign(&key, &message).as_ref());
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: sim\r\nAPI-Key: {DEMO_API_KEY}\r\nAPI-Sign: {sign}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let json = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let v: Value = serde_json::from_str(json).unwrap();
    v["result"]["token"].as_str().unwrap().to_owned()
}

/// Decodes a frame and checks its typed variant.
///
/// The returned value carries the frame's text under `_raw`: a `Value`
/// reads numbers as floats and loses the wire's trailing zeros.
pub fn check(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).unwrap();
    v["_raw"] = Value::from(text);
    let inbound = decode(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    match v["channel"].as_str() {
        Some("executions") => {
            let Inbound::Executions(m) = &inbound else {
                panic!("not executions: {text}")
            };
            assert!(m.sequence.is_some(), "{text}");
        }
        Some("balances") => {
            let Inbound::Balances(m) = &inbound else {
                panic!("not balances: {text}")
            };
            assert!(m.sequence.is_some(), "{text}");
            match (m.kind, &m.data) {
                (MessageType::Snapshot, BalancesData::Snapshot(_))
                | (MessageType::Update, BalancesData::Update(_)) => {}
                _ => panic!("balances payload of the wrong kind: {text}"),
            }
        }
        Some(_) => {}
        None => {
            let Inbound::Response(r) = &inbound else {
                panic!("not a response: {text}")
            };
            let ok = matches!(
                (v["method"].as_str().unwrap(), &**r),
                ("subscribe", Response::Subscribe(_))
                    | ("unsubscribe", Response::Unsubscribe(_))
                    | ("add_order", Response::AddOrder(_))
                    | ("amend_order", Response::AmendOrder(_))
                    | ("edit_order", Response::EditOrder(_))
                    | ("cancel_order", Response::CancelOrder(_))
                    | ("cancel_all", Response::CancelAll(_))
                    | ("cancel_all_orders_after", Response::CancelAllOrdersAfter(_))
                    | ("batch_add", Response::BatchAdd(_))
                    | ("batch_cancel", Response::BatchCancel(_))
                    | ("pong", Response::Pong(_))
            );
            assert!(ok, "response decoded as the wrong variant: {text}");
        }
    }
    v
}

/// A private connection with a backlog of frames not yet asked for.
pub struct Private {
    pub ws: Ws,
    pub token: String,
    backlog: VecDeque<Value>,
}

impl Private {
    pub async fn connect(sim: &SimHandle) -> Private {
        let token = token(sim).await;
        Private {
            ws: connect(&sim.private_url()).await,
            token,
            backlog: VecDeque::new(),
        }
    }

    async fn read(&mut self) -> Value {
        check(&next_text(&mut self.ws).await)
    }

    /// Sends a request (`{token}` in it is replaced) and returns its first
    /// response; other frames wait in the backlog.
    pub async fn request(&mut self, text: &str) -> Value {
        let text = text.replace("{token}", &self.token);
        send(&mut self.ws, &text).await;
        self.response().await
    }

    /// The next response (ack or error).
    pub async fn response(&mut self) -> Value {
        if let Some(i) = self.backlog.iter().position(|v| v.get("method").is_some()) {
            return self.backlog.remove(i).unwrap();
        }
        loop {
            let v = self.read().await;
            if v.get("method").is_some() {
                return v;
            }
            self.backlog.push_back(v);
        }
    }

    /// The next message of a channel.
    pub async fn next(&mut self, channel: &str) -> Value {
        if let Some(i) = self.backlog.iter().position(|v| v["channel"] == channel) {
            return self.backlog.remove(i).unwrap();
        }
        loop {
            let v = self.read().await;
            if v["channel"] == channel {
                return v;
            }
            self.backlog.push_back(v);
        }
    }

    /// The messages of a channel waiting or arriving within `window`
    /// (a fixed window: heartbeats never extend it).
    pub async fn drain(&mut self, channel: &str, window: Duration) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        while let Some(i) = self.backlog.iter().position(|v| v["channel"] == channel) {
            out.push(self.backlog.remove(i).unwrap());
        }
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(text) = tokio::time::timeout_at(deadline, next_text(&mut self.ws)).await {
            let v = check(&text);
            if v["channel"] == channel {
                out.push(v);
            } else {
                self.backlog.push_back(v);
            }
        }
        out
    }

    /// Subscribes to executions (with `extra` params) and balances; returns
    /// the two snapshots.
    pub async fn subscribe_both(&mut self, extra: &str) -> (Value, Value) {
        let ack = self
            .request(&format!(
                r#"{{"method":"subscribe","params":{{"channel":"executions","token":"{{token}}"{extra}}},"req_id":1}}"#
            ))
            .await;
        assert_eq!(ack["success"], true, "{ack}");
        let executions = self.next("executions").await;
        let ack = self
            .request(r#"{"method":"subscribe","params":{"channel":"balances","token":"{token}"},"req_id":2}"#)
            .await;
        assert_eq!(ack["success"], true, "{ack}");
        let balances = self.next("balances").await;
        (executions, balances)
    }
}

/// The best bid and ask of a pair in price units (`10^-precision`), from
/// a ticker snapshot.
pub async fn top(sim: &SimHandle, symbol: &str, precision: i32) -> (i64, i64) {
    let mut ws = connect(&sim.public_url()).await;
    send(
        &mut ws,
        &format!(
            r#"{{"method":"subscribe","params":{{"channel":"ticker","symbol":["{symbol}"]}}}}"#
        ),
    )
    .await;
    loop {
        let v: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
        if v["channel"] == "ticker" {
            let d = &v["data"][0];
            // The JSON number of a price with few places is exact enough
            // to find its units again.
            let units = |x: &Value| (x.as_f64().unwrap() * 10f64.powi(precision)).round() as i64;
            return (units(&d["bid"]), units(&d["ask"]));
        }
    }
}
