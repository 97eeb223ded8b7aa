//! `TradeVolume`: the account's 30-day volume and its fees per pair.

use crate::Error;
use crate::keys::Credentials;
use crate::rest::client::{RestClient, Retry};
use crate::rest::envelope::typed;
use kraki_proto::Decimal;
use kraki_proto::rest_names;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One pair's fee tier, in percent, with Kraken's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeTier {
    /// The fee now.
    pub fee: Decimal,
    /// The lowest fee of the schedule.
    #[serde(default)]
    pub minfee: Option<Decimal>,
    /// The highest fee of the schedule.
    #[serde(default)]
    pub maxfee: Option<Decimal>,
    /// The next tier's fee, if any.
    #[serde(default)]
    pub nextfee: Option<Decimal>,
    /// The volume the next tier starts at, if any.
    #[serde(default)]
    pub nextvolume: Option<Decimal>,
    /// The volume the current tier starts at.
    #[serde(default)]
    pub tiervolume: Option<Decimal>,
}

/// `TradeVolume`: the 30-day volume and, for the pairs asked about, the
/// taker (`fees`) and maker (`fees_maker`) fees, keyed by v2 symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeVolume {
    /// The volume's currency, as a v2 code (`USD` for Kraken's `ZUSD`).
    pub currency: String,
    /// The 30-day volume.
    pub volume: Decimal,
    /// Taker fees per pair.
    #[serde(default)]
    pub fees: BTreeMap<String, FeeTier>,
    /// Maker fees per pair.
    #[serde(default)]
    pub fees_maker: BTreeMap<String, FeeTier>,
}

fn by_v2_pair(by_rest_name: BTreeMap<String, FeeTier>) -> BTreeMap<String, FeeTier> {
    by_rest_name
        .into_iter()
        .map(|(name, fee)| (rest_names::v2_pair(&name).unwrap_or(name), fee))
        .collect()
}

impl RestClient {
    /// `TradeVolume`, with the fees of `pairs` (v2 symbols, sent as
    /// Kraken's names). Needs `Query Funds`. Read-only.
    ///
    /// # Errors
    /// As [`RestClient::balance`]; [`Error::Invalid`] for a pair that is
    /// not `BASE/QUOTE`, before anything is sent.
    pub async fn trade_volume(
        &self,
        credentials: &Credentials,
        pairs: &[&str],
    ) -> Result<TradeVolume, Error> {
        let path = "/0/private/TradeVolume";
        let mut names = Vec::new();
        for pair in pairs {
            let rest = rest_names::pair_names(pair)
                .ok_or_else(|| Error::Invalid(format!("{pair:?} is not a BASE/QUOTE pair")))?;
            names.push(rest.altname);
        }
        let params: Vec<(&str, String)> = if names.is_empty() {
            Vec::new()
        } else {
            vec![("pair", names.join(","))]
        };
        let body = self
            .signed(credentials, path, &params, Retry::ReadOnly)
            .await?;
        let mut volume: TradeVolume = typed(path, 200, &body)?;
        volume.currency = rest_names::v2_asset(&volume.currency).to_owned();
        volume.fees = by_v2_pair(volume.fees);
        volume.fees_maker = by_v2_pair(volume.fees_maker);
        Ok(volume)
    }
}
