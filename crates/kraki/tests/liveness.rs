//! `Client::on_liveness`: heartbeats and the answers to the client's own
//! pings reach a handler, beside the subscriptions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki::{Client, Liveness, Ticker};
use kraki_sim::Simulator;
use std::time::Duration;

#[tokio::test]
async fn a_liveness_handler_hears_heartbeats_and_pongs() {
    let sim = Simulator::builder()
        .heartbeat(Duration::from_millis(50))
        .paused(true)
        .spawn()
        .await
        .unwrap();
    let client = Client::builder()
        .public_url(sim.public_url())
        .ping_interval(Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    client
        .on_liveness(move |event| {
            let _ = tx.send(event);
        })
        .unwrap();
    // Heartbeats come once something is subscribed; a paused market sends
    // nothing else, so they fill the silence.
    let _ticker = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    let heard = tokio::task::spawn_blocking(move || {
        let (mut heartbeats, mut pongs) = (0, 0);
        while heartbeats < 2 || pongs < 2 {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(Liveness::Heartbeat) => heartbeats += 1,
                Ok(Liveness::Pong(pong)) => {
                    assert_eq!(pong.method, "pong");
                    assert!(pong.req_id.is_some(), "a pong without the ping's req_id");
                    pongs += 1;
                }
                Ok(other) => panic!("unexpected {other:?}"),
                Err(_) => break,
            }
        }
        (heartbeats, pongs)
    })
    .await
    .unwrap();
    assert!(heard.0 >= 2, "heartbeats heard: {}", heard.0);
    assert!(heard.1 >= 2, "pongs heard: {}", heard.1);
    client.close().await;
}
