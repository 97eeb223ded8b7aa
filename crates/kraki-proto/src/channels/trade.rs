//! The `trade` channel: public trades.

use crate::wire_enum::open_enum;
use crate::{Decimal, Side, Symbol, Timestamp};

open_enum! {
    /// The taker's order type in a public trade.
    pub enum TradeOrderType {
        /// A limit order took liquidity.
        Limit = "limit",
        /// A market order took liquidity.
        Market = "market",
    }
}

/// One public trade.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trade {
    /// The pair.
    pub symbol: Symbol,
    /// Side of the taker.
    pub side: Side,
    /// Trade price.
    pub price: Decimal,
    /// Trade quantity.
    pub qty: Decimal,
    /// The taker's order type.
    pub ord_type: TradeOrderType,
    /// Sequence number unique per pair.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub trade_id: u64,
    /// Time of the trade.
    pub timestamp: Timestamp,
}
