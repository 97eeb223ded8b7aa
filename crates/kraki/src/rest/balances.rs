//! `Balance`, `BalanceEx` and `TradeBalance`: what the account holds,
//! keyed by v2 asset codes (`BTC`, `USD`) where Kraken writes its REST
//! ids (`XXBT`, `ZUSD`).

use crate::Error;
use crate::keys::Credentials;
use crate::rest::client::{RestClient, Retry};
use crate::rest::envelope::typed;
use kraki_proto::Decimal;
use kraki_proto::rest_names;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One asset's entry of `BalanceEx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendedBalance {
    /// The total held, what open orders hold included.
    pub balance: Decimal,
    /// What open orders hold.
    pub hold_trade: Decimal,
    /// Credit available (margin accounts), when Kraken gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<Decimal>,
    /// Credit in use, when Kraken gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_used: Option<Decimal>,
}

impl ExtendedBalance {
    /// What is free to trade: the balance less what open orders hold.
    pub fn available(&self) -> Option<Decimal> {
        self.balance.checked_sub(self.hold_trade)
    }
}

/// `TradeBalance`: the account valued in one asset, with Kraken's field
/// names. On a spot-only account the margin figures are zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeBalance {
    /// Equivalent balance: every asset valued in the asked one.
    pub eb: Decimal,
    /// Trade balance: the equity of the margin-usable assets.
    pub tb: Decimal,
    /// Margin used by open positions.
    pub m: Decimal,
    /// Unrealised profit or loss of open positions.
    pub n: Decimal,
    /// Cost basis of open positions.
    pub c: Decimal,
    /// Current floating value of open positions.
    pub v: Decimal,
    /// Equity: `tb` plus `n`.
    pub e: Decimal,
    /// Free margin: `e` less `m`.
    pub mf: Decimal,
    /// Margin level (percent), when positions are open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ml: Option<Decimal>,
    /// Value of unfilled and partly filled orders, when Kraken gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uv: Option<Decimal>,
}

/// A map keyed by Kraken's REST asset ids, re-keyed by v2 codes.
fn by_v2_asset<T>(by_rest_id: BTreeMap<String, T>) -> BTreeMap<String, T> {
    by_rest_id
        .into_iter()
        .map(|(id, value)| (rest_names::v2_asset(&id).to_owned(), value))
        .collect()
}

impl RestClient {
    /// `Balance`: the total of every asset the account holds, keyed by
    /// v2 code (`BTC`, `USD`). Needs the `Query Funds` permission.
    /// Read-only: retried as [`RestClient::tier`] describes.
    ///
    /// # Errors
    /// [`Error::Rest`] with Kraken's errors (see [`Error::rest_errors`]),
    /// [`Error::Http`] when Kraken cannot be reached or answers with
    /// something not in its shape.
    pub async fn balance(
        &self,
        credentials: &Credentials,
    ) -> Result<BTreeMap<String, Decimal>, Error> {
        let path = "/0/private/Balance";
        let body = self.signed(credentials, path, &[], Retry::ReadOnly).await?;
        Ok(by_v2_asset(typed(path, 200, &body)?))
    }

    /// `BalanceEx`: every asset's total and what open orders hold of it,
    /// keyed by v2 code. Needs `Query Funds`.
    ///
    /// # Errors
    /// As [`RestClient::balance`].
    pub async fn balance_ex(
        &self,
        credentials: &Credentials,
    ) -> Result<BTreeMap<String, ExtendedBalance>, Error> {
        let path = "/0/private/BalanceEx";
        let body = self.signed(credentials, path, &[], Retry::ReadOnly).await?;
        Ok(by_v2_asset(typed(path, 200, &body)?))
    }

    /// `TradeBalance`: the account valued in `asset` (a v2 code such as
    /// `USD` or `BTC`; Kraken's default is `USD`). Needs `Query Funds`.
    ///
    /// # Errors
    /// As [`RestClient::balance`]; `EQuery:Unknown asset` for an asset
    /// Kraken cannot value in.
    pub async fn trade_balance(
        &self,
        credentials: &Credentials,
        asset: Option<&str>,
    ) -> Result<TradeBalance, Error> {
        let path = "/0/private/TradeBalance";
        let params: Vec<(&str, String)> = asset
            .map(|a| ("asset", rest_names::asset_id(a).to_owned()))
            .into_iter()
            .collect();
        let body = self
            .signed(credentials, path, &params, Retry::ReadOnly)
            .await?;
        typed(path, 200, &body)
    }
}
