//! `kraki history orders|trades|ledgers` on the real binary against
//! `kraki sim`: arguments checked before any call, an order placed over
//! WebSocket (`kraki order add`) found closed, with its fill and the
//! fill's ledger entries, in JSON lines with Kraken's field names and in
//! plain lines.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, run_with_env};
use serde_json::Value;

const DEMO: [(&str, &str); 2] = [
    ("KRAKEN_API_KEY", kraki_sim::DEMO_API_KEY),
    ("KRAKEN_API_SECRET", kraki_sim::DEMO_API_SECRET),
];

/// Port 9 (discard) on loopback: nothing answers, so an error there
/// would be a connection error, not the one expected.
const NOWHERE: &str = "http://127.0.0.1:9";

/// Arguments, environment, and the error expected.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn arguments_are_checked_before_any_call() {
    let cases: [Case<'_>; 4] = [
        (
            &[
                "history",
                "trades",
                "--since",
                "yesterday",
                "--rest-url",
                NOWHERE,
            ],
            &DEMO,
            "--since \"yesterday\" is neither Unix seconds nor an RFC 3339 time",
        ),
        (
            &["history", "orders", "--rest-url", "ftp://127.0.0.1:9"],
            &DEMO,
            "expected http://host or https://host",
        ),
        (
            &["history", "ledgers", "--rest-url", NOWHERE],
            &[],
            "KRAKEN_API_KEY",
        ),
        (
            &["history", "positions"],
            &DEMO,
            "invalid value 'positions'",
        ),
    ];
    for (args, env, message) in cases {
        let (code, out, err) = run_with_env(args, env);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("connect"), "{args:?} made a call: {err}");
    }
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn an_order_placed_over_websocket_shows_in_every_history() {
    let sim = Sim::start();
    let (code, out, err) = run_with_env(
        &[
            "order",
            "add",
            "--symbol",
            "BTC/USD",
            "--side",
            "buy",
            "--type",
            "market",
            "--qty",
            "0.01",
            "--json",
            "--url",
            sim.private_url(),
            "--rest-url",
            sim.rest_url(),
        ],
        &DEMO,
    );
    assert_eq!(code, 0, "{out}{err}");
    let placed: Value = serde_json::from_str(out.trim()).unwrap();
    let order_id = placed["order_id"].as_str().unwrap().to_owned();
    let history = |which: &str, extra: &[&str]| {
        let mut args = vec!["history", which, "--rest-url", sim.rest_url()];
        args.extend_from_slice(extra);
        let (code, out, err) = run_with_env(&args, &DEMO);
        assert_eq!(code, 0, "{which}: {out}{err}");
        // Not a terminal: no progress line.
        assert!(err.is_empty(), "{which}: {err}");
        out
    };

    let raw = history("orders", &["--json"]);
    // Exact decimals: the digits Kraken sent.
    assert!(raw.contains("\"vol_exec\":0.01000000,"), "{raw}");
    let orders = json_lines(&raw);
    assert_eq!(orders.len(), 1, "{orders:?}");
    let order = &orders[0];
    assert_eq!(order["txid"], order_id.as_str());
    assert_eq!(order["status"], "closed");
    assert_eq!(order["descr"]["pair"], "BTC/USD");
    assert_eq!(order["descr"]["type"], "buy");
    assert_eq!(order["descr"]["ordertype"], "market");

    let trades = json_lines(&history("trades", &["--json"]));
    assert!(!trades.is_empty());
    for trade in &trades {
        assert_eq!(trade["ordertxid"], order_id.as_str(), "{trade}");
        assert_eq!(trade["pair"], "BTC/USD");
        assert_eq!(trade["type"], "buy");
    }
    let txids: Vec<&str> = trades.iter().map(|t| t["txid"].as_str().unwrap()).collect();
    assert_eq!(order["trades"].as_array().unwrap().len(), txids.len());

    let ledgers = json_lines(&history("ledgers", &["--json"]));
    assert_eq!(ledgers.len(), 2 * txids.len(), "{ledgers:?}");
    for entry in &ledgers {
        assert!(txids.contains(&entry["refid"].as_str().unwrap()), "{entry}");
        assert_eq!(entry["type"], "trade");
        assert!(["BTC", "USD"].contains(&entry["asset"].as_str().unwrap()));
    }

    let plain = history("trades", &[]);
    let line = plain.lines().next().unwrap();
    assert!(line.contains(&format!("order {order_id}")), "{line}");
    assert!(
        line.contains(" buy 0.") && line.contains(" BTC/USD @ "),
        "{line}"
    );
    let plain = history("orders", &[]);
    assert!(
        plain.contains(&format!(
            " {order_id} closed buy 0.01000000 of 0.01000000 BTC/USD market @ "
        )),
        "{plain}"
    );

    // On a terminal, a progress line on stderr (`script` gives the
    // command a pseudo-terminal).
    #[cfg(target_os = "linux")]
    {
        let command = format!(
            "{} history trades --rest-url {}",
            common::KRAKI,
            sim.rest_url()
        );
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .envs(DEMO)
            .output()
            .expect("script (util-linux) runs the command on a pseudo-terminal");
        let text = String::from_utf8_lossy(&out.stdout);
        let n = txids.len();
        assert!(out.status.success(), "{text}");
        assert!(text.contains(&format!("\r{n} of {n} records")), "{text:?}");
    }

    // Nothing after a time to come.
    assert_eq!(history("trades", &["--since", "4000000000"]), "");
    assert_eq!(
        history("ledgers", &["--since", "2096-01-01T00:00:00Z", "--json"]),
        ""
    );
}
