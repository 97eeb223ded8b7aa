//! The `kraki` command.

mod block_frames;
mod coalescing;
mod commands;
mod interrupt;
mod line_blocks;
mod lines;
mod logging;
mod summary;
mod tui;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

// The relay allocates each message's frame as it is verified and frees it
// when JetStream acks it, hundreds at a time: glibc's malloc sent most of
// those frees down its slow path (12% of the relay's CPU, 5% with
// mimalloc). Without transparent huge pages (`no_thp`): with them, every
// kraki process held 20 MB more (`kraki verify` of a small recording 33 MB
// against glibc's 11, now 13). The library leaves the allocator to the
// program.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tools for Kraken's WebSocket API v2.
#[derive(Parser)]
#[command(name = "kraki", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode frames (one per line) and print each one's kind or typed JSON.
    Decode(commands::decode::Args),
    /// The embedded simulator, the real client and a live terminal view.
    Demo(commands::demo::Args),
    /// Record every frame of a subscription, with receive times.
    Record(commands::record::Args),
    /// Serve a recording as a Kraken-compatible endpoint.
    Replay(commands::replay::Args),
    /// Verify every book and level3 checksum of a recording.
    Verify(commands::verify::Args),
    /// Print one line per typed message of a public channel.
    Stream(commands::stream::Args),
    /// Print a pair's candles from REST OHLC, following its pages to the end.
    Candles(commands::candles::Args),
    /// Follow a verified order book (one line per applied message).
    Book(commands::book::Args),
    /// Publish verified channels into NATS JetStream (stream KRAKI).
    Relay(commands::relay::Args),
    /// Run the local Kraken simulator (public, private, level3 and REST on one port).
    Sim(commands::sim::Args),
    /// Trade: add, amend, cancel, cancel-all, cancel-after, batch, batch-cancel.
    Order(commands::order::Args),
    /// Print own balances and ledger entries.
    Balances(commands::private_stream::BalancesArgs),
    /// Print own order reports and fills.
    Executions(commands::private_stream::ExecutionsArgs),
    /// Print own closed orders, trades or ledger entries over REST.
    History(commands::history::Args),
}

/// Connects the client (through the proxy the environment names, if any),
/// with the first connection's error made clear.
async fn connect(url: &str) -> anyhow::Result<kraki::Client> {
    kraki::Client::builder()
        .public_url(url)
        .proxy_from_env()
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => commands::decode::run(&args),
        Command::Sim(args) => commands::sim::run(&args),
        Command::Stream(args) => commands::stream::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Demo(args) => commands::demo::run(&args),
        Command::Record(args) => commands::record::run(&args),
        Command::Replay(args) => commands::replay::run(&args),
        Command::Book(args) => commands::book::run(&args),
        Command::Candles(args) => commands::candles::run(&args),
        Command::Relay(args) => commands::relay::run(&args),
        Command::Order(args) => commands::order::run(&args),
        Command::Balances(args) => commands::private_stream::balances(&args),
        Command::Executions(args) => commands::private_stream::executions(&args),
        Command::History(args) => commands::history::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("kraki: {err:#}");
            ExitCode::from(2)
        }
    }
}
