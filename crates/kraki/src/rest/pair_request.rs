//! The REST name a request gives a v2 pair, and the v2 pair of a result
//! key: one pair per request is named as Kraken's `altname` (`XBTUSD`),
//! which every Kraken endpoint takes.

use crate::Error;
use kraki_proto::rest_names::{self, PairNames};

/// Kraken's names for `symbol` (`BTC/USD`).
///
/// # Errors
/// [`Error::Invalid`] unless `symbol` is `BASE/QUOTE`.
pub(crate) fn names(symbol: &str) -> Result<PairNames, Error> {
    rest_names::pair_names(symbol).ok_or_else(|| {
        Error::Invalid(format!(
            "{symbol:?} is not a pair: expected BASE/QUOTE, e.g. BTC/USD"
        ))
    })
}

/// The `pair` parameter for `symbols`: their altnames, comma-separated.
pub(crate) fn pair_parameter(symbols: &[&str]) -> Result<String, Error> {
    let names = symbols
        .iter()
        .map(|s| names(s).map(|n| n.altname))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names.join(","))
}

/// Which of `symbols` the result key `key` stands for.
pub(crate) fn symbol_of<'a>(key: &str, symbols: &[&'a str]) -> Option<&'a str> {
    symbols
        .iter()
        .find(|s| rest_names::names_pair(key, s))
        .copied()
}
