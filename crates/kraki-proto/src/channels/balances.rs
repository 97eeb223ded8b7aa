//! The `balances` channel: per-asset balances in the snapshot, ledger
//! entries in updates.

use crate::wire_enum::open_enum;
use crate::{Asset, Decimal, Timestamp};

/// Part of an asset's balance held in one wallet.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Wallet {
    /// `spot` or `earn`.
    #[serde(rename = "type")]
    pub wallet_type: String,
    /// `main`, `flex`, `bonded`, …
    pub id: String,
    /// The amount in this wallet.
    pub balance: Decimal,
}

/// One asset's balance (snapshot entry).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AssetBalance {
    /// The asset.
    pub asset: Asset,
    /// `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_class: Option<String>,
    /// Total across wallets.
    pub balance: Decimal,
    /// Per-wallet split; may be empty.
    #[serde(default)]
    pub wallets: Vec<Wallet>,
}

open_enum! {
    /// Kind of ledger entry.
    pub enum LedgerType {
        /// Deposit.
        Deposit = "deposit",
        /// Withdrawal.
        Withdrawal = "withdrawal",
        /// Trade.
        Trade = "trade",
        /// Margin.
        Margin = "margin",
        /// Adjustment.
        Adjustment = "adjustment",
        /// Rollover.
        Rollover = "rollover",
        /// Credit.
        Credit = "credit",
        /// Transfer.
        Transfer = "transfer",
        /// Settled.
        Settled = "settled",
        /// Staking.
        Staking = "staking",
        /// Sale.
        Sale = "sale",
        /// Reserve.
        Reserve = "reserve",
        /// Conversion.
        Conversion = "conversion",
        /// Dividend.
        Dividend = "dividend",
        /// Reward.
        Reward = "reward",
        /// Creator fee.
        CreatorFee = "creator_fee",
    }
}

open_enum! {
    /// Finer category of a ledger entry.
    pub enum LedgerCategory {
        /// Deposit.
        Deposit = "deposit",
        /// Withdrawal.
        Withdrawal = "withdrawal",
        /// Trade.
        Trade = "trade",
        /// Margin trade.
        MarginTrade = "margin-trade",
        /// Margin settlement.
        MarginSettle = "margin-settle",
        /// Margin conversion.
        MarginConversion = "margin-conversion",
        /// Conversion.
        Conversion = "conversion",
        /// Credit.
        Credit = "credit",
        /// Margin rollover.
        MarginRollover = "marginrollover",
        /// Staking rewards.
        StakingRewards = "staking-rewards",
        /// Instant buy.
        Instant = "instant",
        /// Equity trade.
        EquityTrade = "equity-trade",
        /// Airdrop.
        Airdrop = "airdrop",
        /// Equity dividend.
        EquityDividend = "equity-dividend",
        /// Reward bonus.
        RewardBonus = "reward-bonus",
        /// NFT.
        Nft = "nft",
        /// Block trade.
        BlockTrade = "block-trade",
    }
}

/// One completed ledger entry (update). A trade produces two, one per
/// asset, sharing `ref_id`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LedgerEntry {
    /// Ledger id.
    pub ledger_id: String,
    /// Reference, e.g. the trade id.
    pub ref_id: String,
    /// When it happened.
    pub timestamp: Timestamp,
    /// Kind of entry.
    #[serde(rename = "type")]
    pub ledger_type: LedgerType,
    /// Transfer direction (also read from `sub_type`).
    #[serde(default, alias = "sub_type", skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    /// Finer category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<LedgerCategory>,
    /// The asset.
    pub asset: Asset,
    /// `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_class: Option<String>,
    /// `spot` or `earn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_type: Option<String>,
    /// `main`, `bonded`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_id: Option<String>,
    /// Signed change.
    pub amount: Decimal,
    /// Fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Decimal>,
    /// Total of this asset after the entry.
    pub balance: Decimal,
    /// Subaccount, with `users=all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}
