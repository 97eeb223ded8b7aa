//! The private REST endpoints over real sockets with a raw HTTP/1.1
//! client, parameters sent as python-kraken-sdk sends them (`True` and
//! `False`, `asset=all`, …): Kraken's exact shapes and names (`XXBT`,
//! `ZUSD`, `descr.pair` `XBTUSD`, a trade's `pair` `XXBTZUSD`), read from
//! the account a WebSocket order traded, and the refusals of malformed
//! parameters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::private::Private;
use kraki_proto::Decimal;
use kraki_sim::{DEMO_API_KEY, DEMO_API_SECRET, SimHandle, Simulator};
use ring::{digest, hmac};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Nanoseconds since the epoch plus a counter: above the microsecond
/// nonces the token helper used before.
fn nonce() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    now + COUNTER.fetch_add(1, Ordering::SeqCst)
}

/// A signed POST of `params` (already form-encoded, without the nonce,
/// which goes last as python-kraken-sdk puts it); the whole answer.
async fn call(sim: &SimHandle, method: &str, params: &str) -> Value {
    let path = format!("/0/private/{method}");
    let nonce = nonce();
    let body = if params.is_empty() {
        format!("nonce={nonce}")
    } else {
        format!("{params}&nonce={nonce}")
    };
    let hash = digest::digest(&digest::SHA256, format!("{nonce}{body}").as_bytes());
    let mut message = path.as_bytes().to_vec();
    message.extend_from_slice(hash.as_ref());
    let key = hmac::Key::new(hmac::HMAC_SHA512, &BASE64.decode(DEMO_API_SECRET).unwrap());
    let sign = BASE64.encode(hmac::sign(&key, &message).as_ref());
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: sim\r\nAPI-Key: {DEMO_API_KEY}\r\nAPI-Sign: {sign}\r\n\
         Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    serde_json::from_str(&response[response.find("\r\n\r\n").unwrap() + 4..]).unwrap()
}

async fn result(sim: &SimHandle, method: &str, params: &str) -> Value {
    let answer = call(sim, method, params).await;
    assert_eq!(answer["error"], json!([]), "{method}: {answer}");
    answer["result"].clone()
}

