//! `edit_order`: the legacy cancel-and-replace (new order id, queue
//! position lost). Prefer `amend_order`.

use super::Triggers;
use crate::{Decimal, FeePreference, OrderId, Symbol, Timestamp, Token, TriggerReference};

/// The params of `edit_order`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EditOrderParams {
    /// The order to replace.
    pub order_id: OrderId,
    /// Its pair (cannot change).
    pub symbol: Symbol,
    /// New quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_qty: Option<Decimal>,
    /// New limit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    /// New visible quantity of an iceberg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_qty: Option<Decimal>,
    /// Fee currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_preference: Option<FeePreference>,
    /// Tag set on the new order.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_userref: Option<i64>,
    /// Post-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// Reduce-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_only: Option<bool>,
    /// New trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Triggers>,
    /// The engine will not act after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// Validate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<bool>,
    /// Deprecated; ignored by Kraken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_mpp: Option<bool>,
    /// Deprecated by Kraken in favour of `limit_price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    /// Deprecated by Kraken in favour of `triggers.reference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerReference>,
    /// Deprecated by Kraken in favour of `triggers.price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `edit_order`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EditOrderResult {
    /// The new order's id.
    pub order_id: OrderId,
    /// The replaced order's id.
    pub original_order_id: OrderId,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}
