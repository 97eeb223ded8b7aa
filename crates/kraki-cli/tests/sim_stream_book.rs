//! `kraki sim`, `kraki stream` and `kraki book` on the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, run, run_with_env};

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

#[test]
fn the_environment_proxy_is_read_and_loopback_goes_direct() {
    let sim = Sim::start();
    let args = [
        "stream",
        "ticker",
        "--symbol",
        "BTC/USD",
        "--url",
        sim.public_url(),
        "--count",
        "1",
    ];
    // Nothing listens on port 1: had the loopback sim been proxied, the
    // connection would fail.
    let (code, out, err) = run_with_env(&args, &[("HTTPS_PROXY", "http://127.0.0.1:1")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    // A proxy the client cannot use is named, its password is not.
    let (code, out, err) = run_with_env(
        &args,
        &[("https_proxy", "socks5://me:hunter2@proxy.example:1080")],
    );
    assert_ne!(code, 0);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("proxy") && err.contains("socks5"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

type Ws =
    tokio_websockets::WebSocketStream<tokio_websockets::MaybeTlsStream<tokio::net::TcpStream>>;

/// Runs `test` on a raw WebSocket to `url`, on a runtime of its own (these
/// tests drive a child process, so they are plain `#[test]`s).
fn on_socket<F: std::future::Future<Output = ()>>(url: &str, test: impl FnOnce(Ws) -> F) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (ws, _) = tokio_websockets::ClientBuilder::from_uri(url.parse().unwrap())
            .connect()
            .await
            .unwrap();
        test(ws).await;
    });
}

/// The next text frame containing `needle`, within a few seconds.
async fn frame_containing(
    ws: &mut tokio_websockets::WebSocketStream<
        tokio_websockets::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    needle: &str,
) -> String {
    use futures_util::StreamExt;
    let wait = async {
        loop {
            let msg = ws.next().await.expect("the socket is open").unwrap();
            if let Some(text) = msg.as_text() {
                if text.contains(needle) {
                    return text.to_owned();
                }
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no frame with {needle}"))
}

#[test]
fn sim_takes_fault_and_status_commands_on_stdin() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_websockets::Message;
    let mut sim = Sim::start_controlled(&[]);
    let url = sim.public_url().to_owned();
    let control = &mut sim;
    on_socket(&url, |mut ws| async move {
        frame_containing(&mut ws, r#""system":"online""#).await;

        // A status change reaches the open connection.
        control.command("status maintenance");
        frame_containing(&mut ws, r#""system":"maintenance""#).await;

        // A bad line is answered and changes nothing; comments are skipped.
        control.command("# a comment");
        control.command("explode");

        // A pair's status reaches the instrument subscribers as an update.
        ws.send(Message::text(
            r#"{"method":"subscribe","params":{"channel":"instrument"}}"#.to_owned(),
        ))
        .await
        .unwrap();
        frame_containing(&mut ws, r#""channel":"instrument","type":"snapshot""#).await;
        control.command("pair-status XBT/EUR online");
        control.command("pair-status ETH/USD delisted");
        let update = frame_containing(&mut ws, r#""type":"update""#).await;
        assert!(update.contains(r#""channel":"instrument""#), "{update}");
        assert!(
            update.contains(r#""symbol":"ETH/USD""#) && update.contains(r#""status":"delisted""#),
            "{update}"
        );

        // A cut: the socket ends without a close frame.
        ws.send(Message::text(
            r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}"#.to_owned(),
        ))
        .await
        .unwrap();
        frame_containing(&mut ws, r#""type":"snapshot""#).await;
        control.command("cut");
        let end = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                match ws.next().await {
                    None | Some(Err(_)) => return None,
                    Some(Ok(msg)) if msg.is_close() => return Some(msg),
                    Some(Ok(_)) => {}
                }
            }
        })
        .await
        .expect("the connection ended");
        assert!(end.is_none(), "a cut sends no close frame: {end:?}");
    });
    let (status, stderr) = sim.interrupt_and_read_stderr();
    assert!(status.success());
    assert!(stderr.contains("kraki sim: status maintenance"), "{stderr}");
    assert!(
        stderr.contains(r#"kraki sim: line 3: unknown command "explode" (try help)"#),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"kraki sim: line 4: unknown symbol "XBT/EUR": the simulator trades"#),
        "{stderr}"
    );
    assert!(
        stderr.contains("kraki sim: ETH/USD status delisted"),
        "{stderr}"
    );
    assert!(
        stderr.contains("kraki sim: cut every connection"),
        "{stderr}"
    );
}

#[test]
fn sim_rejects_a_bad_faults_flag_naming_the_problem() {
    let (code, _, stderr) = run(&["sim", "--faults", "close-after=soon"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--faults: close-after must be a whole number"),
        "{stderr}"
    );
}

#[test]
fn sim_faults_flag_applies_to_every_connection() {
    // Every connection closes after 3 frames: status, then two more.
    let mut sim = Sim::start_controlled(&["--faults", "close-after=3"]);
    let url = sim.public_url().to_owned();
    on_socket(&url, |mut ws| async move {
        use futures_util::{SinkExt, StreamExt};
        use tokio_websockets::Message;
        ws.send(Message::text(
            r#"{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]}}"#
                .to_owned(),
        ))
        .await
        .unwrap();
        let mut frames = 0;
        let counted = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while let Some(Ok(msg)) = ws.next().await {
                if msg.is_close() {
                    break;
                }
                frames += 1;
            }
        })
        .await;
        assert!(counted.is_ok(), "the connection was closed");
        assert_eq!(frames, 3);
    });
    assert!(sim.interrupt().success());
}
