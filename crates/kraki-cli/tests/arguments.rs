//! Mistakes in the arguments are named before any connection: every
//! command here is pointed at a loopback listener that records each
//! connection made to it, and none may reach it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::run_with_env;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A listener on 127.0.0.1 that accepts in a thread of its own, counts
/// the connections and holds them open without answering.
fn recording_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            seen.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (port, connections)
}

const DEMO: [(&str, &str); 2] = [
    ("KRAKEN_API_KEY", kraki_sim::DEMO_API_KEY),
    ("KRAKEN_API_SECRET", kraki_sim::DEMO_API_SECRET),
];

#[test]
fn an_unknown_channel_is_named_and_nothing_connects() {
    let (port, connections) = recording_listener();
    let url = format!("ws://127.0.0.1:{port}/v2");
    let out_file = std::env::temp_dir().join(format!("kraki-args-{}.jsonl", std::process::id()));
    let out_path = out_file.to_str().unwrap();
    let expected =
        "kraki: unknown channel \"tickr\": expected ticker, book, trade, ohlc or instrument";
    let commands: [&[&str]; 2] = [
        &["stream", "tickr", "--symbol", "BTC/USD", "--url", &url],
        &[
            "record", "tickr", "--symbol", "BTC/USD", "--url", &url, "--out", out_path,
        ],
    ];
    for args in commands {
        let started = Instant::now();
        let (code, out, err) = run_with_env(args, &[]);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.trim_end(), expected, "{args:?}");
        // Nothing was waited for: no connection, no timeout.
        assert!(started.elapsed() < Duration::from_secs(5), "{args:?}");
    }
    assert!(!out_file.exists(), "record created {out_path}");
    assert_eq!(connections.load(Ordering::SeqCst), 0);
    // The listener does see a connection when one is made.
    let _probe = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while connections.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[test]
fn every_command_checks_its_arguments_before_connecting() {
    let (port, connections) = recording_listener();
    let public = format!("ws://127.0.0.1:{port}/v2");
    let private = format!("ws://127.0.0.1:{port}/auth/v2");
    let rest = format!("http://127.0.0.1:{port}");
    let auth = ["--url", private.as_str(), "--rest-url", rest.as_str()];
    let nats = format!("nats://127.0.0.1:{port}");
    let relay = [
        "relay", "book", "--symbol", "BTC/USD", "--nats", &nats, "--url", &public,
    ];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["stream", "ticker", "--symbol", "BTCUSD", "--url", &public],
            "kraki: invalid symbol \"BTCUSD\" (expected BASE/QUOTE, e.g. BTC/USD)",
        ),
        (
            vec![
                "stream",
                "trade",
                "--symbol",
                "BTC/USD,ETH/USD",
                "--url",
                &public,
            ],
            "kraki: invalid symbol \"BTC/USD,ETH/USD\" (repeat --symbol for several pairs)",
        ),
        (
            vec!["stream", "ticker", "--url", &public],
            "kraki: ticker needs at least one --symbol",
        ),
        (
            vec![
                "stream", "book", "--symbol", "BTC/USD", "--depth", "20", "--url", &public,
            ],
            "kraki: invalid --depth 20: expected 10, 25, 100, 500 or 1000",
        ),
        (
            vec![
                "stream",
                "ohlc",
                "--symbol",
                "BTC/USD",
                "--interval",
                "7",
                "--url",
                &public,
            ],
            "kraki: invalid --interval 7: expected 1, 5, 15, 30, 60, 240, 1440, 10080 or 21600 \
             (minutes)",
        ),
        (
            vec!["book", "BTC-USD", "--url", &public],
            "kraki: invalid symbol \"BTC-USD\" (expected BASE/QUOTE, e.g. BTC/USD)",
        ),
        (
            vec!["book", "BTC/USD", "--depth", "5", "--url", &public],
            "kraki: invalid --depth 5: expected 10, 25, 100, 500 or 1000",
        ),
        (
            [
                &[
                    "order", "add", "--symbol", "BTCUSD", "--side", "buy", "--type", "market",
                    "--qty", "1",
                ][..],
                &auth,
            ]
            .concat(),
            "kraki: invalid symbol \"BTCUSD\" (expected BASE/QUOTE, e.g. BTC/USD)",
        ),
        (
            [
                &[
                    "order",
                    "batch",
                    "--symbol",
                    "BTC/USD",
                    "--order",
                    "buy,limit,0.01,50000",
                ][..],
                &auth,
            ]
            .concat(),
            "kraki: batch takes 2 to 15 --order, not 1",
        ),
        (
            [&["order", "cancel-after", "86400"][..], &auth].concat(),
            "kraki: cancel-after takes fewer than 86400 seconds, not 86400",
        ),
        (
            [&["order", "batch-cancel", "--order-id", "O1"][..], &auth].concat(),
            "kraki: batch-cancel takes 2 to 50 --order-id and --cl-ord-id together, not 1",
        ),
        (
            [&relay[..], &["--nats-ping-interval", "0.05"]].concat(),
            "kraki: invalid --nats-ping-interval 0.05: expected 0.1 to 86400 seconds",
        ),
        (
            [&relay[..], &["--nats-ping-interval", "-1"]].concat(),
            "kraki: invalid --nats-ping-interval -1: expected 0.1 to 86400 seconds",
        ),
        (
            [&relay[..], &["--coalesce", "2000000"]].concat(),
            "kraki: invalid --coalesce 2000000: expected 0 to 100000 microseconds",
        ),
    ];
    for (args, expected) in cases {
        let (code, out, err) = run_with_env(&args, &DEMO);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.trim_end(), expected, "{args:?}");
        assert_eq!(connections.load(Ordering::SeqCst), 0, "{args:?} connected");
    }
}
