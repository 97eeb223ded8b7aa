//! `kraki order`, `kraki balances`, `kraki executions` on the real binary
//! against `kraki sim`: argument errors before connecting, credentials
//! from the environment, kraki's checks, exit statuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, run_with_env};

const DEMO: [(&str, &str); 2] = [
    ("KRAKEN_API_KEY", kraki_sim::DEMO_API_KEY),
    ("KRAKEN_API_SECRET", kraki_sim::DEMO_API_SECRET),
];

#[test]
fn argument_errors_are_named_before_connecting() {
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "order", "add", "--symbol", "BTC/USD", "--side", "buy", "--type", "limit", "--qty",
                "1",
            ],
            "--type limit needs --price",
        ),
        (
            &[
                "order", "add", "--symbol", "BTC/USD", "--side", "up", "--type", "market", "--qty",
                "1",
            ],
            "\"up\" is not a side: expected buy or sell",
        ),
        (
            &[
                "order", "add", "--symbol", "BTC/USD", "--side", "buy", "--type", "moon", "--qty",
                "1",
            ],
            "unknown --type \"moon\"",
        ),
        (
            &[
                "order", "add", "--symbol", "BTC/USD", "--side", "buy", "--type", "market",
                "--qty", "1,5",
            ],
            "\"1,5\" is not a decimal number",
        ),
        (
            &["order", "cancel"],
            "cancel needs --order-id, --cl-ord-id or --userref",
        ),
    ];
    for (args, message) in cases {
        let (code, _, err) = run_with_env(args, &DEMO);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn one_url_without_the_other_and_missing_credentials_are_errors() {
    let (code, _, err) = run_with_env(
        &["order", "cancel-all", "--url", "ws://127.0.0.1:1/auth/v2"],
        &DEMO,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--url was given without --rest-url"), "{err}");
    let (code, _, err) = run_with_env(
        &[
            "balances",
            "--url",
            "ws://127.0.0.1:1/auth/v2",
            "--rest-url",
            "http://127.0.0.1:1",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("KRAKEN_API_KEY"), "{err}");
}

#[test]
fn a_bad_price_increment_is_refused_before_sending_with_exit_1() {
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
            "limit",
            "--qty",
            "0.01",
            "--price",
            "50000.05",
            "--url",
            sim.private_url(),
            "--rest-url",
            sim.rest_url(),
            "--json",
        ],
        &DEMO,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("limit price 50000.05 is not a multiple of BTC/USD's price increment 0.1"),
        "{err}"
    );
}

#[test]
fn a_refused_key_exits_non_zero_with_krakens_error() {
    let sim = Sim::start();
    let (code, _, err) = run_with_env(
        &[
            "executions",
            "--count",
            "1",
            "--url",
            sim.private_url(),
            "--rest-url",
            sim.rest_url(),
        ],
        &[
            ("KRAKEN_REST_API_KEY", "wrong"),
            ("KRAKEN_REST_API_PRIVATE_KEY", kraki_sim::DEMO_API_SECRET),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("EAPI:Invalid key"), "{err}");
}

/// `args` followed by the sim's URLs.
fn against<'a>(sim: &'a Sim, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--url", sim.private_url(), "--rest-url", sim.rest_url()]);
    all
}

#[test]
fn an_order_is_placed_amended_and_canceled_with_json_results() {
    let sim = Sim::start();
    // Far under the market: it rests.
    let (code, out, err) = run_with_env(
        &against(
            &sim,
            &[
                "order",
                "add",
                "--symbol",
                "BTC/USD",
                "--side",
                "buy",
                "--type",
                "limit",
                "--qty",
                "0.01",
                "--price",
                "1000.0",
                "--cl-ord-id",
                "cli-1",
                "--json",
            ],
        ),
        &DEMO,
    );
    assert_eq!(code, 0, "{out}{err}");
    let placed: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let order_id = placed["order_id"].as_str().unwrap().to_owned();
    assert_eq!(order_id.len(), 19, "{placed}");
    assert_eq!(placed["cl_ord_id"], "cli-1");

    let (code, out, err) = run_with_env(
        &against(
            &sim,
            &[
                "order",
                "amend",
                "--order-id",
                &order_id,
                "--qty",
                "0.02",
                "--json",
            ],
        ),
        &DEMO,
    );
    assert_eq!(code, 0, "{out}{err}");
    let amended: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(
        amended["amend_id"].as_str().is_some_and(|a| !a.is_empty()),
        "{amended}"
    );

    // The open order shows in the executions snapshot, amended.
    let (code, out, err) = run_with_env(
        &against(&sim, &["executions", "--count", "1", "--json"]),
        &DEMO,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&order_id), "{out}");
    assert!(out.contains("0.02"), "{out}");

    let (code, out, err) = run_with_env(
        &against(
            &sim,
            &["order", "cancel", "--order-id", &order_id, "--json"],
        ),
        &DEMO,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&order_id), "{out}");

    // Canceling it again: Kraken's refusal, exit 1.
    let (code, out, err) = run_with_env(
        &against(&sim, &["order", "cancel", "--order-id", &order_id]),
        &DEMO,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("EOrder:"), "{err}");
}

#[test]
fn a_rejection_exits_1_with_krakens_error_and_balances_print() {
    let sim = Sim::start();
    let (code, out, err) = run_with_env(
        &against(
            &sim,
            &[
                "order", "add", "--symbol", "BTC/USD", "--side", "sell", "--type", "market",
                "--qty", "1000",
            ],
        ),
        &DEMO,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("EOrder:Insufficient funds"), "{err}");
    assert!(out.is_empty(), "{out}");

    let (code, out, err) = run_with_env(
        &against(&sim, &["balances", "--count", "1", "--json"]),
        &DEMO,
    );
    assert_eq!(code, 0, "{out}{err}");
    let line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let text = line.to_string();
    assert!(
        text.contains("\"USD\"") && text.contains("100000"),
        "{text}"
    );
}
