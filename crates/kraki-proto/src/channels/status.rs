//! The `status` channel: the trading engine's state, pushed on connect and
//! on every change.

use crate::wire_enum::open_enum;

open_enum! {
    /// The state of the trading engine.
    pub enum SystemStatus {
        /// Normal operation.
        Online = "online",
        /// No new orders and no cancels.
        Maintenance = "maintenance",
        /// Cancels only, no matching.
        CancelOnly = "cancel_only",
        /// Post-only limit orders and cancels, no matching.
        PostOnly = "post_only",
    }
}

/// One `status` payload.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Status {
    /// The engine's state.
    pub system: SystemStatus,
    /// API version, `"v2"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Debug id of the connection; exceeds `i64::MAX`, hence `u64`. Absent
    /// in some maintenance frames.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub connection_id: Option<u64>,
    /// Service version, e.g. `2.0.4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}
