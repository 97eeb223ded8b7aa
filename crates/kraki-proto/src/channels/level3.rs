//! The `level3` channel: individual orders in queue order.

use crate::wire_enum::open_enum;
use crate::{Decimal, OrderId, Symbol, Timestamp};

open_enum! {
    /// What happened to an order in a level3 update.
    pub enum Level3Event {
        /// Appended at the back of its price level's queue.
        Add = "add",
        /// Remaining quantity changed, queue position kept.
        Modify = "modify",
        /// Removed (filled or canceled).
        Delete = "delete",
    }
}

/// One resting order, or (in updates) an event on one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Level3Order {
    /// The event; absent in snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Level3Event>,
    /// Kraken's order id.
    pub order_id: OrderId,
    /// The order's limit price.
    pub limit_price: Decimal,
    /// Remaining visible quantity.
    pub order_qty: Decimal,
    /// When the order was inserted or amended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// A level3 snapshot or update for one pair.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Level3Data {
    /// The pair.
    pub symbol: Symbol,
    /// Bid orders: best price first, queue order within a price.
    #[serde(default)]
    pub bids: Vec<Level3Order>,
    /// Ask orders: best price first, queue order within a price.
    #[serde(default)]
    pub asks: Vec<Level3Order>,
    /// CRC32 over every order of the top ten price levels per side.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub checksum: u32,
    /// When the message was generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}
