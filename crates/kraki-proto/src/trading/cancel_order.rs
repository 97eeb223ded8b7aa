//! `cancel_order`: cancel by order ids, client ids or userrefs (all arrays
//! here). One response arrives per canceled order, all with the same req_id.

use crate::{ClOrdId, OrderId, Token};

/// The params of `cancel_order`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CancelOrderParams {
    /// Kraken order ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Vec<OrderId>>,
    /// Client order ids (an array, unlike in `add_order`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<Vec<ClOrdId>>,
    /// Client tags; every order carrying one is canceled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_userref: Option<Vec<i64>>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of one canceled order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CancelOrderResult {
    /// Set when canceled by order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Set when canceled by client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}
