//! The simulator's REST market data, read raw: every row and field in the
//! JSON type Kraken writes it (prices as strings, times as numbers, `last`
//! of `Trades` as a string), as GET with a query or POST with a form.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_sim::{SimHandle, Simulator};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request on its own connection; the envelope's `result`, failing
/// the test on an error.
async fn call(sim: &SimHandle, method: &str, path: &str, form: &str) -> Value {
    let mut tcp = TcpStream::connect(sim.addr()).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let envelope: Value = serde_json::from_str(body).unwrap();
    assert_eq!(envelope["error"], serde_json::json!([]), "{path}: {body}");
    envelope["result"].clone()
}

async fn get(sim: &SimHandle, path: &str) -> Value {
    call(sim, "GET", path, "").await
}

fn is_decimal_text(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.parse::<kraki_proto::Decimal>().is_ok())
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn rows_and_fields_have_krakens_json_types() {
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();

    let ticker = get(&sim, "/0/public/Ticker?pair=XBTUSD").await;
    assert_eq!(keys(&ticker), ["XXBTZUSD"]);
    let t = &ticker["XXBTZUSD"];
    for (field, len) in [
        ("a", 3),
        ("b", 3),
        ("c", 2),
        ("v", 2),
        ("p", 2),
        ("l", 2),
        ("h", 2),
    ] {
        let list = t[field].as_array().unwrap();
        assert_eq!(list.len(), len, "{field}: {t}");
        assert!(list.iter().all(is_decimal_text), "{field}: {t}");
    }
    assert!(t["t"].as_array().unwrap().iter().all(Value::is_u64), "{t}");
    assert!(is_decimal_text(&t["o"]), "{t}");

    let ohlc = get(&sim, "/0/public/OHLC?pair=XBTUSD&interval=5").await;
    let mut names = keys(&ohlc);
    names.sort_unstable();
    assert_eq!(names, ["XXBTZUSD", "last"]);
    assert!(ohlc["last"].is_i64(), "{ohlc}");
    for row in ohlc["XXBTZUSD"].as_array().unwrap() {
        let row = row.as_array().unwrap();
        assert_eq!(row.len(), 8, "{row:?}");
        assert!(row[0].is_i64() && row[7].is_u64(), "{row:?}");
        assert!(row[1..7].iter().all(is_decimal_text), "{row:?}");
        assert_eq!(row[0].as_i64().unwrap() % 300, 0, "{row:?}");
    }

    let depth = get(&sim, "/0/public/Depth?pair=XBTUSD&count=3").await;
    let book = &depth["XXBTZUSD"];
    let price = |row: &Value| {
        row[0]
            .as_str()
            .unwrap()
            .parse::<kraki_proto::Decimal>()
            .unwrap()
    };
    for side in ["asks", "bids"] {
        let rows = book[side].as_array().unwrap();
        assert_eq!(rows.len(), 3, "{book}");
        for row in rows {
            assert!(is_decimal_text(&row[0]) && is_decimal_text(&row[1]) && row[2].is_i64());
        }
    }
    let asks = book["asks"].as_array().unwrap();
    let bids = book["bids"].as_array().unwrap();
    assert!(price(&asks[0]) < price(&asks[1]) && price(&bids[0]) > price(&bids[1]));
    assert!(price(&bids[0]) < price(&asks[0]));

    let trades = get(&sim, "/0/public/Trades?pair=XBTUSD&count=3").await;
    let last = trades["last"].as_str().expect("last is a string");
    assert!(
        last.len() == 19 && last.bytes().all(|b| b.is_ascii_digit()),
        "{last}"
    );
    let rows = trades["XXBTZUSD"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert!(
            is_decimal_text(&row[0]) && is_decimal_text(&row[1]),
            "{row}"
        );
        assert!(row[2].is_f64(), "time is a number with a fraction: {row}");
        assert!(matches!(row[3].as_str(), Some("b" | "s")), "{row}");
        assert!(matches!(row[4].as_str(), Some("m" | "l")), "{row}");
        assert_eq!(row[5], "", "{row}");
        assert!(row[6].is_u64(), "trade_id: {row}");
    }
    let ids: Vec<u64> = rows.iter().map(|r| r[6].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");

    let spread = get(&sim, "/0/public/Spread?pair=XBTUSD").await;
    assert!(spread["last"].is_i64(), "{spread}");
    for row in spread["XXBTZUSD"].as_array().unwrap() {
        assert!(row[0].is_i64() && is_decimal_text(&row[1]) && is_decimal_text(&row[2]));
    }

    let assets = get(&sim, "/0/public/Assets?asset=XBT,ZUSD").await;
    let mut names = keys(&assets);
    names.sort_unstable();
    assert_eq!(names, ["XXBT", "ZUSD"]);
    assert_eq!(assets["XXBT"]["altname"], "XBT");
    assert_eq!(assets["XXBT"]["decimals"], 10);
    sim.shutdown().await;
}

#[tokio::test]
async fn post_forms_and_several_pairs_as_kraken_takes_them() {
    let sim = Simulator::builder().paused(true).spawn().await.unwrap();
    let by_get = get(&sim, "/0/public/Depth?pair=ETHUSD&count=2").await;
    let by_post = call(&sim, "POST", "/0/public/Depth", "pair=ETHUSD&count=2").await;
    assert_eq!(by_get, by_post);
    assert_eq!(keys(&by_post), ["XETHZUSD"]);

    let two = get(&sim, "/0/public/Ticker?pair=XBTUSD,ETH%2FUSD").await;
    let mut names = keys(&two);
    names.sort_unstable();
    assert_eq!(names, ["ETH/USD", "XXBTZUSD"]);
    let all = get(&sim, "/0/public/Ticker").await;
    let mut names = keys(&all);
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "SHIBUSD", "SOLUSD", "XDGUSD", "XETHXXBT", "XETHZUSD", "XXBTZUSD"
        ]
    );
    sim.shutdown().await;
}
