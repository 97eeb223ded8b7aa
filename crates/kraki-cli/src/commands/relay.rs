//! `kraki relay CHANNEL… --symbol S… --nats URL [--nats-ca FILE]
//! [--nats-cert FILE --nats-key FILE] [--nats-creds FILE | --nats-nkey
//! FILE] [--nats-ping-interval SECONDS] [--url URL] [--depth D]`:
//! Kraken's channels, verified, into the NATS JetStream stream `KRAKI`
//! (see `kraki::nats`). Runs until Ctrl-C (or SIGTERM) or until Kraken's
//! side ends; prints what it did on stderr every `--report` seconds and
//! at the end, and with `--metrics ADDR` serves it to Prometheus.

use kraki::nats::{Relay, RelayConfig, RelayCounters, RelayStats};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `kraki relay`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Channels: book, trade, ticker, ohlc, level3 (level3 with the API
    /// key and secret from the environment, as the order commands read
    /// them).
    #[arg(required = true)]
    channels: Vec<String>,
    /// A pair, e.g. BTC/USD (repeat for more); `all`: every online pair of
    /// the instrument channel.
    #[arg(long = "symbol", required = true)]
    symbols: Vec<String>,
    /// Pairs per Kraken connection: more pairs open more connections
    /// (Kraken documents 200 per connection for level3 and no figure for
    /// the public channels; 100 keeps each connection's rate moderate).
    #[arg(long, default_value_t = 100)]
    pairs_per_connection: usize,
    /// The NATS server, e.g. nats://127.0.0.1:4222 (tls://… for TLS).
    #[arg(long)]
    nats: String,
    #[command(flatten)]
    nats_args: super::nats_args::NatsArgs,
    /// Public WebSocket URL (default: Kraken's).
    #[arg(long, default_value = kraki::PUBLIC_URL)]
    url: String,
    /// Level3 WebSocket URL (default: Kraken's).
    #[arg(long, default_value = kraki::LEVEL3_URL)]
    level3_url: String,
    /// REST base URL, for level3's token and precisions (default: Kraken's).
    #[arg(long, default_value = kraki::rest::REST_URL)]
    rest_url: String,
    /// Send the API key, signatures and tokens for level3 even over ws://
    /// or http:// to a host that is not this machine (refused otherwise).
    #[arg(long = "danger-send-credentials-unencrypted")]
    danger_send_credentials_unencrypted: bool,
    /// Book depth (10, 25, 100, 500, 1000; level3: 10, 100, 1000).
    #[arg(long, default_value_t = 10)]
    depth: u32,
    /// Candle interval in minutes, for ohlc.
    #[arg(long, default_value_t = 1)]
    interval: u32,
    /// Messages each channel and pair may hold while NATS is slow or away;
    /// past it they are dropped, counted and reported (a book subject then
    /// resumes with a snapshot). Per pair: with `--symbol all` (500 pairs)
    /// the default lets a book relay hold about 1.5 GB before it drops.
    #[arg(long, default_value_t = 10_000)]
    buffer: usize,
    /// Bytes all pairs may hold together while NATS is slow or away
    /// (payloads and their place in the queues, about), e.g. 1G, 256M,
    /// 64K (powers of 1024) or a plain number of bytes; past it, messages
    /// are dropped as when a pair's --buffer is full.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = byte_size)]
    buffer_bytes: u64,
    /// Seconds between the latest-book checkpoints kept for late consumers.
    #[arg(long, default_value_t = 5)]
    checkpoint: u64,
    /// Seconds between reports of the counters on stderr (0: only at the end).
    #[arg(long, default_value_t = 60)]
    report: u64,
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// Seconds between the PINGs that find out a NATS server gone silent
    /// without closing the connection (two unanswered: it is made again);
    /// 0.1 to 86400.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 20.0,
        allow_negative_numbers = true
    )]
    nats_ping_interval: f64,
    /// Microseconds the relay sleeps whenever it has nothing left to do,
    /// letting Kraken's frames and NATS's acks gather so that it reads,
    /// verifies and publishes them all in one pass (0: each as it
    /// arrives). Fewer wake-ups and system calls per message, at the
    /// price of up to this much added latency; a subject's next message
    /// waits for its previous one's ack, so one subject publishes at most
    /// one message per pass; while a subject holds more than 8 messages,
    /// passes come every millisecond until it catches up (not while NATS
    /// is away: nothing could go out). Up to 100000.
    #[arg(long, value_name = "MICROS", default_value_t = 0)]
    coalesce: u64,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    crate::logging::init();
    // Checked before connecting anywhere.
    let all = args.symbols.iter().any(|s| s == "all");
    if all && args.symbols.len() > 1 {
        anyhow::bail!("--symbol all stands alone: it already means every online pair");
    }
    if !all {
        for symbol in &args.symbols {
            super::check::symbol(symbol)?;
        }
    }
    if args.pairs_per_connection == 0 {
        anyhow::bail!("--pairs-per-connection must be at least 1");
    }
    super::check::book_depth(args.depth)?;
    super::check::ohlc_interval(args.interval)?;
    let ping_interval = super::check::ping_interval(args.nats_ping_interval)?;
    let coalesce = super::check::coalesce(args.coalesce)?;
    let nats_options = args.nats_args.options(Some(&args.nats))?;
    for channel in &args.channels {
        if !matches!(
            channel.as_str(),
            "book" | "level3" | "trade" | "ticker" | "ohlc"
        ) {
            anyhow::bail!(
                "cannot relay channel {channel:?}: relayed channels are book, level3, trade, ticker, ohlc"
            );
        }
    }
    // One thread: every message passes from the connection's task (whose
    // reader runs the book feeders) to the publisher and the NATS
    // connection's task; on one thread those hand-offs are queue pushes,
    // across threads each one wakes a sleeping worker (measured at 20,000
    // events/s with the relay's earlier shape: a third of its CPU in the
    // kernel with two workers, a fifth with one, and 30% less CPU per
    // published update).
    let counters = RelayCounters::default();
    let behind = counters.clone();
    let runtime = crate::coalescing::runtime(coalesce, move || behind.is_behind())?;
    runtime.block_on(async {
        let first = crate::connect(&args.url).await?;
        let symbols = if all {
            online_pairs(&first).await?
        } else {
            args.symbols.clone()
        };
        // Level3 has a connection of its own (authenticated, another URL).
        let public: Vec<String> = args
            .channels
            .iter()
            .filter(|c| *c != "level3")
            .cloned()
            .collect();
        let level3 = public.len() < args.channels.len();
        if public.is_empty() {
            first.close().await;
        }
        let mut clients = Vec::new();
        let mut relays = Vec::new();
        for (n, chunk) in symbols.chunks(args.pairs_per_connection).enumerate() {
            let config = |channels: &[String]| {
                let mut config = RelayConfig::new(&args.nats, channels, chunk)
                    .with_nats_options(nats_options.clone());
                config.depth = args.depth;
                config.interval = args.interval;
                config.buffer = args.buffer;
                config.buffer_bytes = args.buffer_bytes;
                config.checkpoint_every = Duration::from_secs(args.checkpoint.max(1));
                config.ping_interval = ping_interval;
                config
            };
            // One connection per chunk of pairs; the first is already open.
            if !public.is_empty() {
                let client = match n {
                    0 => first.clone(),
                    _ => crate::connect(&args.url).await?,
                };
                relays.push(Relay::start_with(&client, config(&public), counters.clone()).await?);
                clients.push(client);
            }
            if level3 {
                let client = level3_client(args).await?;
                let channels = ["level3".to_owned()];
                relays.push(Relay::start_with(&client, config(&channels), counters.clone()).await?);
                clients.push(client);
            }
        }
        if let Some(addr) = &args.metrics {
            super::relay_metrics::serve(addr, counters.clone()).await?;
        }
        eprintln!(
            "kraki relay: {} of {} pairs ({}) on {} connection(s) into NATS stream KRAKI",
            args.channels.join(", "),
            symbols.len(),
            abbreviated(&symbols),
            clients.len()
        );
        let reporting = async {
            if args.report == 0 {
                return std::future::pending().await;
            }
            let mut every = tokio::time::interval(Duration::from_secs(args.report));
            every.tick().await;
            loop {
                every.tick().await;
                eprintln!("kraki relay: {}", line(&counters.snapshot()));
            }
        };
        let stop = crate::interrupt::interrupt_signal()?;
        let running = futures_util::future::try_join_all(relays.into_iter().map(Relay::run));
        tokio::pin!(running);
        let result = tokio::select! {
            r = &mut running => r.map(|_| ()).map_err(anyhow::Error::from),
            () = reporting => Ok(()),
            () = stop => {
                // Kraken's side closed, the feeds end, and each publisher
                // stores what they queued before it ends (for at most a
                // few seconds while NATS is away): what was verified is
                // not lost to an interrupt.
                for client in &clients {
                    client.close().await;
                }
                match tokio::time::timeout(DRAIN, &mut running).await {
                    Ok(r) => r.map(|_| ()).map_err(anyhow::Error::from),
                    Err(_) => Ok(()),
                }
            }
        };
        eprintln!("kraki relay: {}", line(&counters.snapshot()));
        for client in &clients {
            client.close().await;
        }
        result.map(|()| ExitCode::SUCCESS)
    })
}

