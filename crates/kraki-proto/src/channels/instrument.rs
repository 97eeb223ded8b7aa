//! The `instrument` channel: reference data for assets and pairs, the
//! source of the precisions the book checksum needs.

use crate::wire_enum::open_enum;
use crate::{Asset, Decimal, Symbol};

open_enum! {
    /// Funding state of an asset.
    pub enum AssetStatus {
        /// Deposits only.
        DepositOnly = "depositonly",
        /// Disabled.
        Disabled = "disabled",
        /// Enabled.
        Enabled = "enabled",
        /// Funding temporarily disabled.
        FundingTemporarilyDisabled = "fundingtemporarilydisabled",
        /// Withdrawals only.
        WithdrawalOnly = "withdrawalonly",
        /// Work in progress.
        WorkInProgress = "workinprogress",
    }
}

open_enum! {
    /// Trading state of a pair.
    pub enum PairStatus {
        /// Normal trading.
        Online = "online",
        /// Cancels only.
        CancelOnly = "cancel_only",
        /// Post-only orders only.
        PostOnly = "post_only",
        /// Limit orders only.
        LimitOnly = "limit_only",
        /// Position-reducing orders only.
        ReduceOnly = "reduce_only",
        /// Under maintenance.
        Maintenance = "maintenance",
        /// No longer traded.
        Delisted = "delisted",
        /// Being set up.
        WorkInProgress = "work_in_progress",
    }
}

/// An asset.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AssetInfo {
    /// Asset code, e.g. `BTC`.
    pub id: Asset,
    /// Funding state.
    pub status: AssetStatus,
    /// Ledger and balance precision.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub precision: u8,
    /// Display precision.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub precision_display: u8,
    /// Whether it can be borrowed on margin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrowable: Option<bool>,
    /// Valuation as margin collateral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral_value: Option<Decimal>,
    /// Borrow interest rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_rate: Option<Decimal>,
    /// Tokenised assets only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<Decimal>,
}

/// A tradable pair.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairInfo {
    /// The pair, e.g. `BTC/USD`.
    pub symbol: Symbol,
    /// Base asset.
    pub base: Asset,
    /// Quote asset.
    pub quote: Asset,
    /// Trading state.
    pub status: PairStatus,
    /// Decimals of quantities (book checksum formatting).
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub qty_precision: u8,
    /// Smallest quantity step.
    pub qty_increment: Decimal,
    /// Minimum order quantity.
    pub qty_min: Decimal,
    /// Decimals of prices (book checksum formatting).
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub price_precision: u8,
    /// Tick size.
    pub price_increment: Decimal,
    /// Deprecated alias of `price_increment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_size: Option<Decimal>,
    /// Decimals of costs.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub cost_precision: Option<u8>,
    /// Minimum order cost in the quote currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_min: Option<Decimal>,
    /// Whether margin trading is possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marginable: Option<bool>,
    /// Whether an index price exists (for index-referenced triggers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_index: Option<bool>,
    /// Initial margin requirement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_initial: Option<Decimal>,
    /// Long position limit.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub position_limit_long: Option<u64>,
    /// Short position limit.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub position_limit_short: Option<u64>,
}

/// The `instrument` payload: an object, not an array. Updates carry only
/// the changed entries.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct InstrumentData {
    /// Assets.
    #[serde(default)]
    pub assets: Vec<AssetInfo>,
    /// Pairs.
    #[serde(default)]
    pub pairs: Vec<PairInfo>,
}
