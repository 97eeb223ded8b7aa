//! `batch_add`: 2–15 orders on one pair in one request.

use super::add_order::order_fields;
use super::{Conditional, Triggers};
use crate::{ClOrdId, Decimal, FeePreference, OrderId, OrderType, PriceType, Side, StpType};
use crate::{Symbol, TimeInForce, Timestamp, Token, TriggerReference};

order_fields! {
    /// One order of a batch: `add_order`'s fields without symbol, token,
    /// validate and deadline, which the batch carries once.
    pub struct BatchOrder {}
}

impl BatchOrder {
    /// An order with every option unset.
    pub fn new(order_type: OrderType, side: Side, order_qty: Decimal) -> Self {
        BatchOrder {
            order_type,
            side,
            order_qty,
            limit_price: None,
            limit_price_type: None,
            triggers: None,
            time_in_force: None,
            margin: None,
            post_only: None,
            reduce_only: None,
            effective_time: None,
            expire_time: None,
            cl_ord_id: None,
            order_userref: None,
            conditional: None,
            display_qty: None,
            fee_preference: None,
            no_mpp: None,
            stp_type: None,
            cash_order_qty: None,
            sender_sub_id: None,
            stop_price: None,
            trigger: None,
        }
    }
}

/// The params of `batch_add`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchAddParams {
    /// The one pair of every order.
    pub symbol: Symbol,
    /// The orders, 2 to 15.
    pub orders: Vec<BatchOrder>,
    /// The engine will not match after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// Validate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<bool>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// One row of the `batch_add` result, in request order. A row that failed
/// after submission carries `error` (or, per some clients, `status`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchAddRow {
    /// Kraken's id of the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Echo of the client's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// Echo of the client's tag.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_userref: Option<i64>,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
    /// Why this row failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Per-row status, where sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}
