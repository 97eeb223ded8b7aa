//! An authenticated bot: it arms the dead man's switch, places a resting
//! limit order, watches its execution reports, then stops refreshing the
//! switch, as a bot that hangs or loses its network would, and sees the
//! exchange cancel the order.
//!
//! Runs offline against the embedded simulator and its demo account:
//!
//! `cargo run -p kraki --example trading_bot`

use futures_util::StreamExt;
use kraki::proto::Side;
use kraki::proto::channels::OrderStatus;
use kraki::{BookStatus, Client, Credentials, Event, Executions, Order};
use std::error::Error;
use std::time::{Duration, Instant};

/// The switch's timeout. Kraken recommends 60 s; 2 s lets the example see
/// it fire without waiting a minute.
const SWITCH: Duration = Duration::from_secs(2);

/// What happened to the order.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Kraken's id of the order placed.
    pub(crate) order_id: String,
    /// Its statuses in the execution reports, in order.
    pub(crate) statuses: Vec<OrderStatus>,
    /// From stopping the refreshes to the cancel report.
    pub(crate) canceled_after: Duration,
}

/// The next execution report about `order_id`, waiting at most 10 s.
async fn next_status(
    executions: &mut kraki::Subscription<kraki::ExecutionsUpdate>,
    order_id: &str,
) -> Result<OrderStatus, Box<dyn Error>> {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), executions.next())
            .await?
            .ok_or("the executions stream ended")?;
        let Event::Data(update) = event else { continue };
        if let Some(report) = update
            .reports
            .into_iter()
            .find(|r| r.order_id.as_str() == order_id)
        {
            return Ok(report.order_status);
        }
    }
}

/// Trades on the endpoints at `auth_url` (WebSocket) and `rest_url`
/// (tokens, order rules), reading its market from `public_url`.
pub(crate) async fn run(
    public_url: &str,
    auth_url: &str,
    rest_url: &str,
    credentials: Credentials,
) -> Result<Outcome, Box<dyn Error>> {
    // A price well below the market, so that the order rests.
    let market = Client::builder().public_url(public_url).connect().await?;
    let mut book = market.book("BTC/USD", 10).await?;
    let best_bid = loop {
        let state = tokio::time::timeout(Duration::from_secs(5), book.changed()).await??;
        if let (BookStatus::Live, Some(bid)) = (state.status, state.book.best_bid()) {
            break bid.price;
        }
    };
    market.close().await;
    let price = best_bid
        .checked_sub("1000".parse()?)
        .ok_or("price out of range")?;

    // The token comes from REST and is renewed on every reconnect.
    let client = Client::builder()
        .auth_url(auth_url)
        .rest_url(rest_url)
        .credentials(credentials)
        .connect_auth()
        .await?;
    let mut executions = client.subscribe(Executions::new()).await?;
    let switch = client.keep_dead_man_switch(SWITCH).await?;
    // Checked against the pair's increments and minimums before sending.
    let placed = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", "0.01".parse()?, price).post_only())
        .await?;
    let order_id = placed.order_id.as_str().to_owned();
    println!("placed {order_id}: buy 0.01 BTC/USD at {price} (best bid {best_bid})");

    // Pending first, then resting on the book.
    let mut statuses = Vec::new();
    while statuses.last() != Some(&OrderStatus::New) {
        let status = next_status(&mut executions, &order_id).await?;
        println!("{order_id}: {status}");
        statuses.push(status);
    }

    // The bot "hangs": dropping the keeper stops the refreshes and leaves
    // the switch armed, so the exchange cancels every order when it fires.
    drop(switch);
    let stopped = Instant::now();
    while statuses.last() != Some(&OrderStatus::Canceled) {
        let status = next_status(&mut executions, &order_id).await?;
        println!("{order_id}: {status}");
        statuses.push(status);
    }
    let canceled_after = stopped.elapsed();
    client.close().await;
    Ok(Outcome {
        order_id,
        statuses,
        canceled_after,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let sim = kraki_sim::Simulator::builder().seed(7).spawn().await?;
    // The simulator's demo account; a real bot reads its key from the
    // environment (`Credentials::from_env`) and never prints it.
    let credentials = Credentials::new(kraki_sim::DEMO_API_KEY, kraki_sim::DEMO_API_SECRET)?;
    let outcome = run(
        &sim.public_url(),
        &sim.private_url(),
        &sim.rest_url(),
        credentials,
    )
    .await?;
    let statuses: Vec<&str> = outcome.statuses.iter().map(|s| s.as_str()).collect();
    println!(
        "{}: {} ({:.1} s after the bot stopped refreshing the switch)",
        outcome.order_id,
        statuses.join(" -> "),
        outcome.canceled_after.as_secs_f64()
    );
    sim.shutdown().await;
    Ok(())
}
