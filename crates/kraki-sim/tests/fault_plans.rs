//! Lasting faults ([`FaultPlan`]) over real sockets: a close after N
//! messages, acks held back or never sent, subscriptions refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Ws, connect, drain, next_response, next_text, send};
use futures_util::StreamExt;
use kraki_sim::{FaultPlan, SUBSCRIPTION_REJECTED, SimHandle, Simulator};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A simulator that moves only when told, so every frame is accounted for.
async fn paused(plan: FaultPlan) -> SimHandle {
    Simulator::builder()
        .paused(true)
        .heartbeat(Duration::from_secs(30))
        .faults(plan)
        .spawn()
        .await
        .unwrap()
}

/// Reads until the server ends the connection: the text frames before the
/// end, and whether it ended with a close frame.
async fn until_end(ws: &mut Ws) -> (Vec<String>, bool) {
    let mut texts = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("the connection did not end within 5 s");
        match next {
            Some(Ok(msg)) if msg.is_close() => return (texts, true),
            Some(Ok(msg)) => {
                if let Some(t) = msg.as_text() {
                    texts.push(t.to_owned());
                }
            }
            Some(Err(_)) | None => return (texts, false),
        }
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn a_connection_closes_with_a_close_frame_after_its_message_count() {
    // The status on connect is the first of the three.
    let sim = paused(FaultPlan::new().close_after(3)).await;
    let mut ws = connect(&sim.public_url()).await;
    for req_id in 1..=5 {
        send(
            &mut ws,
            &format!(r#"{{"method":"ping","req_id":{req_id}}}"#),
        )
        .await;
    }
    let (texts, closed) = until_end(&mut ws).await;
    assert!(closed, "ended without a close frame");
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert_eq!(json(&texts[0])["channel"], "status");
    assert_eq!(json(&texts[1])["req_id"], 1);
    assert_eq!(json(&texts[2])["req_id"], 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_count_of_a_plan_set_at_runtime_starts_when_it_arrives() {
    let sim = paused(FaultPlan::default()).await;
    let mut ws = connect(&sim.public_url()).await;
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");
    send(&mut ws, r#"{"method":"ping","req_id":1}"#).await;
    assert_eq!(next_response(&mut ws).await["req_id"], 1);

    sim.set_faults(FaultPlan::new().close_after(2));
    // Every connection follows the new plan, so a new one closes too.
    let mut fresh = connect(&sim.public_url()).await;
    for req_id in 2..=4 {
        send(
            &mut ws,
            &format!(r#"{{"method":"ping","req_id":{req_id}}}"#),
        )
        .await;
    }
    let (texts, closed) = until_end(&mut ws).await;
    assert!(closed);
    let ids: Vec<Value> = texts.iter().map(|t| json(t)["req_id"].clone()).collect();
    assert_eq!(ids, [2, 3]);
    send(&mut fresh, r#"{"method":"ping","req_id":9}"#).await;
    let (texts, closed) = until_end(&mut fresh).await;
    assert!(closed);
    assert_eq!(texts.len(), 2, "status and one pong: {texts:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn delayed_acks_come_late_and_keep_the_wire_order() {
    let delay = Duration::from_millis(400);
    // A running market, so that updates are published while the ack is
    // held and must queue behind it.
    let sim = Simulator::builder()
        .rate(500.0)
        .heartbeat(Duration::from_secs(30))
        .faults(FaultPlan::new().delay_acks(delay))
        .spawn()
        .await
        .unwrap();
    let mut ws = connect(&sim.public_url()).await;
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");

    let sent = Instant::now();
    send(&mut ws, r#"{"method":"ping","req_id":1}"#).await;
    assert_eq!(next_response(&mut ws).await["method"], "pong");
    assert!(sent.elapsed() >= delay, "pong after {:?}", sent.elapsed());

    let sent = Instant::now();
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]},"req_id":2}"#,
    )
    .await;
    let ack = json(&next_text(&mut ws).await);
    assert!(sent.elapsed() >= delay, "ack after {:?}", sent.elapsed());
    assert_eq!(ack["method"], "subscribe");
    assert_eq!(ack["success"], true);
    let snapshot = json(&next_text(&mut ws).await);
    assert_eq!(snapshot["type"], "snapshot");
    let update = json(&next_text(&mut ws).await);
    assert_eq!(update["channel"], "book");
    assert_eq!(update["type"], "update");
    sim.shutdown().await;
}

#[tokio::test]
async fn dropped_acks_leave_data_flowing() {
    let sim = paused(FaultPlan::new().drop_acks(true)).await;
    let mut ws = connect(&sim.public_url()).await;
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]},"req_id":1}"#,
    )
    .await;
    send(&mut ws, r#"{"method":"ping","req_id":2}"#).await;
    // The subscription took effect: its snapshot is the next frame.
    let snapshot = json(&next_text(&mut ws).await);
    assert_eq!(snapshot["channel"], "book");
    assert_eq!(snapshot["type"], "snapshot");
    sim.advance(50).await;
    let frames = drain(&mut ws, Duration::from_millis(300)).await;
    let updates = frames
        .iter()
        .filter(|f| json(f)["type"] == "update")
        .count();
    assert!(updates > 0, "no updates: {frames:?}");
    let responses: Vec<&String> = frames
        .iter()
        .filter(|f| {
            let v = json(f);
            v.get("method").is_some() || v.get("success").is_some()
        })
        .collect();
    assert!(responses.is_empty(), "responses sent: {responses:?}");

    // Cleared, the connection answers again.
    sim.set_faults(FaultPlan::default());
    send(&mut ws, r#"{"method":"ping","req_id":3}"#).await;
    assert_eq!(next_response(&mut ws).await["req_id"], 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn rejected_subscriptions_get_kraken_errors_per_symbol_and_no_data() {
    let sim = paused(FaultPlan::new().reject_subscriptions(true)).await;
    let mut ws = connect(&sim.public_url()).await;
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD","ETH/USD"]},"req_id":4}"#,
    )
    .await;
    let mut symbols = Vec::new();
    for _ in 0..2 {
        let error = next_response(&mut ws).await;
        assert_eq!(error["method"], "subscribe");
        assert_eq!(error["success"], false);
        assert_eq!(error["req_id"], 4);
        assert_eq!(error["error"], SUBSCRIPTION_REJECTED);
        assert_eq!(SUBSCRIPTION_REJECTED, "EService:Unavailable");
        symbols.push(error["symbol"].as_str().unwrap().to_owned());
    }
    assert_eq!(symbols, ["BTC/USD", "ETH/USD"]);

    // A channel without symbols gets one error without `symbol`.
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"instrument"},"req_id":5}"#,
    )
    .await;
    let error = next_response(&mut ws).await;
    assert_eq!(error["error"], SUBSCRIPTION_REJECTED);
    assert!(error.get("symbol").is_none(), "{error}");

    // Nothing was subscribed.
    sim.advance(50).await;
    let frames = drain(&mut ws, Duration::from_millis(300)).await;
    assert!(frames.is_empty(), "{frames:?}");

    // Lifted, the same subscribe works.
    sim.set_faults(FaultPlan::default());
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]},"req_id":6}"#,
    )
    .await;
    let ack = next_response(&mut ws).await;
    assert_eq!(ack["success"], true, "{ack}");
    sim.shutdown().await;
}
