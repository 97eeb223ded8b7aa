//! `kraki book SYMBOL [--depth D] [--url URL] [--count N] [--json]`: the
//! verified book, one line per applied message. With `--nats URL` the
//! book comes from a relay's JetStream stream instead of Kraken, with
//! the same lines (`--nats-ca`, `--nats-cert`/`--nats-key`,
//! `--nats-creds`, `--nats-nkey` for TLS and credentials).

use kraki::BookEvent;
use kraki::proto::book::Level;
use kraki::proto::{Decimal, MessageType};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

/// Arguments of `kraki book`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The pair, e.g. BTC/USD.
    symbol: String,
    /// Levels per side (10, 25, 100, 500, 1000).
    #[arg(long, default_value_t = 10)]
    depth: u32,
    /// Public WebSocket URL (default: Kraken's).
    #[arg(long, default_value = kraki::PUBLIC_URL)]
    url: String,
    /// Stop after this many book lines.
    #[arg(long)]
    count: Option<u64>,
    /// One JSON object per line: `symbol`, `type`, `checksum`, `computed`,
    /// `ok`, `best_bid`, `best_ask` per message; `{"event":…}` lines for
    /// reconnects and resyncs.
    #[arg(long)]
    json: bool,
    /// Read the book from this NATS server (a `kraki relay`'s stream)
    /// instead of Kraken; the depth is the relay's.
    #[arg(long, conflicts_with = "url")]
    nats: Option<String>,
    #[command(flatten)]
    nats_args: super::nats_args::NatsArgs,
}

/// Runs until `--count` book lines were printed.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    crate::logging::init();
    // Checked before connecting: a typo is no reason to reach Kraken.
    super::check::symbol(&args.symbol)?;
    super::check::book_depth(args.depth)?;
    let nats_options = args.nats_args.options(args.nats.as_deref())?;
    let runtime = tokio::runtime::Runtime::new()?;
    if let Some(url) = &args.nats {
        return runtime.block_on(async {
            let book = kraki::nats::NatsBook::open_with(url, &nats_options, &args.symbol).await?;
            print(|| book.next_event(), args).await
        });
    }
    let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    runtime.block_on(async {
        let client = crate::connect(&args.url).await?;
        if on_terminal && !args.json && args.count.is_none() {
            // The live view, as in `kraki demo`, for this one pair.
            let result = crate::commands::demo::live(
                &client,
                vec![args.symbol.clone()],
                args.depth,
                "kraki book",
                None,
                true,
            )
            .await;
            client.close().await;
            return result.map(|()| ExitCode::SUCCESS);
        }
        let book = client.book(&args.symbol, args.depth).await?;
        let result = print(|| book.next_event(), args).await;
        client.close().await;
        result
    })
}

/// A `--json` line for an applied message; numbers exact.
#[derive(Serialize)]
struct Applied<'a> {
    symbol: &'a str,
    #[serde(rename = "type")]
    kind: MessageType,
    checksum: u32,
    computed: u32,
    ok: bool,
    best_bid: Option<Side>,
    best_ask: Option<Side>,
}

#[derive(Serialize)]
struct Side {
    price: Decimal,
    qty: Decimal,
}

fn side(l: Option<Level>) -> Option<Side> {
    l.map(|l| Side {
        price: l.price,
        qty: l.qty,
    })
}

/// A `--json` line for a reconnect or resync: `event`, never `ok`.
#[derive(Serialize)]
struct EventLine<'a> {
    event: &'a str,
    symbol: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Prints the events `next` gives (a book from Kraken or from NATS).
async fn print<F: Future<Output = Option<BookEvent>>>(
    mut next: impl FnMut() -> F,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut printed = 0u64;
    while let Some(event) = next().await {
        let (line, counts) = match event {
            BookEvent::Applied {
                kind,
                checksum,
                computed,
                ok,
                best_bid,
                best_ask,
            } => {
                let line = if args.json {
                    serde_json::to_string(&Applied {
                        symbol: &args.symbol,
                        kind,
                        checksum,
                        computed,
                        ok,
                        best_bid: side(best_bid),
                        best_ask: side(best_ask),
                    })?
                } else {
                    let side = |l: Option<Level>| {
                        l.map_or("-".to_owned(), |l| format!("{} x {}", l.price, l.qty))
                    };
                    format!(
                        "{} {kind} {} bid {} ask {}",
                        args.symbol,
                        if ok { "verified" } else { "MISMATCH" },
                        side(best_bid),
                        side(best_ask)
                    )
                };
                (line, true)
            }
            other => {
                let (name, reason) = match other {
                    BookEvent::Resyncing { reason } => ("resync", Some(reason)),
                    BookEvent::Reconnecting => ("reconnecting", None),
                    BookEvent::Reconnected => ("reconnected", None),
                    BookEvent::Lagged(n) => ("lagged", Some(n.to_string())),
                    _ => ("other", None),
                };
                let line = if args.json {
                    serde_json::to_string(&EventLine {
                        event: name,
                        symbol: &args.symbol,
                        reason,
                    })?
                } else {
                    format!(
                        "{} event {name} {}",
                        args.symbol,
                        reason.unwrap_or_default()
                    )
                };
                (line, false)
            }
        };
        if writeln!(out, "{line}").is_err() {
            break;
        }
        if counts {
            printed += 1;
            if args.count.is_some_and(|n| printed >= n) {
                break;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
