//! Faults aimed at one connection, at the next ones to open, and refused
//! connections for a while, over real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Ws, connect, next_response, next_text, send};
use futures_util::StreamExt;
use kraki_sim::{FaultPlan, SimHandle, Simulator};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio_websockets::ClientBuilder;

async fn paused() -> SimHandle {
    Simulator::builder()
        .paused(true)
        .heartbeat(Duration::from_secs(30))
        .spawn()
        .await
        .unwrap()
}

/// The `connection_id` of the status a connection starts with.
async fn status_id(ws: &mut Ws) -> u64 {
    let status: Value = serde_json::from_str(&next_text(ws).await).unwrap();
    assert_eq!(status["channel"], "status");
    status["data"][0]["connection_id"].as_u64().unwrap()
}

/// Whether the server ended the connection with a close frame (true) or
/// without one (false), skipping text frames.
async fn ends_with_close_frame(ws: &mut Ws) -> bool {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("the connection did not end within 5 s");
        match next {
            Some(Ok(msg)) if msg.is_close() => return true,
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return false,
        }
    }
}

async fn ping(ws: &mut Ws, req_id: u64) {
    send(ws, &format!(r#"{{"method":"ping","req_id":{req_id}}}"#)).await;
    assert_eq!(next_response(ws).await["req_id"], req_id);
}

#[tokio::test]
async fn connections_are_listed_and_faulted_one_at_a_time() {
    let sim = paused().await;
    let opened = sim.next_connection();
    let mut first = connect(&sim.public_url()).await;
    let first_id = status_id(&mut first).await;
    let handle = tokio::time::timeout(Duration::from_secs(5), opened)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(handle.id(), first_id);
    assert_eq!(handle.path(), "/v2");

    let mut second = connect(&sim.private_url()).await;
    let second_id = status_id(&mut second).await;
    let listed: Vec<(u64, String)> = sim
        .connections()
        .iter()
        .map(|c| (c.id(), c.path().to_owned()))
        .collect();
    assert_eq!(
        listed,
        [
            (first_id, "/v2".to_owned()),
            (second_id, "/auth/v2".to_owned())
        ]
    );

    // A cut reaches only the first, without a close frame.
    assert!(handle.cut());
    assert!(!ends_with_close_frame(&mut first).await);
    ping(&mut second, 1).await;

    // A close reaches only the second, with one.
    let mut third = connect(&sim.public_url()).await;
    status_id(&mut third).await;
    let target = sim
        .connections()
        .into_iter()
        .find(|c| c.id() == second_id)
        .unwrap();
    assert!(target.close());
    assert!(ends_with_close_frame(&mut second).await);
    ping(&mut third, 2).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn garbage_and_a_plan_for_one_connection_leave_the_others_alone() {
    let sim = paused().await;
    let mut one = connect(&sim.public_url()).await;
    let one_id = status_id(&mut one).await;
    let mut other = connect(&sim.public_url()).await;
    status_id(&mut other).await;
    let target = sim
        .connections()
        .into_iter()
        .find(|c| c.id() == one_id)
        .unwrap();

    assert!(target.send_garbage());
    let text = next_text(&mut one).await;
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    assert!(target.set_faults(FaultPlan::new().reject_subscriptions(true)));
    let subscribe = |req_id: u64| {
        format!(
            r#"{{"method":"subscribe","params":{{"channel":"ticker","symbol":["BTC/USD"]}},"req_id":{req_id}}}"#
        )
    };
    send(&mut one, &subscribe(1)).await;
    assert_eq!(next_response(&mut one).await["success"], false);
    send(&mut other, &subscribe(2)).await;
    assert_eq!(next_response(&mut other).await["success"], true);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_stalled_connection_sends_nothing_while_others_answer() {
    let sim = paused().await;
    let mut stalled = connect(&sim.public_url()).await;
    let id = status_id(&mut stalled).await;
    let mut other = connect(&sim.public_url()).await;
    status_id(&mut other).await;
    let target = sim
        .connections()
        .into_iter()
        .find(|c| c.id() == id)
        .unwrap();
    assert!(target.stall());
    send(&mut stalled, r#"{"method":"ping","req_id":1}"#).await;
    ping(&mut other, 2).await;
    let quiet = tokio::time::timeout(Duration::from_millis(300), stalled.next()).await;
    assert!(quiet.is_err(), "a stalled connection sent {quiet:?}");
    assert!(target.is_open(), "a stall keeps the socket open");
    sim.shutdown().await;
}

#[tokio::test]
async fn queued_plans_go_to_the_next_connections_in_order() {
    let sim = paused().await;
    sim.fault_next_connection(FaultPlan::new().close_after(1));
    sim.fault_next_connection(FaultPlan::new().reject_subscriptions(true));

    // The first gets only its status, then the close.
    let mut first = connect(&sim.public_url()).await;
    status_id(&mut first).await;
    assert!(ends_with_close_frame(&mut first).await);

    let mut second = connect(&sim.public_url()).await;
    status_id(&mut second).await;
    send(
        &mut second,
        r#"{"method":"subscribe","params":{"channel":"trade","symbol":["ETH/USD"]},"req_id":1}"#,
    )
    .await;
    assert_eq!(
        next_response(&mut second).await["error"],
        "EService:Unavailable"
    );

    // The queue is empty: the third is served as usual.
    let mut third = connect(&sim.public_url()).await;
    status_id(&mut third).await;
    send(
        &mut third,
        r#"{"method":"subscribe","params":{"channel":"trade","symbol":["ETH/USD"]},"req_id":2}"#,
    )
    .await;
    assert_eq!(next_response(&mut third).await["success"], true);
    sim.shutdown().await;
}

#[tokio::test]
async fn connections_are_refused_for_a_while_then_served() {
    let sim = paused().await;
    let period = Duration::from_millis(400);
    let start = Instant::now();
    sim.refuse_connections_for(period);
    let url = sim.public_url();
    let mut refused = 0;
    let mut ws = loop {
        let attempt = ClientBuilder::from_uri(url.parse().unwrap())
            .connect()
            .await;
        match attempt {
            Ok((ws, _)) => break ws,
            Err(_) => {
                refused += 1;
                assert!(
                    start.elapsed() < Duration::from_secs(5),
                    "still refused after 5 s"
                );
                // Pacing between attempts, not a wait for an event.
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    };
    assert!(refused > 0, "the first attempt was served");
    assert!(
        start.elapsed() >= period,
        "served after {:?}",
        start.elapsed()
    );
    ping(&mut ws, 1).await;

    // A zero period ends a refusal at once.
    sim.refuse_connections_for(Duration::from_secs(3600));
    assert!(
        ClientBuilder::from_uri(url.parse().unwrap())
            .connect()
            .await
            .is_err()
    );
    sim.refuse_connections_for(Duration::ZERO);
    let mut ws = connect(&url).await;
    status_id(&mut ws).await;
    sim.shutdown().await;
}

/// A refused connection ends with a TCP reset, as a server that refuses it
/// would, not with a clean end of stream.
#[tokio::test]
async fn a_refused_connection_is_reset() {
    use tokio::io::AsyncReadExt;
    let sim = paused().await;
    sim.refuse_connections(1);
    let url = sim.public_url();
    let host_port = url.trim_start_matches("ws://").split('/').next().unwrap();
    let mut tcp = tokio::net::TcpStream::connect(host_port).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("neither data nor an end within 5 s");
    assert_eq!(
        read.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
    // The count is used up: the next attempt is served.
    let mut ws = connect(&sim.public_url()).await;
    status_id(&mut ws).await;
    sim.shutdown().await;
}
