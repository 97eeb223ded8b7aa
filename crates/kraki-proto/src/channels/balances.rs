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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_snapshot_decodes() {
        let data: Vec<AssetBalance> = serde_json::from_str(r#"[{"asset":"BTC","asset_class":"currency","balance":1.2,"wallets":[{"type":"spot","id":"main","balance":1.2}]},{"asset":"MATIC","asset_class":"currency","balance":500,"wallets":[{"type":"spot","id":"main","balance":300},{"type":"earn","id":"flex","balance":200}]}]"#).unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data[0].asset, "BTC");
        assert_eq!(data[0].asset_class.as_deref(), Some("currency"));
        assert_eq!(data[0].balance.to_string(), "1.2");
        assert_eq!(data[1].wallets.len(), 2);
        assert_eq!(data[1].wallets[1].wallet_type, "earn");
        assert_eq!(data[1].wallets[1].id, "flex");
        assert_eq!(data[1].wallets[1].balance.to_string(), "200");
        for entry in &data {
            let text = serde_json::to_string(entry).unwrap();
            assert!(text.contains(r#""type":"spot""#), "{text}");
            let back: AssetBalance = serde_json::from_str(&text).unwrap();
            assert_eq!(&back, entry);
        }
    }

    #[test]
    fn wallets_may_be_missing() {
        let b: AssetBalance =
            serde_json::from_str(r#"{"asset":"USD","balance":"0.0000"}"#).unwrap();
        assert!(b.wallets.is_empty());
        assert_eq!(b.balance.to_string(), "0.0000");
    }

    #[test]
    fn reference_ledger_update_decodes() {
        let data: Vec<LedgerEntry> = serde_json::from_str(r#"[{"ledger_id":"DATKX6-PEHL1-HZKND8","ref_id":"LKAKN2-N0N12-VKQNLN","timestamp":"2024-05-24T14:01:53.526524Z","type":"trade","asset":"USD","asset_class":"currency","category":"trade","wallet_type":"spot","wallet_id":"main","amount":-19.9743,"fee":0.0499,"balance":118.0677}]"#).unwrap();
        let e = &data[0];
        assert_eq!(e.ledger_id, "DATKX6-PEHL1-HZKND8");
        assert_eq!(e.ref_id, "LKAKN2-N0N12-VKQNLN");
        assert_eq!(e.ledger_type, LedgerType::Trade);
        assert_eq!(e.category, Some(LedgerCategory::Trade));
        assert_eq!(e.amount.to_string(), "-19.9743");
        assert_eq!(e.fee.unwrap().to_string(), "0.0499");
        assert_eq!(e.balance.to_string(), "118.0677");
        assert_eq!(e.wallet_id.as_deref(), Some("main"));
        assert_eq!(e.subtype, None);
        let text = serde_json::to_string(e).unwrap();
        let back: LedgerEntry = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, e);
    }

    #[test]
    fn subtype_reads_both_spellings() {
        let base = r#""ledger_id":"L","ref_id":"R","timestamp":"2024-05-24T14:01:53Z","type":"transfer","category":"staking-rewards","asset":"DOT","amount":1,"balance":2,"user":"sub""#;
        for key in ["subtype", "sub_type"] {
            let text = format!(r#"{{{base},"{key}":"spottostaking"}}"#);
            let e: LedgerEntry = serde_json::from_str(&text).unwrap();
            assert_eq!(e.subtype.as_deref(), Some("spottostaking"), "{key}");
            assert_eq!(e.ledger_type, LedgerType::Transfer);
            assert_eq!(e.category, Some(LedgerCategory::StakingRewards));
            let out = serde_json::to_string(&e).unwrap();
            assert!(out.contains(r#""subtype":"spottostaking""#), "{out}");
        }
        let e: LedgerEntry = serde_json::from_str(
            r#"{"ledger_id":"L","ref_id":"R","timestamp":"2024-05-24T14:01:53Z","type":"airdrop_v2","category":"new-cat","asset":"X","amount":1,"balance":1}"#,
        )
        .unwrap();
        assert_eq!(e.ledger_type.as_str(), "airdrop_v2");
        assert_eq!(e.category.unwrap().as_str(), "new-cat");
    }
}
