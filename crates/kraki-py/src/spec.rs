//! What Python asks to subscribe to, as kraki's typed subscriptions.

use crate::errors;
use crate::feed::{self, Feed};
use pyo3::prelude::*;

/// A subscription request from the Python layer (`kraki.Ticker` and the
/// others hand their fields over as these).
#[derive(Debug, Clone, Default, FromPyObject)]
pub(crate) struct SpecArgs {
    #[pyo3(attribute("channel"))]
    pub(crate) channel: String,
    #[pyo3(attribute("symbols"))]
    pub(crate) symbols: Vec<String>,
    #[pyo3(attribute("depth"))]
    pub(crate) depth: Option<u32>,
    #[pyo3(attribute("interval"))]
    pub(crate) interval: Option<u32>,
    #[pyo3(attribute("snapshot"))]
    pub(crate) snapshot: Option<bool>,
    #[pyo3(attribute("snap_orders"))]
    pub(crate) snap_orders: Option<bool>,
    #[pyo3(attribute("snap_trades"))]
    pub(crate) snap_trades: Option<bool>,
}

/// Subscribes on `client` and returns the feed of events.
pub(crate) async fn subscribe(client: kraki::Client, args: SpecArgs) -> PyResult<Feed> {
    let symbols = args.symbols.clone();
    match args.channel.as_str() {
        "ticker" => {
            let mut spec = kraki::Ticker::new(symbols);
            if let Some(s) = args.snapshot {
                spec = spec.snapshot(s);
            }
            feed::subscribe(client, spec).await
        }
        "trade" => {
            let mut spec = kraki::Trades::new(symbols);
            if let Some(s) = args.snapshot {
                spec = spec.snapshot(s);
            }
            feed::subscribe(client, spec).await
        }
        "book" => {
            let mut spec = kraki::Book::new(symbols);
            if let Some(d) = args.depth {
                spec = spec.depth(d);
            }
            if let Some(s) = args.snapshot {
                spec = spec.snapshot(s);
            }
            feed::subscribe(client, spec).await
        }
        "ohlc" => {
            let mut spec = kraki::Ohlc::new(symbols, args.interval.unwrap_or(1));
            if let Some(s) = args.snapshot {
                spec = spec.snapshot(s);
            }
            feed::subscribe(client, spec).await
        }
        "instrument" => {
            let mut spec = kraki::Instrument::new();
            if let Some(s) = args.snapshot {
                spec = spec.snapshot(s);
            }
            feed::subscribe(client, spec).await
        }
        "executions" => {
            let mut spec = kraki::Executions::new();
            if let Some(s) = args.snap_orders {
                spec = spec.snap_orders(s);
            }
            if let Some(s) = args.snap_trades {
                spec = spec.snap_trades(s);
            }
            feed::subscribe(client, spec).await
        }
        "balances" => {
            let mut spec = kraki::Balances::new();
            if let Some(s) = args.snapshot {
                spec = spec.snapshot(s);
            }
            feed::subscribe(client, spec).await
        }
        other => Err(errors::invalid(format!(
            "unknown channel {other:?}: expected ticker, trade, book, ohlc, instrument, executions or balances"
        ))),
    }
}
