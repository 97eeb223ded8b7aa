//! `cancel_all`: cancel every open order, untriggered ones included.

use crate::Token;

/// The params of `cancel_all`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CancelAllParams {
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `cancel_all`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CancelAllResult {
    /// How many orders were canceled.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub count: u64,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}
