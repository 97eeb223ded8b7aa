//! Credentials travel only over TLS: an API key, a signature or a token
//! bound for `ws://` or `http://` is refused before a byte is sent, unless
//! the host is this machine reached directly (the simulator) or the
//! caller opted in by name. A recording proxy on loopback, written in the
//! tests, shows what would have crossed it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::connect_proxy::proxy;
use common::{demo, next_data};
use kraki::proto::BalancesData;
use kraki::rest::RestClient;
use kraki::{Balances, Client, Error};
use kraki_sim::Simulator;

const REFUSED_REST: &str = "invalid configuration: refusing to send the API key and signature \
     unencrypted through a proxy (http://api.example.com/): anyone on the path could read and \
     replay them; use https:// (or, knowing that, \
     ClientBuilder::danger_send_credentials_unencrypted)";

#[tokio::test]
async fn a_signature_and_a_token_never_cross_a_proxy_in_cleartext() {
    let (port, seen) = proxy(None).await;
    let proxy_url = format!("http://127.0.0.1:{port}");
    // The token's socket is checked first: nothing is fetched for a
    // socket that may not carry it.
    let result = Client::builder()
        .auth_url("ws://ws-auth.example.com/v2")
        .rest_url("https://api.kraken.com")
        .credentials(demo())
        .proxy(&proxy_url)
        .connect_auth()
        .await;
    let Err(err @ Error::Config(_)) = result else {
        panic!("expected a refusal, got {result:?}");
    };
    assert_eq!(
        err.to_string(),
        "invalid configuration: refusing to send the WebSocket token unencrypted through a \
         proxy (ws://ws-auth.example.com/v2): anyone on the path could read and replay them; \
         use wss:// (or, knowing that, ClientBuilder::danger_send_credentials_unencrypted)"
    );
    // A TLS socket, but the signed token request over http://.
    let result = Client::builder()
        .level3_url("wss://ws-l3.kraken.com/v2")
        .rest_url("http://api.example.com")
        .credentials(demo())
        .proxy(&proxy_url)
        .connect_level3()
        .await;
    let Err(err) = result else {
        panic!("expected a refusal");
    };
    assert_eq!(err.to_string(), REFUSED_REST);
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing may reach the proxy: {:?}",
        seen.lock().unwrap()
    );
}

#[tokio::test]
async fn a_remote_cleartext_host_is_refused_without_a_proxy_too() {
    let result = Client::builder()
        .auth_url("ws://203.0.113.7/v2")
        .rest_url("https://api.kraken.com")
        .credentials(demo())
        .connect_auth()
        .await;
    let Err(err) = result else {
        panic!("expected a refusal");
    };
    assert!(
        err.to_string().contains(
            "the WebSocket token unencrypted to a host that is not this machine \
             (ws://203.0.113.7/v2)"
        ),
        "{err}"
    );
    // RestClient on its own names its own way to opt in.
    let rest = RestClient::new("http://203.0.113.7").unwrap();
    let err = rest.websockets_token(&demo()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration: refusing to send the API key and signature unencrypted to a \
         host that is not this machine (http://203.0.113.7/): anyone on the path could read \
         and replay them; use https:// (or, knowing that, \
         RestClient::danger_send_credentials_unencrypted)"
    );
}

#[tokio::test]
async fn the_simulator_on_loopback_needs_no_tls_unless_a_proxy_stands_between() {
    let sim = Simulator::builder().rate(200.0).spawn().await.unwrap();
    let direct = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .connect_auth()
        .await
        .unwrap();
    let mut balances = direct.subscribe(Balances::new()).await.unwrap();
    assert!(matches!(
        next_data(&mut balances).await.data,
        BalancesData::Snapshot(_)
    ));
    direct.close().await;

    let (port, seen) = proxy(None).await;
    let proxy_url = format!("http://127.0.0.1:{port}");
    let result = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .proxy(&proxy_url)
        .connect_auth()
        .await;
    let Err(err) = result else {
        panic!("expected a refusal through the proxy");
    };
    assert!(err.to_string().contains("through a proxy"), "{err}");
    assert!(seen.lock().unwrap().is_empty());

    // Opting in sends them, through the proxy, and it works.
    let opted_in = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .proxy(&proxy_url)
        .danger_send_credentials_unencrypted()
        .connect_auth()
        .await
        .unwrap();
    let mut balances = opted_in.subscribe(Balances::new()).await.unwrap();
    assert!(matches!(
        next_data(&mut balances).await.data,
        BalancesData::Snapshot(_)
    ));
    assert!(
        seen.lock().unwrap().len() >= 2,
        "REST and the socket went through the proxy"
    );
    opted_in.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn public_market_data_may_use_ws_through_a_proxy() {
    let sim = Simulator::builder().rate(200.0).spawn().await.unwrap();
    let (port, seen) = proxy(None).await;
    let client = Client::builder()
        .public_url(sim.public_url())
        .proxy(&format!("http://127.0.0.1:{port}"))
        .connect()
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_url_with_user_info_is_refused_without_quoting_it() {
    let builder = Client::builder()
        .public_url("wss://trader:hunter2@ws.kraken.com/v2")
        .rest_url("https://trader:hunter2@api.kraken.com");
    let shown = format!("{builder:?}");
    assert!(
        shown.contains("wss://<redacted>@ws.kraken.com/v2") && !shown.contains("hunter2"),
        "{shown}"
    );
    let result = builder.connect().await;
    let Err(err) = result else {
        panic!("expected a refusal");
    };
    let text = err.to_string();
    assert!(
        text.contains("carries a user name or password") && !text.contains("hunter2"),
        "{text}"
    );
    let err = RestClient::new("https://trader:hunter2@api.kraken.com").unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let err = RestClient::new("ftp://trader:hunter2@api.kraken.com").unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}