/// A client of the level3 endpoint, with the credentials from the
/// environment.
async fn level3_client(args: &Args) -> anyhow::Result<kraki::Client> {
    let mut builder = kraki::Client::builder()
        .level3_url(&args.level3_url)
        .rest_url(&args.rest_url)
        .credentials(kraki::Credentials::from_env()?)
        .proxy_from_env();
    if args.danger_send_credentials_unencrypted {
        builder = builder.danger_send_credentials_unencrypted();
    }
    builder
        .connect_level3()
        .await
        .map_err(|e| anyhow::anyhow!("level3: {e}"))
}

/// Every online pair of the instrument channel.
async fn online_pairs(client: &kraki::Client) -> anyhow::Result<Vec<String>> {
    use futures_util::StreamExt;
    let mut instruments = client.subscribe(kraki::Instrument::new()).await?;
    while let Some(event) = instruments.next().await {
        if let kraki::Event::Data(update) = event {
            return Ok(update
                .data
                .pairs
                .iter()
                .filter(|p| p.status == kraki::proto::channels::PairStatus::Online)
                .map(|p| p.symbol.to_string())
                .collect());
        }
    }
    anyhow::bail!("the connection closed before the instrument snapshot came")
}

/// The first few pairs, for the start-up line.
fn abbreviated(symbols: &[String]) -> String {
    match symbols {
        [a, b, c, _, ..] => format!("{a}, {b}, {c}, …"),
        _ => symbols.join(", "),
    }
}

