//! Subscription identity and unsubscribe acks, the status channel, binary
//! frames and the routing of the one port, over real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{connect, keys, next_response, next_text, send};
use futures_util::SinkExt;
use kraki_sim::{SimHandle, Simulator};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_websockets::Message;

async fn sim() -> SimHandle {
    Simulator::builder()
        .seed(5)
        .rate(50.0)
        .spawn()
        .await
        .unwrap()
}

const ACK_KEYS: [&str; 6] = [
    "method", "req_id", "result", "success", "time_in", "time_out",
];

#[tokio::test]
async fn unsubscribe_acks_echo_each_subscription() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    let cases = [
        (
            json!({"channel":"book","symbol":["BTC/USD"],"depth":25}),
            json!({"channel":"book","symbol":"BTC/USD","depth":25,"snapshot":true}),
            json!({"channel":"book","symbol":"BTC/USD","depth":25}),
        ),
        (
            json!({"channel":"ticker","symbol":["ETH/USD"],"event_trigger":"bbo","snapshot":false}),
            json!({"channel":"ticker","symbol":"ETH/USD","event_trigger":"bbo","snapshot":false}),
            json!({"channel":"ticker","symbol":"ETH/USD","event_trigger":"bbo"}),
        ),
        (
            json!({"channel":"ohlc","symbol":["SOL/USD"],"interval":5}),
            json!({"channel":"ohlc","symbol":"SOL/USD","interval":5,"snapshot":true,
                   "warnings":["timestamp is deprecated, use interval_begin"]}),
            json!({"channel":"ohlc","symbol":"SOL/USD","interval":5}),
        ),
        (
            json!({"channel":"trade","symbol":["ETH/BTC"]}),
            json!({"channel":"trade","symbol":"ETH/BTC","snapshot":true}),
            json!({"channel":"trade","symbol":"ETH/BTC"}),
        ),
        (
            json!({"channel":"instrument"}),
            json!({"channel":"instrument","snapshot":true,
                   "warnings":["tick_size is deprecated, use price_increment"]}),
            json!({"channel":"instrument"}),
        ),
    ];
    for (req_id, (params, subscribed, unsubscribed)) in cases.into_iter().enumerate() {
        let request = json!({"method":"subscribe","params":params,"req_id":req_id});
        send(&mut ws, &request.to_string()).await;
        let ack = next_response(&mut ws).await;
        assert_eq!(keys(&ack), ACK_KEYS, "{ack}");
        assert_eq!(ack["result"], subscribed);
        assert_eq!(ack["req_id"], req_id);

        let mut params = params;
        params.as_object_mut().unwrap().remove("snapshot");
        let request = json!({"method":"unsubscribe","params":params,"req_id":req_id});
        send(&mut ws, &request.to_string()).await;
        let ack = next_response(&mut ws).await;
        assert_eq!(keys(&ack), ACK_KEYS, "{ack}");
        assert_eq!(ack["method"], "unsubscribe");
        assert_eq!(ack["success"], true);
        assert_eq!(ack["result"], unsubscribed);

        // Gone: a second unsubscribe finds nothing.
        send(&mut ws, &request.to_string()).await;
        let again = next_response(&mut ws).await;
        assert_eq!(again["error"], "Subscription Not Found", "{again}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn book_identity_is_the_symbol_and_unsubscribe_must_name_its_depth() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":100}}"#,
    )
    .await;
    assert_eq!(next_response(&mut ws).await["success"], true);
    // Book data does not say its depth: a second depth is a duplicate.
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10}}"#,
    )
    .await;
    let dup = next_response(&mut ws).await;
    assert_eq!(dup["error"], "Already subscribed");
    assert_eq!(dup["symbol"], "BTC/USD");
    // Unsubscribing the default depth does not match depth 100.
    send(
        &mut ws,
        r#"{"method":"unsubscribe","params":{"channel":"book","symbol":["BTC/USD"]}}"#,
    )
    .await;
    let wrong = next_response(&mut ws).await;
    assert_eq!(wrong["error"], "Subscription Not Found");
    assert_eq!(
        keys(&wrong),
        [
            "error", "method", "success", "symbol", "time_in", "time_out"
        ]
    );
    send(
        &mut ws,
        r#"{"method":"unsubscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":100}}"#,
    )
    .await;
    assert_eq!(next_response(&mut ws).await["result"]["depth"], 100);
    sim.shutdown().await;
}

#[tokio::test]
async fn ohlc_intervals_are_separate_and_default_to_one_minute() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"]},"req_id":1}"#,
    )
    .await;
    let ack = next_response(&mut ws).await;
    assert_eq!(ack["result"]["interval"], 1, "{ack}");
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"],"interval":60},"req_id":2}"#,
    )
    .await;
    let ack = next_response(&mut ws).await;
    assert_eq!(ack["success"], true, "{ack}");
    assert_eq!(ack["result"]["interval"], 60);
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"],"interval":1},"req_id":3}"#,
    )
    .await;
    assert_eq!(next_response(&mut ws).await["error"], "Already subscribed");
    sim.shutdown().await;
}

