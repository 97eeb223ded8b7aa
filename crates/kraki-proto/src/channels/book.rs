//! The `book` channel (level 2): price levels and their checksum.

use crate::{Decimal, Symbol, Timestamp};

/// One price level: the absolute quantity resting at a price. A zero
/// quantity in an update deletes the level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceLevel {
    /// The price.
    pub price: Decimal,
    /// The total quantity at that price.
    pub qty: Decimal,
}

/// A book snapshot or update for one pair.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BookData {
    /// The pair.
    pub symbol: Symbol,
    /// Snapshot: best first (descending). Update: changes in processing order.
    #[serde(default)]
    pub bids: Vec<PriceLevel>,
    /// Snapshot: best first (ascending). Update: changes in processing order.
    #[serde(default)]
    pub asks: Vec<PriceLevel>,
    /// CRC32 of the top ten levels of each side after applying this message.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub checksum: u32,
    /// Present on updates; often absent on snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}
