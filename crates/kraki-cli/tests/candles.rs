//! `kraki candles` on the real binary, against `kraki sim` and against a
//! loopback server that pages as Kraken does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, run};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

const FIELDS: [&str; 8] = [
    "time", "open", "high", "low", "close", "vwap", "volume", "count",
];

#[test]
fn json_lines_are_the_simulators_candles_oldest_first_running_last() {
    let sim = Sim::start();
    let (code, out, err) = run(&[
        "candles",
        "ETH/USD",
        "--interval",
        "1",
        "--rest-url",
        sim.rest_url(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    // Not a terminal: no progress line.
    assert_eq!(err, "");
    let candles: Vec<serde_json::Map<String, serde_json::Value>> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        candles.len() >= 3,
        "the warm-up makes minutes of candles: {out}"
    );
    for candle in &candles {
        let keys: Vec<&str> = candle.keys().map(String::as_str).collect();
        let mut expected = FIELDS.to_vec();
        expected.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, expected, "{candle:?}");
        let low = candle["low"].as_f64().unwrap();
        let high = candle["high"].as_f64().unwrap();
        assert!(low <= high, "{candle:?}");
    }
    let times: Vec<i64> = candles
        .iter()
        .map(|c| c["time"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    assert!(times.iter().all(|t| t % 60 == 0), "{times:?}");
    // The finished candles are what REST OHLC gives (they no longer change).
    let rest = tokio::runtime::Runtime::new().unwrap().block_on(async {
        kraki::rest::RestClient::new(sim.rest_url())
            .unwrap()
            .ohlc("ETH/USD", 1, None)
            .await
            .unwrap()
    });
    let finished = &candles[..candles.len() - 1];
    for candle in finished {
        let time = candle["time"].as_i64().unwrap();
        let Some(same) = rest.candles.iter().find(|c| c.time == time) else {
            continue; // rolled out of the simulator's memory meanwhile
        };
        assert_eq!(
            serde_json::to_value(same).unwrap(),
            serde_json::Value::Object(candle.clone())
        );
    }

    // Plain lines: the start in RFC 3339, then the figures.
    let (code, out, err) = run(&[
        "candles",
        "ETH/USD",
        "--interval",
        "5",
        "--rest-url",
        sim.rest_url(),
    ]);
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap();
    let (start, rest) = first.split_once(' ').unwrap();
    assert!(kraki::proto::Timestamp::parse(start).is_ok(), "{first}");
    assert!(
        rest.starts_with("open ") && rest.contains(" count "),
        "{first}"
    );

    // --since: only candles that start after it.
    let since = times[1].to_string();
    let (code, out, err) = run(&[
        "candles",
        "ETH/USD",
        "--interval",
        "1",
        "--since",
        &since,
        "--rest-url",
        sim.rest_url(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let after: Vec<i64> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["time"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|t| *t > times[1]),
        "{after:?} after {since}"
    );
}

#[test]
fn an_unknown_pair_is_krakens_error() {
    let sim = Sim::start();
    let (code, out, err) = run(&[
        "candles",
        "ADA/JPY",
        "--interval",
        "1",
        "--rest-url",
        sim.rest_url(),
    ]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        err.trim_end(),
        "kraki: OHLC ADA/JPY: Kraken REST error: EQuery:Unknown asset pair"
    );
}

#[test]
fn arguments_are_checked_before_any_request() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    for (args, problem) in [
        (
            vec!["BTCUSD", "--interval", "1"],
            "invalid symbol \"BTCUSD\" (expected BASE/QUOTE, e.g. BTC/USD)",
        ),
        (vec!["BTC/USD", "--interval", "2"], "invalid --interval 2"),
        (
            vec!["BTC/USD", "--interval", "1", "--since", "yesterday"],
            "invalid --since \"yesterday\"",
        ),
    ] {
        let mut all = vec!["candles"];
        all.extend(args);
        all.extend(["--rest-url", &url]);
        let (code, _, err) = run(&all);
        assert_eq!(code, 2, "{err}");
        assert!(err.starts_with(&format!("kraki: {problem}")), "{err}");
    }
    assert!(listener.accept().is_err(), "no request was made");
}

/// A server that answers OHLC as Kraken pages it: three finished candles
/// per page, the running one on every page, `last` the newest finished.
fn paging_server() -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let row = |t: i64| {
            format!(
                r#"[{t},"1.0","2.0","0.5","1.5","1.2","3.00000000",{}]"#,
                t / 60 % 7
            )
        };
        let mut targets = Vec::new();
        for (finished, last) in [
            (&[60, 120, 180][..], 180),
            (&[240, 300][..], 300),
            (&[][..], 300),
        ] {
            let (tcp, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(tcp.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            targets.push(line.split(' ').nth(1).unwrap().to_owned());
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header == "\r\n" {
                    break;
                }
            }
            let mut rows: Vec<String> = finished.iter().map(|&t| row(t)).collect();
            rows.push(row(360));
            let body = format!(
                r#"{{"error":[],"result":{{"XETHZUSD":[{}],"last":{last}}}}}"#,
                rows.join(",")
            );
            let mut tcp = tcp;
            write!(
                tcp,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
        targets
    });
    (url, server)
}

#[test]
fn pages_are_followed_to_the_end_with_last_as_the_next_since() {
    let (url, server) = paging_server();
    let (code, out, err) = run(&[
        "candles",
        "ETH/USD",
        "--interval",
        "1",
        "--rest-url",
        &url,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let times: Vec<i64> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["time"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(times, [60, 120, 180, 240, 300, 360], "{out}");
    assert_eq!(
        server.join().unwrap(),
        [
            "/0/public/OHLC?pair=ETHUSD&interval=1",
            "/0/public/OHLC?pair=ETHUSD&interval=1&since=180",
            "/0/public/OHLC?pair=ETHUSD&interval=1&since=300",
        ]
    );
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        first,
        serde_json::json!({"time": 60, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5,
            "vwap": 1.2, "volume": 3.00000000, "count": 1})
    );
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains(r#""volume":3.00000000"#),
        "exact digits: {out}"
    );
}

#[test]
fn the_environments_proxy_is_used_and_its_password_never_shown() {
    // A proxy on loopback that records the first line it is sent, then
    // refuses; the REST host is not loopback, so it is not bypassed.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://user:hunter2@{}", proxy.local_addr().unwrap());
    let seen = std::thread::spawn(move || {
        let (tcp, _) = proxy.accept().unwrap();
        let mut line = String::new();
        BufReader::new(tcp.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        let mut tcp = tcp;
        tcp.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        line
    });
    let (code, _, err) = common::run_with_env(
        &[
            "candles",
            "BTC/USD",
            "--interval",
            "1",
            "--rest-url",
            "http://203.0.113.7",
        ],
        &[("HTTPS_PROXY", &proxy_url)],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(seen.join().unwrap(), "CONNECT 203.0.113.7:80 HTTP/1.1\r\n");
    assert!(err.contains("refused CONNECT"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
