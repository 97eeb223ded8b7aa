//! `kraki stream CHANNEL --symbol S [--symbol S2 …] [--depth D]
//! [--interval I] [--url URL] [--count N] [--json]`.

use super::channel_args::PublicChannel;
use crate::summary::Summary as _;
use futures_util::StreamExt;
use kraki::{Book, Client, Event, Instrument, Ohlc, Subscribe, Ticker, Trades};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

/// Arguments of `kraki stream`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    sub: super::channel_args::ChannelArgs,
    /// Stop after this many data messages.
    #[arg(long)]
    count: Option<u64>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

/// Prints one line per typed message until `--count` or Ctrl-C.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    crate::logging::init();
    // Checked before connecting: a typo is no reason to reach Kraken.
    let channel = args.sub.check()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let client = crate::connect(&args.sub.url).await?;
        let symbols = args.sub.symbols.clone();
        let name = channel.name();
        let (json, count) = (args.json, args.count);
        match channel {
            PublicChannel::Ticker => print(&client, Ticker::new(symbols), name, json, count).await,
            PublicChannel::Book => {
                let mut spec = Book::new(symbols);
                if let Some(d) = args.sub.depth {
                    spec = spec.depth(d);
                }
                print(&client, spec, name, json, count).await
            }
            PublicChannel::Trade => print(&client, Trades::new(symbols), name, json, count).await,
            PublicChannel::Ohlc => {
                let spec = Ohlc::new(symbols, args.sub.interval.unwrap_or(1));
                print(&client, spec, name, json, count).await
            }
            PublicChannel::Instrument => print(&client, Instrument::new(), name, json, count).await,
        }
    })
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    channel: &'a str,
    #[serde(flatten)]
    item: &'a T,
}

/// Prints one line per event of a subscription until `count` data
/// messages or the end of the stream (shared with `balances` and
/// `executions`).
pub(crate) async fn print<S: Subscribe>(
    client: &Client,
    spec: S,
    channel: &str,
    json: bool,
    count: Option<u64>,
) -> anyhow::Result<ExitCode>
where
    S::Item: Serialize + crate::summary::Summary,
{
    let mut sub = client.subscribe(spec).await?;
    let mut printed = 0u64;
    let mut out = std::io::stdout().lock();
    while let Some(event) = sub.next().await {
        let line = match (&event, json) {
            (Event::Data(item), true) => serde_json::to_string(&Line { channel, item })?,
            (Event::Data(item), false) => format!("{channel} {}", item.summary()),
            (Event::Status(system), true) => {
                format!(r#"{{"event":"status","system":"{system}"}}"#)
            }
            (Event::Gap { expected, received }, true) => {
                format!(r#"{{"event":"gap","expected":{expected},"received":{received}}}"#)
            }
            (other, true) => format!(r#"{{"event":"{}"}}"#, event_name(other)),
            (other, false) => format!("event {}", event_name(other)),
        };
        if writeln!(out, "{line}").is_err() {
            break;
        }
        if matches!(event, Event::Data(_)) {
            printed += 1;
            if count.is_some_and(|n| printed >= n) {
                break;
            }
        }
    }
    client.close().await;
    Ok(ExitCode::SUCCESS)
}

fn event_name<T>(event: &Event<T>) -> String {
    match event {
        Event::Data(_) => "data".to_owned(),
        Event::Reconnecting => "reconnecting".to_owned(),
        Event::Reconnected => "reconnected".to_owned(),
        Event::Lagged(n) => format!("lagged {n}"),
        Event::Status(s) => format!("status {s}"),
        Event::Gap { expected, received } => format!("gap {expected} {received}"),
        _ => "other".to_owned(),
    }
}
