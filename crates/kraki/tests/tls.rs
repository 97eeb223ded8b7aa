//! `wss://` end to end: a TLS terminator with a self-signed certificate in
//! front of the simulator. The client connects only when that certificate
//! is added as a root; without it the first connection fails clearly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::connect_proxy::proxy;
use futures_util::StreamExt;
use kraki::{Client, Error, Event, Ticker};
use kraki_sim::Simulator;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Accepts TLS on a loopback port and relays the plain bytes to `backend`.
async fn tls_terminator(backend: std::net::SocketAddr) -> (u16, Vec<u8>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der = cert.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (port, cert_der)
}

/// Subscribes to BTC/USD's ticker and checks that data comes.
async fn first_ticker_is_data(client: &Client) {
    let mut ticker = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), ticker.next())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(event, Event::Data(_)), "{event:?}");
}

#[tokio::test]
async fn wss_with_an_added_root_certificate() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let (port, cert) = tls_terminator(sim.addr()).await;
    let url = format!("wss://localhost:{port}/v2");

    let err = Client::builder()
        .public_url(&url)
        .connect_attempts(1)
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    let client = Client::builder()
        .public_url(&url)
        .add_root_certificate(cert)
        .connect()
        .await
        .unwrap();
    first_ticker_is_data(&client).await;
    client.close().await;
}

#[tokio::test]
async fn wss_through_a_proxy_is_verified_end_to_end() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let (port, cert) = tls_terminator(sim.addr()).await;
    let (proxy_port, seen) = proxy(None).await;
    let client = Client::builder()
        .public_url(format!("wss://localhost:{port}/v2"))
        .add_root_certificate(cert)
        .proxy(&format!("http://127.0.0.1:{proxy_port}"))
        .connect()
        .await
        .unwrap();
    first_ticker_is_data(&client).await;
    // The tunnel goes to the host by name; TLS checked the certificate for
    // that name through it.
    let tunnels = seen.lock().unwrap().clone();
    assert_eq!(tunnels, [(format!("localhost:{port}"), None)]);
    client.close().await;
}
