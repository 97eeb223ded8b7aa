//! Subscribes to the ticker of two pairs and prints updates until each
//! pair has had a few.
//!
//! Runs offline against the embedded simulator:
//!
//! `cargo run -p kraki --example ticker_stream`

use futures_util::StreamExt;
use kraki::{Client, Event, Ticker};
use std::collections::BTreeMap;
use std::error::Error;
use std::time::Duration;

/// The pairs followed.
pub(crate) const SYMBOLS: [&str; 2] = ["BTC/USD", "ETH/USD"];

/// Ticker updates received, per pair.
pub(crate) type Counts = BTreeMap<String, usize>;

/// Prints ticker updates from the endpoint at `public_url` until every
/// pair of [`SYMBOLS`] has had `per_symbol` of them.
pub(crate) async fn run(public_url: &str, per_symbol: usize) -> Result<Counts, Box<dyn Error>> {
    let client = Client::builder().public_url(public_url).connect().await?;
    let mut ticker = client.subscribe(Ticker::new(SYMBOLS)).await?;
    let mut counts: Counts = SYMBOLS.iter().map(|s| (s.to_string(), 0)).collect();
    while counts.values().any(|&n| n < per_symbol) {
        // The client reconnects by itself, so a stream can stay quiet for
        // a while; an example gives up instead of waiting forever.
        let event = tokio::time::timeout(Duration::from_secs(5), ticker.next())
            .await?
            .ok_or("the subscription ended")?;
        match event {
            Event::Data(update) => {
                let t = &update.ticker;
                println!(
                    "{} {} bid {} ask {} last {}",
                    t.symbol, update.kind, t.bid, t.ask, t.last
                );
                *counts.entry(t.symbol.to_string()).or_default() += 1;
            }
            Event::Lagged(n) => println!("fell behind: {n} updates dropped"),
            other => println!("connection event: {other:?}"),
        }
    }
    client.close().await;
    Ok(counts)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let sim = kraki_sim::Simulator::builder()
        .seed(7)
        .rate(400.0)
        .spawn()
        .await?;
    let counts = run(&sim.public_url(), 5).await?;
    println!("updates per pair: {counts:?}");
    sim.shutdown().await;
    Ok(())
}
