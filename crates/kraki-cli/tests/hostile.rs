//! The `kraki` command against hostile peers and bad settings, on
//! loopback: a broken REST answer, a proxy that would see credentials in
//! cleartext, a proxy URL whose password stands where a port would.
//! Each ends in a named error and exit status 2, never a panic (101).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::run_with_env;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A server on 127.0.0.1 that answers every connection with `answer`
/// once the request head is in; counts connections.
fn server(answer: &'static [u8]) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0];
                while !head.ends_with(b"\r\n\r\n") {
                    if tcp.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let _ = tcp.write_all(answer);
                // Ended cleanly once the client has said all it will (its
                // body included), so the client sees the end, not a reset.
                let _ = tcp.shutdown(std::net::Shutdown::Write);
                let _ = std::io::copy(&mut tcp, &mut std::io::sink());
            });
        }
    });
    (port, count)
}

const DEMO: [(&str, &str); 2] = [
    ("KRAKEN_API_KEY", kraki_sim::DEMO_API_KEY),
    ("KRAKEN_API_SECRET", kraki_sim::DEMO_API_SECRET),
];

#[test]
fn a_chunk_size_of_u64_max_is_an_error_not_a_panic() {
    let (port, _) = server(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nFFFFFFFFFFFFFFFF\r\nab",
    );
    let rest = format!("http://127.0.0.1:{port}");
    let (code, _, err) = run_with_env(
        &[
            "balances",
            "--url",
            "ws://127.0.0.1:1/v2",
            "--rest-url",
            &rest,
        ],
        &DEMO,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("REST: HTTP: error reading a body from connection: end of file before message length reached"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn credentials_never_cross_a_proxy_in_cleartext() {
    let (port, connections) = server(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let proxy = format!("http://127.0.0.1:{port}");
    let mut env = DEMO.to_vec();
    env.push(("HTTPS_PROXY", &proxy));
    let (code, _, err) = run_with_env(
        &[
            "balances",
            "--url",
            "ws://ws-auth.example.com/v2",
            "--rest-url",
            "http://api.example.com",
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim_end(),
        "kraki: invalid configuration: refusing to send the WebSocket token unencrypted \
         through a proxy (ws://ws-auth.example.com/v2): anyone on the path could read and \
         replay them; use wss:// (or, knowing that, --danger-send-credentials-unencrypted)"
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the proxy saw a connection"
    );
}

#[test]
fn a_proxy_password_never_appears_in_an_error() {
    let (code, _, err) = run_with_env(
        &["stream", "ticker", "--symbol", "BTC/USD"],
        &[("HTTPS_PROXY", "http://user:hunter2")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("proxy: the proxy port is not a number from 1 to 65535"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
