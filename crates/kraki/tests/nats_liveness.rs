//! The relay's publisher against a NATS server that goes silent without
//! closing the connection (a network that drops one direction, a hung
//! server): a loopback proxy in front of a real nats-server stops
//! passing the server's bytes to the publisher's connection while still
//! reading them. Two unanswered PINGs drop it; the relay connects again
//! and publishes again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::nats_server::NatsServer;
use kraki::nats::{Relay, RelayConfig};
use kraki_sim::Simulator;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One connection through the proxy.
#[derive(Default)]
struct Link {
    /// The client's `CONNECT` named it the relay's publisher.
    publisher: AtomicBool,
    /// The server's bytes are read and dropped instead of passed on.
    muted: AtomicBool,
    /// The client closed its side.
    closed_by_client: AtomicBool,
}

/// A proxy to `server` on a loopback port of its own; every connection
/// made through it, in order.
async fn proxy(server: u16) -> (u16, Arc<Mutex<Vec<Arc<Link>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let links = Arc::new(Mutex::new(Vec::new()));
    let all = links.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(upstream) = TcpStream::connect(("127.0.0.1", server)).await else {
                continue;
            };
            let link = Arc::new(Link::default());
            all.lock().unwrap().push(link.clone());
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = upstream.into_split();
            let up = link.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                let mut seen = Vec::new();
                loop {
                    match client_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if seen.len() < 4096 {
                                seen.extend_from_slice(&buf[..n]);
                                let connect = String::from_utf8_lossy(&seen);
                                if connect.contains(r#""name":"kraki relay""#) {
                                    up.publisher.store(true, SeqCst);
                                }
                            }
                            if server_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                up.closed_by_client.store(true, SeqCst);
            });
            let down = link.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                loop {
                    match server_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) if down.muted.load(SeqCst) => {}
                        Ok(n) => {
                            if client_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    (port, links)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_is_found_out_by_its_pings_and_left_for_a_new_connection() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (port, links) = proxy(nats.port()).await;
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = common::public_client(&sim).await;
    let mut config = RelayConfig::new(format!("nats://127.0.0.1:{port}"), ["trade"], ["BTC/USD"]);
    config.ping_interval = Duration::from_millis(300);
    let relay = Relay::start(&client, config).await.unwrap();

    let published = || relay.counters().snapshot().published;
    let deadline = Instant::now() + common::PATIENCE;
    while published() == 0 {
        assert!(Instant::now() < deadline, "nothing published within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let silent: Vec<Arc<Link>> = links
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.publisher.load(SeqCst))
        .cloned()
        .collect();
    assert_eq!(silent.len(), 1, "one publisher connection");
    let silent = &silent[0];
    silent.muted.store(true, SeqCst);
    let muted_at = Instant::now();
    let before = relay.counters().snapshot();

    // Dropped by the PING check: well before the 10 s write timeout (the
    // proxy reads everything) and with nothing else to find it out.
    let deadline = muted_at + Duration::from_secs(8);
    while !silent.closed_by_client.load(SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the silent connection still open after 8 s: {:?}",
            relay.counters().snapshot()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let found_out = muted_at.elapsed();
    assert!(
        found_out >= Duration::from_millis(300),
        "dropped after {found_out:?}, before a PING could go unanswered"
    );

    // A new connection, and publishing on it.
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let now = relay.counters().snapshot();
        if now.nats_reconnects > before.nats_reconnects && now.published > before.published {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no reconnect and publish within 10 s: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let publishers = links
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.publisher.load(SeqCst))
        .count();
    assert_eq!(publishers, 2, "the publisher connected again");
}
