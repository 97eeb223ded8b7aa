//! The pairs a request names, in any spelling Kraken takes, with the key
//! Kraken gives each in the result.

use crate::markets::PairSpec;
use kraki_proto::rest_names;

/// A pair asked for: its index in the specs and its key in the result.
pub(super) struct Asked {
    pub(super) index: usize,
    pub(super) key: String,
}

/// Kraken's error for a pair it does not list.
pub(super) const UNKNOWN_PAIR: &str = "EQuery:Unknown asset pair";

/// The pairs of a comma-separated `pair` parameter, each in any spelling
/// (`XXBTZUSD`, `XBTUSD`, `XBT/USD`, `BTC/USD`). Kraken keys each entry
/// by its own key (`XXBTZUSD`), except a pair asked for with a slash,
/// which it keys by the name as asked. `Err` names no pair: Kraken's
/// error does not either.
pub(super) fn asked_pairs(names: &str, specs: &[PairSpec]) -> Result<Vec<Asked>, &'static str> {
    names
        .split(',')
        .map(|name| {
            let index = specs
                .iter()
                .position(|s| rest_names::names_pair(name, &s.symbol))
                .ok_or(UNKNOWN_PAIR)?;
            Ok(Asked {
                index,
                key: key_for(name, &specs[index]),
            })
        })
        .collect()
}

/// Every pair, each under Kraken's key.
pub(super) fn all_pairs(specs: &[PairSpec]) -> Vec<Asked> {
    specs
        .iter()
        .enumerate()
        .map(|(index, spec)| Asked {
            index,
            key: key_for("", spec),
        })
        .collect()
}

fn key_for(asked: &str, spec: &PairSpec) -> String {
    if asked.contains('/') {
        return asked.to_owned();
    }
    rest_names::pair_names(&spec.symbol).map_or_else(|| spec.symbol.clone(), |n| n.key)
}
