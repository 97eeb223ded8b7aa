//! Connections through an HTTP proxy: a real `CONNECT` proxy on loopback,
//! written here, in front of the simulator. WebSocket and REST both go
//! through it, with the credentials from the proxy URL; a refusal fails
//! the first connection with the proxy's answer; `no_proxy` hosts go
//! direct; a reconnect tunnels again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::connect_proxy::proxy;
use common::{PATIENCE, demo, next_data, until_reconnected};
use kraki::proto::BalancesData;
use kraki::{Balances, Client, Error, Ticker};
use kraki_sim::{SimHandle, Simulator};
use std::time::Duration;

async fn sim() -> SimHandle {
    Simulator::builder().rate(200.0).spawn().await.unwrap()
}

#[tokio::test]
async fn websocket_and_rest_go_through_the_proxy_with_its_credentials() {
    let sim = sim().await;
    let (port, seen) = proxy(None).await;
    let url = format!("http://trader:s%3Acret@127.0.0.1:{port}");
    let public = Client::builder()
        .public_url(sim.public_url())
        .proxy(&url)
        .connect()
        .await
        .unwrap();
    let mut ticker = public.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    assert_eq!(
        next_data(&mut ticker).await.ticker.symbol.as_str(),
        "BTC/USD"
    );
    // The authenticated endpoint: the token over REST, then the socket,
    // in cleartext through the proxy, which takes the opt-in.
    let private = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .proxy(&url)
        .danger_send_credentials_unencrypted()
        .connect_auth()
        .await
        .unwrap();
    let mut balances = private.subscribe(Balances::new()).await.unwrap();
    let snapshot = next_data(&mut balances).await.data;
    assert!(
        matches!(&snapshot, BalancesData::Snapshot(assets) if !assets.is_empty()),
        "{snapshot:?}"
    );

    let sim_at = sim.public_url().split('/').nth(2).unwrap().to_owned();
    let tunnels = seen.lock().unwrap().clone();
    assert!(
        tunnels.len() >= 3,
        "public socket, REST token, private socket: {tunnels:?}"
    );
    for (target, authorization) in tunnels {
        assert_eq!(target, sim_at);
        // base64("trader:s:cret"), the password percent-decoded.
        assert_eq!(authorization.as_deref(), Some("Basic dHJhZGVyOnM6Y3JldA=="));
    }
    public.close().await;
    private.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refusing_proxy_fails_the_first_connection_with_its_answer() {
    let sim = sim().await;
    let (port, seen) = proxy(Some("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")).await;
    let result = Client::builder()
        .public_url(sim.public_url())
        .proxy(&format!("127.0.0.1:{port}"))
        .connect_attempts(2)
        .backoff(Duration::from_millis(10), Duration::from_millis(10))
        .connect()
        .await;
    let Err(Error::Connect { last: message, .. }) = result else {
        panic!("expected a connect error, got {result:?}");
    };
    assert!(
        message.contains("refused CONNECT") && message.contains("407"),
        "{message}"
    );
    assert_eq!(seen.lock().unwrap().len(), 2, "one CONNECT per attempt");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_bad_proxy_url_is_a_config_error_without_the_password() {
    let result = Client::builder()
        .proxy("socks5://user:hunter2@127.0.0.1:1080")
        .connect()
        .await;
    let Err(Error::Config(message)) = result else {
        panic!("expected a config error, got {result:?}");
    };
    assert!(
        message.contains("socks5") && !message.contains("hunter2"),
        "{message}"
    );
}

#[tokio::test]
async fn no_proxy_hosts_are_reached_directly() {
    let sim = sim().await;
    let (port, seen) = proxy(None).await;
    let client = Client::builder()
        .public_url(sim.public_url())
        // Either order: the list applies to the proxy whenever it is set.
        .no_proxy("example.com, 127.0.0.1")
        .proxy(&format!("http://127.0.0.1:{port}"))
        .connect()
        .await
        .unwrap();
    let mut ticker = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    next_data(&mut ticker).await;
    assert!(seen.lock().unwrap().is_empty());
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_reconnect_opens_a_new_tunnel() {
    let sim = sim().await;
    let (port, seen) = proxy(None).await;
    let client = Client::builder()
        .public_url(sim.public_url())
        .proxy(&format!("http://127.0.0.1:{port}"))
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    let mut ticker = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    next_data(&mut ticker).await;
    sim.cut_connections();
    tokio::time::timeout(PATIENCE, until_reconnected(&mut ticker))
        .await
        .unwrap();
    next_data(&mut ticker).await;
    assert_eq!(seen.lock().unwrap().len(), 2);
    client.close().await;
    sim.shutdown().await;
}
