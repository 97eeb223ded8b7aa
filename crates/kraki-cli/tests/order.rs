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
