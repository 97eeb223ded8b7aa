//! `kraki sim`, `kraki stream` and `kraki book` on the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, run};

#[test]
fn sim_prints_its_endpoints_then_ready_and_stops_on_ctrl_c() {
    let mut sim = Sim::start();
    let port = sim
        .public_url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/v2")
        .to_owned();
    assert_eq!(
        sim.lines,
        [
            format!("public ws://127.0.0.1:{port}/v2"),
            format!("private ws://127.0.0.1:{port}/auth/v2"),
            format!("level3 ws://127.0.0.1:{port}/l3/v2"),
            format!("rest http://127.0.0.1:{port}"),
            "ready".to_owned(),
        ]
    );
    assert!(sim.interrupt().success());
}

#[test]
fn stream_prints_typed_lines_and_stops_at_count() {
    let sim = Sim::start();
    let (code, out, err) = run(&[
        "stream",
        "ticker",
        "--symbol",
        "BTC/USD",
        "--symbol",
        "ETH/USD",
        "--url",
        sim.public_url(),
        "--count",
        "4",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines.iter().all(|l| l["channel"] == "ticker"));
    let symbols: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["ticker"]["symbol"].as_str().unwrap())
        .collect();
    assert!(symbols.contains("BTC/USD"));

    let (code, out, _) = run(&[
        "stream",
        "trade",
        "--symbol",
        "SOL/USD",
        "--url",
        sim.public_url(),
        "--count",
        "2",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2);
    assert!(out.starts_with("trade snapshot SOL/USD "), "{out}");
}

#[test]
fn book_json_lines_are_verified_and_exact() {
    let sim = Sim::start();
    let (code, out, err) = run(&[
        "book",
        "DOGE/USD",
        "--url",
        sim.public_url(),
        "--count",
        "6",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["symbol"], "DOGE/USD");
        assert_eq!(v["ok"], true, "{line}");
        assert_eq!(v["checksum"], v["computed"]);
        assert!(v["best_bid"]["price"].is_number());
    }
    assert!(lines[0].contains(r#""type":"snapshot""#));
    // DOGE/USD prices carry seven decimals, trailing zeros included.
    let price_text = lines[0].split(r#""best_bid":{"price":"#).nth(1).unwrap();
    let decimals = price_text
        .split(',')
        .next()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    assert_eq!(decimals.len(), 7, "{}", lines[0]);
}

#[test]
fn unreachable_url_fails_with_a_clear_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ws://127.0.0.1:{port}/v2");
    for args in [
        vec!["book", "BTC/USD", "--url", &url, "--count", "1", "--json"],
        vec![
            "stream", "ticker", "--symbol", "BTC/USD", "--url", &url, "--count", "1",
        ],
    ] {
        let (code, out, err) = run(&args);
        assert_ne!(code, 0);
        assert!(out.is_empty());
        assert!(err.contains("cannot connect to"), "{err}");
    }
}
