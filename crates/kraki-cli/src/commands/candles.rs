//! `kraki candles SYMBOL --interval MINUTES [--since T] [--rest-url URL]
//! [--json]`: a pair's candles from REST `OHLC`, oldest first, one line
//! each, the running (unfinished) candle last. Each page's `last` is the
//! next page's `since`, until a page brings no newly finished candle.

use super::check;
use kraki::proto::Timestamp;
use kraki::rest::{OhlcCandle, REST_URL, RestClient};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Arguments of `kraki candles`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The pair, e.g. BTC/USD.
    symbol: String,
    /// Candle interval in minutes: 1, 5, 15, 30, 60, 240, 1440, 10080 or 21600.
    #[arg(long)]
    interval: u32,
    /// Only candles that start after this time: Unix seconds or RFC 3339
    /// (2026-12-07T03:00:00Z). Kraken keeps the newest 720 of each interval.
    #[arg(long)]
    since: Option<String>,
    /// REST base URL (default: Kraken's; `kraki sim` prints its own).
    #[arg(long, default_value = REST_URL)]
    rest_url: String,
    /// One JSON object per line, with Kraken's field names (time, open,
    /// high, low, close, vwap, volume, count).
    #[arg(long)]
    json: bool,
}

/// Prints every candle; fails on the first REST error.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // Checked before any request: a typo is no reason to reach Kraken.
    check::symbol(&args.symbol)?;
    check::ohlc_interval(args.interval)?;
    let since = args.since.as_deref().map(since_seconds).transpose()?;
    // Through the environment's proxy, as the other commands connect.
    let rest =
        RestClient::with_proxy_from_env(&args.rest_url).map_err(|e| anyhow::anyhow!("{e}"))?;
    let runtime = tokio::runtime::Runtime::new()?;
    let progress = std::io::stderr().is_terminal();
    let mut out = std::io::stdout().lock();
    runtime.block_on(async {
        let mut since = since;
        let mut printed = 0usize;
        loop {
            let page = rest
                .ohlc(&args.symbol, args.interval, since)
                .await
                .map_err(|e| anyhow::anyhow!("OHLC {}: {e}", args.symbol))?;
            let (finished, running) = match page.candles.split_last() {
                Some((running, finished)) => (finished, Some(running)),
                None => (&[][..], None),
            };
            // Only what starts after `since`: anything else came on the
            // page before, should an answer repeat it.
            let fresh: Vec<&OhlcCandle> = finished
                .iter()
                .filter(|c| since.is_none_or(|s| c.time > s))
                .collect();
            for candle in &fresh {
                write_candle(&mut out, candle, args.json)?;
            }
            printed += fresh.len();
            if progress {
                eprint!("\r{printed} candles of {} fetched", args.symbol);
            }
            // No newly finished candle, or a cursor that does not move:
            // the end.
            let advanced = since.is_none_or(|s| page.last > s);
            if fresh.is_empty() || !advanced {
                if let Some(running) = running {
                    write_candle(&mut out, running, args.json)?;
                }
                break;
            }
            since = Some(page.last);
        }
        if progress {
            eprintln!();
        }
        out.flush()?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `--since` as Unix seconds.
fn since_seconds(text: &str) -> anyhow::Result<i64> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    Timestamp::parse(text)
        .map(Timestamp::unix_seconds)
        .map_err(|e| {
            anyhow::anyhow!(
                "invalid --since {text:?}: expected Unix seconds or RFC 3339 \
             (2026-12-07T03:00:00Z): {e}"
            )
        })
}

fn write_candle(out: &mut impl Write, candle: &OhlcCandle, json: bool) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, candle)?;
        writeln!(out)?;
        return Ok(());
    }
    let start = Timestamp::from_unix(candle.time, 0, 0)
        .map_or_else(|| candle.time.to_string(), |t| t.to_string());
    writeln!(
        out,
        "{start} open {} high {} low {} close {} vwap {} volume {} count {}",
        candle.open,
        candle.high,
        candle.low,
        candle.close,
        candle.vwap,
        candle.volume,
        candle.count
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn since_takes_seconds_or_rfc3339() {
        assert_eq!(since_seconds("1700000000").unwrap(), 1_700_000_000);
        assert_eq!(
            since_seconds("2023-11-14T22:13:20Z").unwrap(),
            1_700_000_000
        );
        let err = since_seconds("yesterday").unwrap_err().to_string();
        assert!(err.starts_with("invalid --since \"yesterday\""), "{err}");
    }
}
