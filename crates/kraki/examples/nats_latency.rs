//! Reads the book updates a `kraki relay` publishes for the pairs named
//! and reports messages per second and the latency from the exchange's
//! timestamp to this consumer, p50 and p99. Needs the `nats` feature:
//!
//! ```sh
//! cargo run --release -p kraki --features nats --example nats_latency -- \
//!     nats://127.0.0.1:4222 10 BTC/USD ETH/USD
//! ```
//!
//! Arguments: the NATS URL, seconds to measure, then the pairs. Exchange
//! and consumer must share a clock (the same machine).

use kraki::Book;
use kraki::nats::{Start, subscribe};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: nats_latency URL SECONDS PAIR…")?;
    let seconds: u64 = args.next().ok_or("missing SECONDS")?.parse()?;
    let pairs: Vec<String> = args.collect();
    let updates = subscribe(
        &url,
        Book::new(pairs.iter().map(String::as_str)),
        Start::New,
    )
    .await?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut latencies_us = Vec::new();
    while let Ok(Some(update)) = tokio::time::timeout_at(until.into(), updates.next()).await {
        let Some(sent) = update.book.timestamp else {
            continue;
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as i128;
        latencies_us.push(((now - sent.unix_nanos()) / 1_000) as i64);
    }
    latencies_us.sort_unstable();
    let at = |q: f64| {
        latencies_us
            .get(((latencies_us.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "{} book updates in {seconds} s ({:.0}/s); exchange timestamp to consumer: p50 {} µs, p99 {} µs",
        latencies_us.len(),
        latencies_us.len() as f64 / seconds as f64,
        at(0.5),
        at(0.99)
    );
    Ok(())
}
