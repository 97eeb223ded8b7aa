//! Callback style: handlers by message type (`Client::on`, on a thread of
//! their own; `Client::on_async`, as a task) and a task of your own that
//! lives on the same runtime as long as the client.
//!
//! Runs offline against the embedded simulator:
//!
//! `cargo run -p kraki --example handlers_and_tasks`

use kraki::{Client, Ticker, TickerUpdate, TradeUpdate, Trades};
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// The pairs followed.
const SYMBOLS: [&str; 2] = ["BTC/USD", "SOL/USD"];

/// What reached the handlers and the task.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Ticker updates handled.
    pub(crate) tickers: usize,
    /// Trade messages handled.
    pub(crate) trades: usize,
    /// Reports the user task printed.
    pub(crate) reports: usize,
}

/// What a handler saw, sent to `run`.
enum Seen {
    Ticker,
    Trades,
}

/// Runs handlers and a reporting task against `public_url` until at
/// least `wanted` ticker updates and `wanted` trade messages were handled.
pub(crate) async fn run(public_url: &str, wanted: usize) -> Result<Counts, Box<dyn Error>> {
    let client = Client::builder().public_url(public_url).connect().await?;
    let (seen_tx, mut seen) = mpsc::unbounded_channel();

    // On a thread of its own: a slow or blocking handler never holds up
    // the socket reader (it would fall behind and lose messages instead).
    let tx = seen_tx.clone();
    client.on::<TickerUpdate>(move |u| {
        println!("ticker {} last {}", u.ticker.symbol, u.ticker.last);
        let _ = tx.send(Seen::Ticker);
    })?;
    // Async: each call is awaited before the next message is handed over.
    client.on_async::<TradeUpdate, _, _>(move |u| {
        let tx = seen_tx.clone();
        async move {
            for t in &u.trades {
                println!("trade {} {} {} @ {}", t.symbol, t.side, t.qty, t.price);
            }
            let _ = tx.send(Seen::Trades);
        }
    })?;
    // Handlers get the messages of the client's subscriptions: these two
    // keep the wire subscriptions open (dropping them unsubscribes).
    let _tickers = client.subscribe(Ticker::new(SYMBOLS)).await?;
    let _trades = client.subscribe(Trades::new(SYMBOLS)).await?;

    // A task of your own, on the same runtime: `close` ends it.
    let reports = Arc::new(AtomicUsize::new(0));
    let task_reports = reports.clone();
    client.spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(250));
        loop {
            every.tick().await;
            let n = task_reports.fetch_add(1, Ordering::Relaxed) + 1;
            println!("report {n}: still running");
        }
    });

    let mut counts = Counts::default();
    while counts.tickers < wanted || counts.trades < wanted {
        let next = tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await?
            .ok_or("the handlers stopped")?;
        match next {
            Seen::Ticker => counts.tickers += 1,
            Seen::Trades => counts.trades += 1,
        }
    }
    client.close().await;
    counts.reports = reports.load(Ordering::Relaxed);
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
    println!("{counts:?}");
    sim.shutdown().await;
    Ok(())
}
