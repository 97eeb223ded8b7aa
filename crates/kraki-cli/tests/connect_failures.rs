//! `kraki stream` when no working connection can be made: a closed port,
//! and a server that accepts every connection and closes it at once
//! (an exchange in maintenance, a load balancer with no healthy
//! backend). Either way the command ends after its connect attempts,
//! paced by the backoff, with exit status 2 and the cause, instead of
//! hanging or hammering the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::run;
use futures_util::SinkExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_websockets::ServerBuilder;

/// A server on 127.0.0.1, in a thread of its own, that completes the
/// WebSocket upgrade of every connection and closes it at once with a
/// close frame; returns its port and the instants it accepted at.
fn flapping() -> (u16, Arc<Mutex<Vec<Instant>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepts = Arc::new(Mutex::new(Vec::new()));
    let seen = accepts.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                seen.lock().unwrap().push(Instant::now());
                tokio::spawn(async move {
                    if let Ok((_, mut ws)) = ServerBuilder::new().accept(stream).await {
                        let _ = ws.close().await;
                    }
                });
            }
        });
    });
    (port, accepts)
}

#[test]
fn a_server_that_drops_every_connection_ends_in_the_cause_after_three() {
    let (port, accepts) = flapping();
    let url = format!("ws://127.0.0.1:{port}/v2");
    let started = Instant::now();
    let (code, out, err) = run(&["stream", "ticker", "--symbol", "BTC/USD", "--url", &url]);
    let took = started.elapsed();
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert!(out.is_empty(), "{out}");
    let last_line = err.lines().last().unwrap_or_default();
    assert_eq!(
        last_line,
        format!(
            "kraki: cannot connect to {url} after 3 attempt(s): connected, but lost the \
             connection before it was healthy: closed by the server: code 1000"
        )
    );
    // Three connections, the second and third after the default backoff
    // (250 ms, then 500 ms, ±25 %), not a burst.
    let times = accepts.lock().unwrap().clone();
    assert_eq!(times.len(), 3, "{times:?}");
    let gaps = [times[1] - times[0], times[2] - times[1]];
    assert!(gaps[0] >= Duration::from_millis(185), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(370), "{gaps:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_closed_port_ends_in_the_cause_after_three_attempts() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("ws://127.0.0.1:{port}/v2");
    let started = Instant::now();
    let (code, out, err) = run(&["stream", "ticker", "--symbol", "BTC/USD", "--url", &url]);
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert!(out.is_empty(), "{out}");
    let last_line = err.lines().last().unwrap_or_default();
    assert!(
        last_line.starts_with(&format!(
            "kraki: cannot connect to {url} after 3 attempt(s): WebSocket: cannot connect to \
             127.0.0.1:{port}: "
        )),
        "{err}"
    );
    assert!(last_line.contains("refused"), "{last_line}");
    // Paced: 250 ms, then 500 ms, ±25 %.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(560) && took < Duration::from_secs(5),
        "{took:?}"
    );
}
