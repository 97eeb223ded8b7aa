//! What the client's integration tests share: waiting on streams with a
//! deadline, clients pointed at a sim, the demo credentials.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub(crate) mod connect_proxy;
#[cfg(feature = "nats")]
pub(crate) mod nats_jwt;
#[cfg(feature = "nats")]
pub(crate) mod nats_server;
#[cfg(feature = "nats")]
pub(crate) mod pki;
#[cfg(feature = "metrics")]
pub(crate) mod recorder;

use futures_util::StreamExt;
use kraki::proto::Decimal;
use kraki::{Client, Credentials, Event, Subscription};
use kraki_sim::{DEMO_API_KEY, DEMO_API_SECRET, SimHandle};
use std::time::Duration;

/// Longer than anything the sim does on loopback: a test that waits this
/// long has failed.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// The next item of a stream, data or connection event.
pub(crate) async fn next_event<T: 'static>(sub: &mut Subscription<T>) -> Event<T> {
    tokio::time::timeout(PATIENCE, sub.next())
        .await
        .expect("no event within 10 s")
        .expect("stream ended")
}

/// The next data item of a stream, skipping connection events.
pub(crate) async fn next_data<T: 'static>(sub: &mut Subscription<T>) -> T {
    loop {
        if let Event::Data(d) = next_event(sub).await {
            return d;
        }
    }
}

/// Reads `sub` until `Reconnected`; returns the reconnect events seen, in
/// order (data in between is skipped).
pub(crate) async fn until_reconnected<T: 'static>(sub: &mut Subscription<T>) -> Vec<&'static str> {
    let mut seen = Vec::new();
    loop {
        match next_event(sub).await {
            Event::Reconnecting => seen.push("reconnecting"),
            Event::Reconnected => {
                seen.push("reconnected");
                return seen;
            }
            _ => {}
        }
    }
}

/// A client on the sim's public endpoint, with the default settings.
pub(crate) async fn public_client(sim: &SimHandle) -> Client {
    Client::builder()
        .public_url(sim.public_url())
        .connect()
        .await
        .unwrap()
}

/// A client on the sim's public endpoint that reconnects within tens of
/// milliseconds, for tests that break connections.
pub(crate) async fn retrying_client(sim: &SimHandle) -> Client {
    Client::builder()
        .public_url(sim.public_url())
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .connect()
        .await
        .unwrap()
}

/// The sim's demo account.
pub(crate) fn demo() -> Credentials {
    Credentials::new(DEMO_API_KEY, DEMO_API_SECRET).unwrap()
}

/// An exact decimal from its text.
pub(crate) fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}
