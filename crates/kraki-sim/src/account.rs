//! An account: per-asset balances in integer units and the ledger ids
//! that record every change. One per API key, funded when first used.

use crate::money::{asset_scale, decimal, units};
use kraki_proto::Decimal;
use kraki_proto::channels::{AssetBalance, Wallet};
use std::collections::BTreeMap;

/// What a new account holds: 100,000 USD, 10 BTC, 100 ETH and some of
/// every other asset of the default markets.
pub(crate) fn default_balances() -> Vec<(String, Decimal)> {
    [
        ("USD", 100_000),
        ("BTC", 10),
        ("ETH", 100),
        ("SOL", 1_000),
        ("DOGE", 100_000),
        ("SHIB", 100_000_000),
    ]
    .into_iter()
    .map(|(asset, amount)| (asset.to_owned(), Decimal::from(amount)))
    .collect()
}

/// One account's balances, in units of each asset's scale.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    balances: BTreeMap<String, i128>,
}

impl Account {
    /// An account holding `start`; amounts with more places than the
    /// asset's scale are cut to it.
    pub(crate) fn new(start: &[(String, Decimal)]) -> Account {
        let balances = start
            .iter()
            .map(|(asset, amount)| {
                let scale = asset_scale(asset);
                let held = units(*amount, scale).map_or_else(
                    || {
                        crate::money::rescale(
                            i128::from(amount.mantissa()),
                            amount.scale(),
                            scale,
                            false,
                        )
                    },
                    i128::from,
                );
                (asset.clone(), held)
            })
            .collect();
        Account { balances }
    }

    /// The total held of `asset`, in its units.
    pub(crate) fn balance(&self, asset: &str) -> i128 {
        self.balances.get(asset).copied().unwrap_or(0)
    }

    /// Adds `amount` less `fee` (both in the asset's units) and returns the
    /// new total.
    pub(crate) fn apply(&mut self, asset: &str, amount: i128, fee: i128) -> i128 {
        let held = self.balances.entry(asset.to_owned()).or_insert(0);
        *held += amount - fee;
        *held
    }

    /// The `balances` snapshot: one entry per asset, all in the spot
    /// wallet `main`.
    pub(crate) fn snapshot(&self) -> Vec<AssetBalance> {
        self.balances
            .iter()
            .map(|(asset, held)| {
                let balance = decimal(*held, asset_scale(asset));
                AssetBalance {
                    asset: asset.as_str().into(),
                    asset_class: Some("currency".to_owned()),
                    balance,
                    wallets: vec![Wallet {
                        wallet_type: "spot".to_owned(),
                        id: "main".to_owned(),
                        balance,
                    }],
                }
            })
            .collect()
    }
}
