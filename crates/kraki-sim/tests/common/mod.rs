//! Helpers shared by the integration tests: a raw WebSocket client over
//! real sockets and JSON key checks.

#![allow(dead_code, unreachable_pub)]

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_websockets::{ClientBuilder, MaybeTlsStream, Message, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn connect(url: &str) -> Ws {
    let (ws, _) = ClientBuilder::from_uri(url.parse().unwrap())
        .connect()
        .await
        .unwrap();
    ws
}

/// The next text frame; fails on a WebSocket ping (the sim sends none).
pub async fn next_text(ws: &mut Ws) -> String {
    let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("no frame within 5 s")
        .unwrap()
        .unwrap();
    assert!(!msg.is_ping(), "the sim sent a WebSocket ping");
    msg.as_text().expect("a text frame").to_owned()
}

/// The next frame that is not channel data (an ack, a pong or an error).
pub async fn next_response(ws: &mut Ws) -> Value {
    loop {
        let v: Value = serde_json::from_str(&next_text(ws).await).unwrap();
        if v.get("method").is_some() || v.get("error").is_some() {
            return v;
        }
    }
}

/// The frames that arrive until `quiet` passes without one.
pub async fn drain(ws: &mut Ws, quiet: Duration) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(quiet, ws.next()).await {
        if let Some(t) = msg.as_text() {
            out.push(t.to_owned());
        }
    }
    out
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_owned())).await.unwrap();
}

/// The sorted top-level keys of a JSON object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

pub mod private;

/// The top-level keys of a checked frame, without the `_raw` the private
/// helpers add.
pub fn keys_of(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "_raw")
        .collect()
}
