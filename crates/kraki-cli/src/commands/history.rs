//! `kraki history orders|trades|ledgers [--since T] [--rest-url URL]
//! [--json]`: the account's closed orders, fills or ledger entries over
//! REST, newest first, every page followed to the end. One plain line per
//! record, or one JSON object per line with Kraken's field names (a
//! trade's `ordertxid`, a ledger entry's `refid`) and v2 pair and asset
//! names. A progress line goes to stderr when it is a terminal.

use kraki::proto::{Decimal, Timestamp};
use kraki::rest::{HistoryRange, LedgerInfo, OrderInfo, Paged, Pages, RestClient, TradeInfo};
use kraki::{Credentials, Error};
use serde::Serialize;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

/// Which history.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    /// Closed orders (`ClosedOrders`).
    Orders,
    /// Fills (`TradesHistory`).
    Trades,
    /// Ledger entries (`Ledgers`).
    Ledgers,
}

/// Arguments of `kraki history`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// What to list.
    #[arg(value_enum)]
    which: Which,
    /// Only records after this time: Unix seconds or RFC 3339
    /// (`2026-12-01T00:00:00Z`).
    #[arg(long)]
    since: Option<String>,
    /// REST base URL (default: Kraken's).
    #[arg(long = "rest-url")]
    rest_url: Option<String>,
    /// JSON lines, one object per record.
    #[arg(long)]
    json: bool,
    /// Send the API key and signatures even over http:// to a host that
    /// is not this machine, or through a proxy, where anyone on the path
    /// can read them (refused otherwise).
    #[arg(long = "danger-send-credentials-unencrypted")]
    danger_send_credentials_unencrypted: bool,
}

/// `--since`: Unix seconds, or an RFC 3339 time.
fn since(text: &str) -> anyhow::Result<u64> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(seconds);
    }
    let time = Timestamp::parse(text).map_err(|e| {
        anyhow::anyhow!("--since {text:?} is neither Unix seconds nor an RFC 3339 time: {e}")
    })?;
    u64::try_from(time.unix_nanos().div_euclid(1_000_000_000))
        .map_err(|_| anyhow::anyhow!("--since {text:?} is before 1970"))
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    crate::logging::init();
    // Everything checked before the first call.
    let range = match &args.since {
        Some(text) => HistoryRange::since(since(text)?),
        None => HistoryRange::default(),
    };
    let url = args
        .rest_url
        .clone()
        .unwrap_or_else(|| kraki::rest::REST_URL.to_owned());
    let mut rest = RestClient::new(&url)?;
    if args.danger_send_credentials_unencrypted {
        rest = rest.danger_send_credentials_unencrypted();
    }
    let credentials = Credentials::from_env()?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let written = match args.which {
            Which::Orders => {
                let pages = rest.closed_orders_pages(&credentials, range);
                print_all(pages, args.json, order_line).await
            }
            Which::Trades => {
                let pages = rest.trades_history_pages(&credentials, range);
                print_all(pages, args.json, trade_line).await
            }
            Which::Ledgers => {
                let pages = rest.ledgers_pages(&credentials, range);
                print_all(pages, args.json, ledger_line).await
            }
        };
        match written {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                Ok(ExitCode::SUCCESS)
            }
            Err(Failure::Output(e)) => Err(e.into()),
            Err(Failure::Rest(e)) => Err(rest_error(e)),
        }
    })
}

/// The library names its builder method; a command-line user needs the
/// flag.
fn rest_error(error: Error) -> anyhow::Error {
    match error {
        Error::Config(text) => anyhow::anyhow!(
            "invalid configuration: {}",
            text.replace(
                "RestClient::danger_send_credentials_unencrypted",
                "--danger-send-credentials-unencrypted"
            )
        ),
        other => other.into(),
    }
}

enum Failure {
    Rest(Error),
    Output(io::Error),
}

/// Prints every page's records, with a progress line on a terminal.
async fn print_all<T: Paged + Serialize>(
    mut pages: Pages<T>,
    json: bool,
    line: fn(&T) -> String,
) -> Result<(), Failure> {
    let progress = io::stderr().is_terminal();
    let stdout = io::stdout();
    loop {
        let page = pages.next_page().await.map_err(Failure::Rest)?;
        let Some(records) = page else { break };
        let mut out = stdout.lock();
        for record in &records {
            if json {
                let text = serde_json::to_string(record)
                    .map_err(|e| Failure::Output(io::Error::other(e)))?;
                writeln!(out, "{text}").map_err(Failure::Output)?;
            } else {
                writeln!(out, "{}", line(record)).map_err(Failure::Output)?;
            }
        }
        out.flush().map_err(Failure::Output)?;
        if progress {
            let total = pages.count().unwrap_or(0);
            eprint!("\r{} of {total} records", pages.fetched());
        }
    }
    if progress {
        eprintln!();
    }
    Ok(())
}

/// Unix seconds as RFC 3339 to the millisecond (cut, not rounded); the
/// number itself when out of range or finer than nanoseconds.
fn time(seconds: Decimal) -> String {
    let Some(nanos) = seconds.with_scale(9).map(Decimal::mantissa) else {
        return seconds.to_string();
    };
    let (secs, ns) = (
        nanos.div_euclid(1_000_000_000),
        nanos.rem_euclid(1_000_000_000),
    );
    let ms = ns - ns % 1_000_000;
    Timestamp::from_unix(secs, ms as u32, 3).map_or_else(|| seconds.to_string(), |t| t.to_string())
}

fn order_line(o: &OrderInfo) -> String {
    format!(
        "{} {} {} {} {} of {} {} {} @ {} cost {} fee {}",
        time(o.time()),
        o.txid,
        o.status,
        o.descr.side,
        o.vol_exec,
        o.vol,
        o.descr.pair,
        o.descr.ordertype,
        o.price,
        o.cost,
        o.fee,
    )
}

fn trade_line(t: &TradeInfo) -> String {
    format!(
        "{} {} {} {} {} @ {} cost {} fee {} order {}",
        time(t.time),
        t.txid,
        t.side,
        t.vol,
        t.pair,
        t.price,
        t.cost,
        t.fee,
        t.ordertxid,
    )
}

fn ledger_line(l: &LedgerInfo) -> String {
    format!(
        "{} {} {} {} {} fee {} balance {} ref {}",
        time(l.time),
        l.ledger_id,
        l.kind,
        l.asset,
        l.amount,
        l.fee,
        l.balance,
        l.refid,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn since_takes_seconds_or_rfc_3339() {
        assert_eq!(since("1700000000").unwrap(), 1_700_000_000);
        assert_eq!(since("2023-11-14T22:13:20Z").unwrap(), 1_700_000_000);
        let err = since("yesterday").unwrap_err().to_string();
        assert!(err.starts_with("--since \"yesterday\" is neither"), "{err}");
    }

    #[test]
    fn times_read_as_rfc_3339() {
        assert_eq!(
            time("1700000000.1234".parse().unwrap()),
            "2023-11-14T22:13:20.123Z"
        );
    }
}