/// How long an interrupted relay waits for its publishers to store what
/// was queued (each gives up after 5 s of NATS away).
const DRAIN: Duration = Duration::from_secs(10);

/// A size such as `1G`, `256M`, `64K` (powers of 1024, `KiB`/`MiB`/`GiB`
/// and `KB`/`MB`/`GB` read alike) or a plain number of bytes.
fn byte_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => {
            return Err(format!(
                "{text:?}: a size is a number of bytes, or one with K, M or G"
            ));
        }
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: a size starts with a whole number, e.g. 512M"))?;
    let bytes = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?}: too large"))?;
    if bytes == 0 {
        return Err("a buffer of 0 bytes would drop every message".to_owned());
    }
    Ok(bytes)
}

/// The counters as one line.
fn line(s: &RelayStats) -> String {
    format!(
        "received {} verified {} mismatched {} resyncs {} reconnects {} published {} duplicates {} conflicts {} dropped {} publish-errors {} nats-reconnects {} pairs-behind {}",
        s.received,
        s.verified,
        s.mismatches,
        s.resyncs,
        s.reconnects,
        s.published,
        s.duplicates,
        s.conflicts,
        s.dropped,
        s.publish_errors,
        s.nats_reconnects,
        s.behind
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_in_powers_of_1024_and_bad_ones_named() {
        assert_eq!(byte_size("1G"), Ok(1 << 30));
        assert_eq!(byte_size("256M"), Ok(256 << 20));
        assert_eq!(byte_size("64 KiB"), Ok(64 << 10));
        assert_eq!(byte_size("2gb"), Ok(2 << 30));
        assert_eq!(byte_size("4096"), Ok(4096));
        for (bad, why) in [
            ("", "whole number"),
            ("M", "whole number"),
            ("1.5G", "a size is"),
            ("12T", "a size is"),
            ("-1", "a size is"),
            ("99999999999999999999", "whole number"),
            ("99999999999G", "too large"),
            ("0", "0 bytes"),
        ] {
            let e = byte_size(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
