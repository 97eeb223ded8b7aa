//! `Depth`: a pair's order book at one moment.

use crate::Error;
use crate::rest::RestClient;
use crate::rest::pair_request;
use crate::rest::rows::{PairKeyed, Row, single_pair, typed};
use kraki_proto::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

/// One price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthLevel {
    /// Its price.
    pub price: Decimal,
    /// The quantity resting at it.
    pub volume: Decimal,
    /// When it last changed, seconds since the epoch.
    pub time: i64,
}

/// A pair's book: each side best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBook {
    /// The v2 symbol.
    pub symbol: String,
    /// The key of Kraken's entry (`XXBTZUSD`).
    pub key: String,
    /// Asks, lowest first.
    pub asks: Vec<DepthLevel>,
    /// Bids, highest first.
    pub bids: Vec<DepthLevel>,
}

#[derive(Deserialize)]
struct Sides<'a> {
    #[serde(borrow)]
    asks: &'a RawValue,
    #[serde(borrow)]
    bids: &'a RawValue,
}

/// Most levels per side Kraken gives.
pub const MAX_DEPTH: u32 = 500;

impl RestClient {
    /// `Depth` of `symbol` (`BTC/USD`): the top `count` levels of each
    /// side (1 to [`MAX_DEPTH`]; `None` for Kraken's default, 100).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a symbol that is not `BASE/QUOTE` or a
    /// count out of range, before anything is sent; otherwise as
    /// [`RestClient::asset_pairs`].
    pub async fn depth(&self, symbol: &str, count: Option<u32>) -> Result<OrderBook, Error> {
        let names = pair_request::names(symbol)?;
        let mut params = vec![("pair", names.altname)];
        if let Some(count) = count {
            if !(1..=MAX_DEPTH).contains(&count) {
                return Err(Error::Invalid(format!(
                    "Depth count {count}: Kraken takes 1 to {MAX_DEPTH}"
                )));
            }
            params.push(("count", count.to_string()));
        }
        let result: PairKeyed = self.public("Depth", &params).await?;
        let what = format!("Depth {symbol}");
        let (key, entry, _) = single_pair(&what, &result)?;
        let sides: Sides<'_> = typed(&what, entry)?;
        Ok(OrderBook {
            symbol: symbol.to_owned(),
            key: key.to_owned(),
            asks: levels(&format!("{what} asks"), sides.asks)?,
            bids: levels(&format!("{what} bids"), sides.bids)?,
        })
    }
}

fn levels(what: &str, raw: &RawValue) -> Result<Vec<DepthLevel>, Error> {
    Row::list(what, raw)?
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let what = format!("{what} row {i}");
            let row = Row::new(&what, raw)?;
            Ok(DepthLevel {
                price: row.get(0, "price")?,
                volume: row.get(1, "volume")?,
                time: row.get(2, "time")?,
            })
        })
        .collect()
}
