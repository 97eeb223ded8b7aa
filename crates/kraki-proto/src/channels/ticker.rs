//! The `ticker` channel (level 1).

use crate::{Decimal, Symbol, Timestamp};

/// Best bid and offer plus 24-hour statistics of one pair.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ticker {
    /// The pair.
    pub symbol: Symbol,
    /// Best bid price.
    pub bid: Decimal,
    /// Quantity at the best bid.
    pub bid_qty: Decimal,
    /// Best ask price.
    pub ask: Decimal,
    /// Quantity at the best ask.
    pub ask_qty: Decimal,
    /// Last trade price.
    pub last: Decimal,
    /// 24-hour volume in the base currency.
    pub volume: Decimal,
    /// 24-hour volume-weighted average price.
    pub vwap: Decimal,
    /// 24-hour low.
    pub low: Decimal,
    /// 24-hour high.
    pub high: Decimal,
    /// 24-hour price change in the quote currency.
    pub change: Decimal,
    /// 24-hour price change in percent.
    pub change_pct: Decimal,
    /// Absent in live captures so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}
