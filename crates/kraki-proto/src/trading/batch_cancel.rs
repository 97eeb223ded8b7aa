//! `batch_cancel`: cancel 2–50 orders in one request.

use crate::{ClOrdId, Token};

/// The params of `batch_cancel`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct BatchCancelParams {
    /// Kraken order ids and/or userrefs written as strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<Vec<String>>,
    /// Client order ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<Vec<ClOrdId>>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `batch_cancel`. The documented shape is `result.count`;
/// live servers send a top-level `orders_cancelled` instead. The decoder
/// fills `count` from either.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchCancelResult {
    /// How many orders were canceled.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub count: u64,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}
