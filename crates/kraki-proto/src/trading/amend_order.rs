//! `amend_order`: change an order in place, keeping its ids and, where
//! possible, its queue priority.

use crate::{ClOrdId, Decimal, OrderId, PriceType, Symbol, Timestamp, Token};

/// The params of `amend_order`. One of `order_id` or `cl_ord_id` (a scalar
/// here, unlike `cancel_order`) names the order.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct AmendOrderParams {
    /// Kraken's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// The client's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// New quantity (optional: documented examples amend the price alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_qty: Option<Decimal>,
    /// New visible quantity of an iceberg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_qty: Option<Decimal>,
    /// New limit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    /// How `limit_price` is expressed (trailing-stop-limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price_type: Option<PriceType>,
    /// Reject the price change if it would take liquidity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// New trigger price (a flat field here, not a `triggers` object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<Decimal>,
    /// How `trigger_price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price_type: Option<PriceType>,
    /// The engine will not amend after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// Required for non-crypto pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `amend_order`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AmendOrderResult {
    /// Unique id of this amend.
    pub amend_id: String,
    /// Echo of the order id sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Echo of the client id sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}
