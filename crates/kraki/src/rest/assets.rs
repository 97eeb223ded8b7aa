//! `Assets`: each asset's REST id, short code and precisions, keyed by
//! its v2 code.

use crate::Error;
use crate::rest::RestClient;
use kraki_proto::Decimal;
use kraki_proto::rest_names;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One asset of `Assets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetInfo {
    /// The v2 code (`BTC`), the key it is found under.
    pub code: String,
    /// Kraken's REST id (`XXBT`), the key of its entry in Kraken's answer
    /// and the name `Balance` and `Ledgers` use.
    pub id: String,
    /// The short REST code (`XBT`).
    pub altname: String,
    /// `currency` for spot assets.
    pub aclass: String,
    /// Decimals Kraken keeps for amounts of it.
    pub decimals: u8,
    /// Decimals Kraken shows.
    pub display_decimals: u8,
    /// Its value as margin collateral, as a fraction, if it has one.
    pub collateral_value: Option<Decimal>,
    /// `enabled`, `deposit_only`, `withdrawal_only`, `funding_temporarily_disabled`.
    pub status: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    altname: String,
    aclass: String,
    decimals: u8,
    display_decimals: u8,
    #[serde(default)]
    collateral_value: Option<Decimal>,
    #[serde(default)]
    status: Option<String>,
}

impl RestClient {
    /// `Assets`: the assets named by their v2 codes (`BTC`, `USD`), or
    /// all of them for an empty list; keyed by v2 code.
    ///
    /// # Errors
    /// [`Error::Rest`] with Kraken's errors (`EQuery:Unknown asset`),
    /// [`Error::Http`] as for [`RestClient::time`].
    pub async fn assets(&self, codes: &[&str]) -> Result<BTreeMap<String, AssetInfo>, Error> {
        let mut params = Vec::new();
        if !codes.is_empty() {
            let ids: Vec<&str> = codes.iter().map(|c| rest_names::asset_id(c)).collect();
            params.push(("asset", ids.join(",")));
        }
        let result: BTreeMap<String, Entry> = self.public("Assets", &params).await?;
        Ok(result
            .into_iter()
            .map(|(id, entry)| {
                let code = rest_names::v2_asset(&entry.altname).to_owned();
                let info = AssetInfo {
                    code: code.clone(),
                    id,
                    altname: entry.altname,
                    aclass: entry.aclass,
                    decimals: entry.decimals,
                    display_decimals: entry.display_decimals,
                    collateral_value: entry.collateral_value,
                    status: entry.status,
                };
                (code, info)
            })
            .collect())
    }
}
