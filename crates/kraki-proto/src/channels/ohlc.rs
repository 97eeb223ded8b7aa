//! The `ohlc` channel: candles.

use crate::{Decimal, Symbol, Timestamp};

/// One candle.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Candle {
    /// The pair.
    pub symbol: Symbol,
    /// Opening price.
    pub open: Decimal,
    /// Highest price.
    pub high: Decimal,
    /// Lowest price.
    pub low: Decimal,
    /// Last price.
    pub close: Decimal,
    /// Volume-weighted average price.
    pub vwap: Decimal,
    /// Number of trades (documented as a float, sent as an integer).
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub trades: u64,
    /// Volume in the base currency.
    pub volume: Decimal,
    /// Start of the candle.
    pub interval_begin: Timestamp,
    /// Length in minutes.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub interval: u32,
    /// Deprecated by Kraken; carries the candle's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}
