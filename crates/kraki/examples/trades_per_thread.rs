//! Each symbol's trades processed on its own thread.
//!
//! Runs offline against an embedded simulator; set `KRAKI_URL` (e.g.
//! `wss://ws.kraken.com/v2`) to use a real endpoint instead:
//!
//! `cargo run -p kraki --example trades_per_thread`

use kraki::{Client, Event, Trades, fan};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let symbols = ["BTC/USD", "ETH/USD", "SOL/USD"];
    let (url, _sim) = match std::env::var("KRAKI_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let sim = kraki_sim::Simulator::builder().rate(300.0).spawn().await?;
            (sim.public_url(), Some(sim))
        }
    };
    let client = Client::builder().public_url(url).connect().await?;
    let trades = client.subscribe(Trades::new(symbols)).await?;
    // One worker per symbol: a symbol's trades always reach the same worker.
    let workers = fan::shard(trades, symbols.len(), 1024, |u: &kraki::TradeUpdate| {
        u.trades.first().map(|t| t.symbol.clone())
    });
    let handles: Vec<_> = workers
        .into_iter()
        .enumerate()
        .map(|(n, rx)| {
            std::thread::spawn(move || {
                let mut count = 0;
                while let Some(event) = rx.recv_timeout(Duration::from_secs(3)) {
                    if let Event::Data(update) = event {
                        for t in &update.trades {
                            println!(
                                "worker {n}: {} {} {} @ {}",
                                t.symbol, t.side, t.qty, t.price
                            );
                            count += 1;
                        }
                    }
                    if count >= 10 {
                        break;
                    }
                }
                count
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    client.close().await;
    Ok(())
}
