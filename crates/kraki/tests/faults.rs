//! The remaining simulator faults: malformed frames, refused connects,
//! subscriptions acknowledged but silent, and a consumer that lags.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{next_data, next_event, public_client, retrying_client, until_reconnected};
use kraki::{Client, Event, Ticker, Trades};
use kraki_sim::Simulator;
use std::time::Duration;

#[tokio::test]
async fn a_malformed_frame_is_skipped_without_a_reconnect() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let mut sub = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    next_event(&mut sub).await;
    sim.send_garbage();
    for _ in 0..5 {
        let e = next_event(&mut sub).await;
        assert!(matches!(e, Event::Data(_)), "{e:?}");
    }
    client.close().await;
}

#[tokio::test]
async fn refused_reconnects_are_retried_until_one_works() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = retrying_client(&sim).await;
    let mut sub = client.subscribe(Trades::new(["ETH/USD"])).await.unwrap();
    next_event(&mut sub).await;
    sim.refuse_connections(4);
    sim.cut_connections();
    assert_eq!(
        until_reconnected(&mut sub).await,
        ["reconnecting", "reconnected"]
    );
    assert!(matches!(next_event(&mut sub).await, Event::Data(_)));
    client.close().await;
}

#[tokio::test]
async fn acked_but_silent_is_resubscribed_then_reconnected() {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = Client::builder()
        .public_url(sim.public_url())
        .request_timeout(Duration::from_millis(400))
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    sim.mute_subscriptions(true);
    let mut sub = client.subscribe(Ticker::new(["SOL/USD"])).await.unwrap();
    // Silent: resubscribed once (still muted), then the connection is
    // replaced; unmuted by then, data flows again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    sim.mute_subscriptions(false);
    let mut reconnected = false;
    loop {
        match next_event(&mut sub).await {
            Event::Reconnected => reconnected = true,
            Event::Data(t) => {
                assert_eq!(t.ticker.symbol, "SOL/USD");
                break;
            }
            _ => {}
        }
    }
    assert!(reconnected, "a silent subscription led to a new connection");
    client.close().await;
}

