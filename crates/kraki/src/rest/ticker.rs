//! `Ticker`: each pair's best prices and the day's figures, keyed by v2
//! symbol.

use crate::Error;
use crate::rest::RestClient;
use crate::rest::pair_request;
use kraki_proto::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A best price with its size (`a`, `b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct TopOfBook {
    /// The price.
    pub price: Decimal,
    /// The size in whole lots.
    pub whole_lot_volume: Decimal,
    /// The size.
    pub lot_volume: Decimal,
}

/// The last trade (`c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct LastTrade {
    /// Its price.
    pub price: Decimal,
    /// Its size.
    pub lot_volume: Decimal,
}

/// A figure for today (since 00:00 UTC) and for the last 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct TodayAnd24h<T> {
    /// Since 00:00 UTC.
    pub today: T,
    /// Over the last 24 hours.
    pub last_24h: T,
}

/// One pair's ticker, Kraken's one-letter fields named.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TickerInfo {
    /// The v2 symbol (`BTC/USD`), the key it is found under.
    #[serde(skip)]
    pub symbol: String,
    /// The key of its entry in Kraken's answer (`XXBTZUSD`).
    #[serde(skip)]
    pub key: String,
    /// Best ask (`a`).
    #[serde(rename = "a")]
    pub ask: TopOfBook,
    /// Best bid (`b`).
    #[serde(rename = "b")]
    pub bid: TopOfBook,
    /// Last trade (`c`).
    #[serde(rename = "c")]
    pub last: LastTrade,
    /// Volume (`v`).
    #[serde(rename = "v")]
    pub volume: TodayAnd24h<Decimal>,
    /// Volume-weighted average price (`p`).
    #[serde(rename = "p")]
    pub vwap: TodayAnd24h<Decimal>,
    /// Number of trades (`t`).
    #[serde(rename = "t")]
    pub trades: TodayAnd24h<u64>,
    /// Lowest price (`l`).
    #[serde(rename = "l")]
    pub low: TodayAnd24h<Decimal>,
    /// Highest price (`h`).
    #[serde(rename = "h")]
    pub high: TodayAnd24h<Decimal>,
    /// Today's opening price (`o`).
    #[serde(rename = "o")]
    pub open: Decimal,
}

impl RestClient {
    /// `Ticker` of the pairs named by their v2 symbols (`BTC/USD`), keyed
    /// by v2 symbol. An empty list asks for every pair, whose symbols are
    /// then read from `AssetPairs` (a second call).
    ///
    /// # Errors
    /// As [`RestClient::asset_pairs`].
    pub async fn ticker(&self, symbols: &[&str]) -> Result<BTreeMap<String, TickerInfo>, Error> {
        let mut params = Vec::new();
        let listed;
        let symbols: Vec<&str> = if symbols.is_empty() {
            listed = self.asset_pairs(&[]).await?;
            listed.keys().map(String::as_str).collect()
        } else {
            params.push(("pair", pair_request::pair_parameter(symbols)?));
            symbols.to_vec()
        };
        let result: BTreeMap<String, TickerInfo> = self.public("Ticker", &params).await?;
        Ok(result
            .into_iter()
            .map(|(key, mut ticker)| {
                ticker.symbol = pair_request::symbol_of(&key, &symbols)
                    .map_or_else(|| key.clone(), str::to_owned);
                ticker.key = key;
                (ticker.symbol.clone(), ticker)
            })
            .collect())
    }
}