fn d(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn krakens_shapes_from_the_account_the_websocket_side_trades() {
    // More calls than the starter tier's counter allows at once.
    let sim = Simulator::builder()
        .paused(true)
        .rest_rate_limit(100, 10.0)
        .spawn()
        .await
        .unwrap();
    let mut p = Private::connect(&sim).await;

    let balance = result(&sim, "Balance", "").await;
    assert_eq!(balance["XXBT"], "10.00000000");
    assert_eq!(balance["ZUSD"], "100000.0000");
    assert_eq!(balance["XETH"], "100.00000000");
    assert_eq!(balance["XXDG"], "100000.00000000");
    assert_eq!(balance["SOL"], "1000.00000000");
    assert!(balance.get("BTC").is_none(), "{balance}");

    let ack = p
        .request(r#"{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.02,"symbol":"BTC/USD","limit_price":1000.0,"order_userref":42,"token":"{token}"},"req_id":1}"#)
        .await;
    assert_eq!(ack["success"], true, "{ack}");
    let id = ack["result"]["order_id"].as_str().unwrap().to_owned();

    let open = result(&sim, "OpenOrders", "trades=False").await;
    let order = &open["open"][&id];
    assert_eq!(order["status"], "open", "{open}");
    assert_eq!(order["userref"], 42);
    assert_eq!(
        order["descr"],
        json!({"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "price": "1000.0",
               "price2": "0.0", "leverage": "none",
               "order": "buy 0.02000000 XBTUSD @ limit 1000.0", "close": ""})
    );
    assert_eq!(
        (&order["vol"], &order["vol_exec"]),
        (&json!("0.02000000"), &json!("0.00000000"))
    );
    assert!(order["opentm"].as_f64().unwrap() > 1.7e9, "{order}");
    assert!(order.get("closetm").is_none());
    let filtered = result(&sim, "OpenOrders", "trades=True&userref=7").await;
    assert_eq!(filtered["open"], json!({}), "another userref");
    let ex = result(&sim, "BalanceEx", "").await;
    assert_eq!(ex["ZUSD"]["hold_trade"], "20.0520");
    assert_eq!(ex["ZUSD"]["balance"], "100000.0000");
    assert_eq!(ex["XXBT"]["hold_trade"], "0.00000000");

    // The engine has applied the fill when it answers.
    assert!(
        sim.trade_to(
            "BTC/USD",
            "1000.0".parse().unwrap(),
            "0.02".parse().unwrap()
        )
        .await
    );

    let closed = result(&sim, "ClosedOrders", "trades=True&closetime=both").await;
    assert_eq!(closed["count"], 1, "{closed}");
    let order = &closed["closed"][&id];
    assert_eq!(order["status"], "closed");
    assert_eq!(order["reason"], Value::Null);
    assert_eq!(
        (d(&order["vol_exec"]), d(&order["cost"])),
        ("0.02".parse().unwrap(), "20".parse().unwrap())
    );
    assert_eq!(order["fee"], "0.0320");
    assert!(order["closetm"].as_f64().unwrap() >= order["opentm"].as_f64().unwrap());
    let trade_id = order["trades"][0].as_str().unwrap().to_owned();

    let trades = result(
        &sim,
        "TradesHistory",
        "type=all&trades=False&ledgers=False&consolidate_taker=True",
    )
    .await;
    assert_eq!(trades["count"], 1);
    let trade = &trades["trades"][&trade_id];
    assert_eq!(trade["ordertxid"], id.as_str(), "{trades}");
    assert_eq!(trade["pair"], "XXBTZUSD");
    assert_eq!(
        (&trade["type"], &trade["ordertype"]),
        (&json!("buy"), &json!("limit"))
    );
    assert_eq!(
        (&trade["price"], &trade["vol"]),
        (&json!("1000.0"), &json!("0.02000000"))
    );
    assert_eq!(
        (&trade["cost"], &trade["fee"]),
        (&json!("20.0000"), &json!("0.0320"))
    );
    assert_eq!(trade["maker"], true);

    // A record's id stands for its time, exclusive, as Kraken takes it.
    for (method, bound) in [("TradesHistory", "start"), ("TradesHistory", "end")] {
        let around = result(&sim, method, &format!("{bound}={trade_id}")).await;
        assert_eq!(around["count"], 0, "{method} {bound}={trade_id}: {around}");
    }
    let before = result(&sim, "ClosedOrders", &format!("end={id}&closetime=close")).await;
    assert_eq!(before["count"], 0, "{before}");

    let ledgers = result(&sim, "Ledgers", "asset=all&aclass=currency&type=all").await;
    assert_eq!(ledgers["count"], 2, "{ledgers}");
    let mut legs: Vec<(&str, &str, &str)> = ledgers["ledger"]
        .as_object()
        .unwrap()
        .values()
        .map(|l| {
            assert_eq!(l["refid"], trade_id.as_str());
            assert_eq!(
                (&l["type"], &l["aclass"]),
                (&json!("trade"), &json!("currency"))
            );
            (
                l["asset"].as_str().unwrap(),
                l["amount"].as_str().unwrap(),
                l["balance"].as_str().unwrap(),
            )
        })
        .collect();
    legs.sort_unstable();
    assert_eq!(
        legs,
        [
            ("XXBT", "0.02000000", "10.02000000"),
            ("ZUSD", "-20.0000", "99979.9680")
        ]
    );
    let btc_only = result(&sim, "Ledgers", "asset=XBT").await;
    assert_eq!(btc_only["count"], 1, "Kraken's short code filters too");
    let none = result(&sim, "Ledgers", "type=deposit").await;
    assert_eq!(none["count"], 0);

    let queried = result(&sim, "QueryOrders", &format!("txid={id}&trades=True")).await;
    assert_eq!(queried[&id]["status"], "closed");
    assert_eq!(queried[&id]["trades"], json!([trade_id]));

    let volume = result(&sim, "TradeVolume", "pair=XBTUSD,ETH%2FUSD").await;
    assert_eq!(
        (&volume["currency"], &volume["volume"]),
        (&json!("ZUSD"), &json!("20.0000"))
    );
    assert_eq!(volume["fees"]["XXBTZUSD"]["fee"], "0.2600");
    assert_eq!(volume["fees_maker"]["XETHZUSD"]["fee"], "0.1600");
    let valued = result(&sim, "TradeBalance", "asset=ZUSD").await;
    assert_eq!(valued["eb"], valued["tb"]);
    assert_eq!(valued["m"], "0.0000");
}

#[tokio::test]
async fn malformed_parameters_get_krakens_errors() {
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    for (method, params, error) in [
        ("OpenOrders", "trades=maybe", "EGeneral:Invalid arguments"),
        ("ClosedOrders", "ofs=-1", "EGeneral:Invalid arguments"),
        (
            "ClosedOrders",
            "closetime=later",
            "EGeneral:Invalid arguments",
        ),
        (
            "TradesHistory",
            "start=yesterday",
            "EGeneral:Invalid arguments",
        ),
        ("QueryOrders", "", "EGeneral:Invalid arguments"),
        (
            "QueryOrders",
            "txid=OAAAAA-BBBBB-CCCCCC",
            "EOrder:Invalid order",
        ),
        ("TradeVolume", "pair=NOPEUSD", "EQuery:Unknown asset pair"),
        ("TradeBalance", "asset=NOPE", "EQuery:Unknown asset"),
    ] {
        let answer = call(&sim, method, params).await;
        assert_eq!(answer, json!({"error": [error]}), "{method} {params}");
    }
    // A time range with nothing in it.
    let empty = result(&sim, "ClosedOrders", "start=4000000000").await;
    assert_eq!(empty, json!({"closed": {}, "count": 0}));
}
