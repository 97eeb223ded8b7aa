//! Follows a verified order book (every message checked against Kraken's
//! CRC32 checksum, resynchronised by itself on a mismatch) and prints its
//! top a few times.
//!
//! Runs offline against the embedded simulator:
//!
//! `cargo run -p kraki --example verified_book`

use kraki::proto::book::Level;
use kraki::{BookStatus, Client};
use std::error::Error;
use std::time::Duration;

/// The top of the book at one look.
#[derive(Debug)]
pub(crate) struct Top {
    pub(crate) bid: Level,
    pub(crate) ask: Level,
    /// Messages verified so far.
    pub(crate) verified: u64,
    /// Checksum mismatches so far.
    pub(crate) mismatches: u64,
}

/// Looks at the live book of `symbol` `looks` times, a fifth of a second
/// apart, printing its best bid and ask.
pub(crate) async fn run(
    public_url: &str,
    symbol: &str,
    looks: usize,
) -> Result<Vec<Top>, Box<dyn Error>> {
    let client = Client::builder().public_url(public_url).connect().await?;
    // Depth 10: the levels kept and checksummed per side.
    let mut book = client.book(symbol, 10).await?;
    let mut tops = Vec::new();
    while tops.len() < looks {
        let state = tokio::time::timeout(Duration::from_secs(5), book.changed()).await??;
        // Between a mismatch or a reconnect and the next snapshot the
        // levels are stale: only a live book is worth printing.
        if state.status != BookStatus::Live {
            println!("{symbol}: {:?}", state.status);
            continue;
        }
        let (Some(bid), Some(ask)) = (state.book.best_bid(), state.book.best_ask()) else {
            continue;
        };
        println!(
            "{symbol} bid {} x {}  ask {} x {}  ({} verified, {} mismatched)",
            bid.price, bid.qty, ask.price, ask.qty, state.verified, state.mismatches
        );
        tops.push(Top {
            bid,
            ask,
            verified: state.verified,
            mismatches: state.mismatches,
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.close().await;
    Ok(tops)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let sim = kraki_sim::Simulator::builder().seed(7).spawn().await?;
    let tops = run(&sim.public_url(), "BTC/USD", 5).await?;
    if let (Some(first), Some(last)) = (tops.first(), tops.last()) {
        println!(
            "best bid {} -> {}, best ask {} -> {}; {} messages verified, {} mismatched",
            first.bid.price,
            last.bid.price,
            first.ask.price,
            last.ask.price,
            last.verified,
            last.mismatches
        );
    }
    sim.shutdown().await;
    Ok(())
}