/// A client whose subscriptions queue at most 4 data events.
async fn client_with_queue_of_4(sim: &kraki_sim::SimHandle) -> Client {
    Client::builder()
        .public_url(sim.public_url())
        .queue_capacity(4)
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_slow_consumer_gets_lagged_with_the_count() {
    let sim = Simulator::builder().rate(2000.0).spawn().await.unwrap();
    let client = client_with_queue_of_4(&sim).await;
    let mut sub = client
        .subscribe(kraki::Book::new(["BTC/USD", "ETH/USD", "SOL/USD"]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut lagged = 0;
    for _ in 0..10 {
        if let Event::Lagged(n) = next_event(&mut sub).await {
            lagged += n;
        }
    }
    assert!(lagged > 0, "nothing reported as dropped");
    client.close().await;
}

#[tokio::test]
async fn a_full_queue_still_gets_every_connection_event_in_order() {
    use kraki_sim::SystemStatus;
    let sim = Simulator::builder().rate(2000.0).spawn().await.unwrap();
    let client = client_with_queue_of_4(&sim).await;
    let mut sub = client
        .subscribe(kraki::Book::new(["BTC/USD", "ETH/USD"]))
        .await
        .unwrap();
    // A second subscription, read, shows when each thing has happened.
    let mut watcher = client.subscribe(Ticker::new(["SOL/USD"])).await.unwrap();
    // Nobody reads `sub`: its queue fills with data and more is dropped,
    // then the connection is cut and comes back, and Kraken's status
    // changes.
    tokio::time::timeout(Duration::from_secs(10), async {
        while sub.queued() < 4 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the queue did not fill");
    tokio::time::sleep(Duration::from_millis(200)).await;
    sim.cut_connections();
    until_reconnected(&mut watcher).await;
    sim.set_status(SystemStatus::Maintenance);
    loop {
        if let Event::Status(SystemStatus::Maintenance) = next_event(&mut watcher).await {
            break;
        }
    }

    // What was queued while nobody read: at most the capacity of data.
    let name = |event| match event {
        Event::Data(_) => "data",
        Event::Lagged(_) => "lagged",
        Event::Reconnecting => "reconnecting",
        Event::Reconnected => "reconnected",
        Event::Status(SystemStatus::Maintenance) => "maintenance",
        _ => "other",
    };
    let mut seen = Vec::new();
    while let Some(event) = sub.try_recv() {
        seen.push(name(event));
    }
    let data = seen.iter().filter(|&&e| e == "data").count();
    assert!(data <= 4, "{data} data events in a queue of 4");
    // `sub`'s own re-ack may still be on its way on a loaded machine.
    tokio::time::timeout(Duration::from_secs(10), async {
        while !seen.contains(&"reconnected") {
            seen.push(name(next_event(&mut sub).await));
        }
    })
    .await
    .expect("no Reconnected within 10 s");
    let order: Vec<&str> = seen
        .iter()
        .copied()
        .filter(|&e| e != "data" && e != "other")
        .collect();
    let position = |name| order.iter().position(|&e| e == name);
    let (Some(lagged), Some(lost), Some(back), Some(maintenance)) = (
        position("lagged"),
        position("reconnecting"),
        position("reconnected"),
        position("maintenance"),
    ) else {
        panic!("a connection event was dropped: {order:?}");
    };
    // `sub` may be re-acked after the status message came: the status
    // follows the loss, not necessarily its own `Reconnected`.
    assert!(
        lagged < lost && lost < back && lost < maintenance,
        "{order:?}"
    );
    client.close().await;
}

#[tokio::test]
async fn a_status_change_reaches_every_stream_and_the_status_watch() {
    use kraki_sim::SystemStatus;
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let mut tickers = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    let mut trades = client.subscribe(Trades::new(["ETH/USD"])).await.unwrap();
    let mut watch = client.status();
    assert_eq!(watch.latest().map(|s| s.system), Some(SystemStatus::Online));
    next_event(&mut tickers).await;

    sim.set_status(SystemStatus::Maintenance);
    async fn status_of<T: 'static>(sub: &mut kraki::Subscription<T>) -> SystemStatus {
        loop {
            if let Event::Status(s) = next_event(sub).await {
                return s;
            }
        }
    }
    assert_eq!(status_of(&mut tickers).await, SystemStatus::Maintenance);
    assert_eq!(status_of(&mut trades).await, SystemStatus::Maintenance);
    let changed = tokio::time::timeout(Duration::from_secs(5), watch.changed())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.map(|s| s.system), Some(SystemStatus::Maintenance));

    sim.set_status(SystemStatus::Online);
    assert_eq!(status_of(&mut tickers).await, SystemStatus::Online);
    // Data keeps flowing after the status events, on the same connection.
    loop {
        match next_event(&mut tickers).await {
            Event::Data(_) => break,
            Event::Reconnecting | Event::Reconnected => panic!("a status change reconnected"),
            _ => {}
        }
    }
    client.close().await;
}

#[tokio::test]
async fn a_connection_handler_hears_every_connection_event_in_order() {
    use kraki::ConnectionEvent;
    use kraki_sim::SystemStatus;
    let sim = Simulator::builder().rate(200.0).spawn().await.unwrap();
    let client = public_client(&sim).await;
    let (tx, rx) = std::sync::mpsc::channel();
    client
        .on_connection(move |event| {
            let _ = tx.send(event);
        })
        .unwrap();
    let mut ticker = client.subscribe(Ticker::new(["BTC/USD"])).await.unwrap();
    next_data(&mut ticker).await;
    sim.cut_connections();
    until_reconnected(&mut ticker).await;
    sim.set_status(SystemStatus::Maintenance);
    let heard = tokio::task::spawn_blocking(move || {
        let mut heard = Vec::new();
        while heard.len() < 3 {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(event) => heard.push(event),
                Err(_) => break,
            }
        }
        heard
    })
    .await
    .unwrap();
    assert_eq!(
        heard,
        [
            ConnectionEvent::Reconnecting,
            ConnectionEvent::Reconnected,
            ConnectionEvent::Status(SystemStatus::Maintenance)
        ]
    );
    client.close().await;
}
