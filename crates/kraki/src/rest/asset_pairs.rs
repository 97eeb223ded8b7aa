//! `AssetPairs`: each pair's names and trading rules, keyed by its v2
//! symbol.

use crate::Error;
use crate::rest::RestClient;
use crate::rest::pair_request;
use kraki_proto::Decimal;
use kraki_proto::rest_names;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One pair of `AssetPairs`, the fields a trader uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AssetPair {
    /// The v2 symbol (`BTC/USD`), the key it is found under (filled from
    /// `wsname`).
    #[serde(skip)]
    pub symbol: String,
    /// The key of its entry in Kraken's answer (`XXBTZUSD`).
    #[serde(skip)]
    pub key: String,
    /// `XBTUSD`.
    pub altname: String,
    /// The WebSocket v1 name (`XBT/USD`).
    #[serde(default)]
    pub wsname: Option<String>,
    /// The base asset's REST id (`XXBT`).
    pub base: String,
    /// The quote asset's REST id (`ZUSD`).
    pub quote: String,
    /// Decimals of prices: the WebSocket `price_precision`.
    pub pair_decimals: u8,
    /// Decimals of quantities: the WebSocket `qty_precision`.
    pub lot_decimals: u8,
    /// Decimals of costs.
    #[serde(default)]
    pub cost_decimals: Option<u8>,
    /// Smallest order quantity.
    pub ordermin: Decimal,
    /// Smallest order cost in the quote asset.
    #[serde(default)]
    pub costmin: Option<Decimal>,
    /// Prices are multiples of this.
    #[serde(default)]
    pub tick_size: Option<Decimal>,
    /// `online`, `cancel_only`, `post_only`, `limit_only`, `reduce_only`.
    #[serde(default)]
    pub status: Option<String>,
}

impl RestClient {
    /// `AssetPairs`: the pairs named by their v2 symbols (`BTC/USD`), or
    /// all of them for an empty list; keyed by v2 symbol.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a symbol that is not `BASE/QUOTE` (before
    /// anything is sent), [`Error::Rest`] with Kraken's errors
    /// (`EQuery:Unknown asset pair`), [`Error::Http`] as for
    /// [`RestClient::time`].
    pub async fn asset_pairs(
        &self,
        symbols: &[&str],
    ) -> Result<BTreeMap<String, AssetPair>, Error> {
        let mut params = Vec::new();
        if !symbols.is_empty() {
            params.push(("pair", pair_request::pair_parameter(symbols)?));
        }
        let result: BTreeMap<String, AssetPair> = self.public("AssetPairs", &params).await?;
        Ok(by_symbol(result, symbols))
    }
}

/// Kraken's entries keyed by v2 symbol: the one asked for that the key
/// names, else the v2 name of the `wsname` (which spells bitcoin `XBT`
/// and dogecoin `XDG`, so matching it as text misses them).
fn by_symbol(result: BTreeMap<String, AssetPair>, symbols: &[&str]) -> BTreeMap<String, AssetPair> {
    result
        .into_iter()
        .map(|(key, mut pair)| {
            pair.symbol = pair_request::symbol_of(&key, symbols)
                .map(str::to_owned)
                .or_else(|| pair.wsname.as_deref().and_then(rest_names::v2_symbol))
                .unwrap_or_else(|| key.clone());
            pair.key = key;
            (pair.symbol.clone(), pair)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pairs_are_keyed_by_v2_symbol_from_krakens_names() {
        // The shape of Kraken's AssetPairs result (fields trimmed).
        let entry = |altname: &str, wsname: &str| {
            format!(
                r#"{{"altname":"{altname}","wsname":"{wsname}","base":"B","quote":"Q","pair_decimals":1,"lot_decimals":8,"ordermin":"0.0001"}}"#
            )
        };
        let text = format!(
            r#"{{"XXBTZUSD":{},"XETHZUSD":{},"XDGUSD":{},"XETHXXBT":{}}}"#,
            entry("XBTUSD", "XBT/USD"),
            entry("ETHUSD", "ETH/USD"),
            entry("XDGUSD", "XDG/USD"),
            entry("ETHXBT", "ETH/XBT"),
        );
        let result: BTreeMap<String, AssetPair> = serde_json::from_str(&text).unwrap();
        let pairs = by_symbol(result, &[]);
        let altname = |symbol: &str| pairs.get(symbol).map(|p| p.altname.as_str());
        assert_eq!(altname("BTC/USD"), Some("XBTUSD"));
        assert_eq!(altname("ETH/USD"), Some("ETHUSD"));
        assert_eq!(altname("DOGE/USD"), Some("XDGUSD"));
        assert_eq!(altname("ETH/BTC"), Some("ETHXBT"));
        assert_eq!(pairs["BTC/USD"].key, "XXBTZUSD");
        assert_eq!(altname("XBT/USD"), None);
        // A pair asked for and answered under the name asked, with a slash.
        let text = format!(r#"{{"BTC/USD":{}}}"#, entry("XBTUSD", "XBT/USD"));
        let pairs = by_symbol(serde_json::from_str(&text).unwrap(), &["BTC/USD"]);
        assert_eq!(pairs["BTC/USD"].key, "BTC/USD");
    }
}