#[tokio::test]
async fn status_subscription_sends_the_status_and_an_error() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    let _status = next_text(&mut ws).await;
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"status"},"req_id":8}"#,
    )
    .await;
    let status: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(status["channel"], "status");
    assert_eq!(status["data"][0]["api_version"], "v2");
    let err: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(err["error"], "Symbol(s) not found");
    assert_eq!(
        keys(&err),
        [
            "error", "method", "req_id", "success", "time_in", "time_out"
        ]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn requests_in_binary_frames_and_unknown_methods() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    ws.send(Message::binary(&br#"{"method":"ping","req_id":4}"#[..]))
        .await
        .unwrap();
    let pong = next_response(&mut ws).await;
    assert_eq!(pong["method"], "pong");
    assert_eq!(pong["req_id"], 4);

    send(&mut ws, r#"{"method":"frobnicate","req_id":5}"#).await;
    let err = next_response(&mut ws).await;
    assert_eq!(err["error"], "Unsupported event");
    assert_eq!(err["method"], "frobnicate");
    assert_eq!(
        keys(&err),
        [
            "error", "method", "req_id", "success", "time_in", "time_out"
        ]
    );

    send(
        &mut ws,
        r#"{"method":"unsubscribe","params":{"channel":"nope","symbol":["BTC/USD"]}}"#,
    )
    .await;
    let err = next_response(&mut ws).await;
    assert_eq!(err["error"], "Subscription name invalid");
    assert_eq!(
        keys(&err),
        ["error", "method", "success", "time_in", "time_out"]
    );

    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"ticker"},"req_id":6}"#,
    )
    .await;
    let err = next_response(&mut ws).await;
    assert_eq!(err["error"], "EGeneral:Invalid arguments:symbol");
    sim.shutdown().await;
}

#[tokio::test]
async fn private_endpoints_send_status_unless_told_not_to() {
    let sim = sim().await;
    for url in [sim.private_url(), sim.level3_url()] {
        let mut ws = connect(&url).await;
        let status: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
        assert_eq!(status["channel"], "status", "{url}");
    }
    sim.shutdown().await;

    let sim = Simulator::builder()
        .status_on_private(false)
        .spawn()
        .await
        .unwrap();
    let mut ws = connect(&sim.private_url()).await;
    send(&mut ws, r#"{"method":"ping"}"#).await;
    let first: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(first["method"], "pong", "{first}");
    let mut ws = connect(&sim.public_url()).await;
    let first: Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(first["channel"], "status");
    sim.shutdown().await;
}

#[tokio::test]
async fn one_port_routes_by_path() {
    let sim = sim().await;
    let upgrade = |path: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
    };
    let head = |request: String| {
        let addr = sim.addr();
        async move {
            let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tcp.write_all(request.as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 512];
            let n = tcp.read(&mut buf).await.unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        }
    };
    let ok = head(upgrade("/v2")).await;
    assert!(ok.starts_with("HTTP/1.1 101 "), "{ok}");
    // Header names are case-insensitive (hyper writes them in lower case).
    assert!(
        ok.to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
        "{ok}"
    );
    let missing = head(upgrade("/v1")).await;
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
    let old = head(upgrade("/v2").replace("Version: 13", "Version: 8")).await;
    assert!(old.starts_with("HTTP/1.1 400 "), "{old}");
    let rest = head("GET /0/public/Nope HTTP/1.1\r\nHost: x\r\n\r\n".to_owned()).await;
    assert!(rest.starts_with("HTTP/1.1 404 "), "{rest}");
    assert!(
        rest.ends_with(r#"{"error":["EGeneral:Unknown method"]}"#),
        "{rest}"
    );
    sim.shutdown().await;
}

/// A `symbol` sent as one string is answered with Kraken's
/// `Symbol field must be an array` (python-kraken-sdk issue #148 quotes
/// it), the way clients that resubscribe from an ack's `result` learn
/// what they did wrong; with no `req_id` when none was sent.
#[tokio::test]
async fn symbol_as_a_string_is_named_in_the_error() {
    let sim = sim().await;
    let mut ws = connect(&sim.public_url()).await;
    for request in [
        r#"{"method":"subscribe","params":{"channel":"book","symbol":"BTC/USD","depth":10},"req_id":3}"#,
        r#"{"method":"unsubscribe","params":{"channel":"trade","symbol":"BTC/USD"},"req_id":3}"#,
    ] {
        send(&mut ws, request).await;
        let ack = next_response(&mut ws).await;
        assert_eq!(ack["error"], "Symbol field must be an array", "{ack}");
        assert_eq!(ack["success"], false, "{ack}");
        assert_eq!(ack["req_id"], 3, "{ack}");
    }
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":"ETH/USD"}}"#,
    )
    .await;
    let ack = next_response(&mut ws).await;
    assert_eq!(ack["error"], "Symbol field must be an array", "{ack}");
    assert_eq!(ack["method"], "subscribe", "{ack}");
    assert_eq!(
        keys(&ack),
        ["error", "method", "success", "time_in", "time_out"],
        "{ack}"
    );
    // Other malformed requests keep the generic answer.
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":"ten"}}"#,
    )
    .await;
    let ack = next_response(&mut ws).await;
    assert_ne!(ack["error"], "Symbol field must be an array", "{ack}");
}
