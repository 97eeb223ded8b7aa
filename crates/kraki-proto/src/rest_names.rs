//! Kraken's REST names for assets and pairs, against the WebSocket v2
//! names, both ways, in one place.
//!
//! REST keeps the names of Kraken's first years: the assets listed then
//! have four-letter ids with an `X` (crypto) or `Z` (fiat) in front
//! (`XXBT`, `XETH`, `ZUSD`), and a pair of two such assets is keyed by
//! the two ids (`XXBTZUSD`, `XETHXXBT`). Later assets keep their code
//! (`SOL`, `USDT`), and so do pairs with one of them (`SOLUSD`,
//! `XBTUSDT`). Two assets are spelt otherwise than in v2 everywhere in
//! REST and in WebSocket v1: bitcoin is `XBT` and dogecoin `XDG`, whose
//! id `XXDG` is prefixed although its pairs are keyed by the short code
//! (`XDGUSD`). A pair's `altname` joins the short codes (`XBTUSD`), its
//! `wsname` puts a slash between them (`XBT/USD`).

/// One asset: its v2 code, its REST id, its short REST code, and whether
/// pairs of it with another such asset are keyed by the ids.
struct Asset {
    v2: &'static str,
    id: &'static str,
    altname: &'static str,
    legacy_pairs: bool,
}

const fn asset(v2: &'static str, id: &'static str, altname: &'static str) -> Asset {
    Asset {
        v2,
        id,
        altname,
        legacy_pairs: true,
    }
}

/// The assets whose REST names differ from their v2 code.
const ASSETS: [Asset; 16] = [
    asset("BTC", "XXBT", "XBT"),
    asset("ETH", "XETH", "ETH"),
    asset("LTC", "XLTC", "LTC"),
    asset("XRP", "XXRP", "XRP"),
    asset("XLM", "XXLM", "XLM"),
    asset("XMR", "XXMR", "XMR"),
    asset("ZEC", "XZEC", "ZEC"),
    asset("ETC", "XETC", "ETC"),
    asset("MLN", "XMLN", "MLN"),
    asset("REP", "XREP", "REP"),
    Asset {
        v2: "DOGE",
        id: "XXDG",
        altname: "XDG",
        legacy_pairs: false,
    },
    asset("USD", "ZUSD", "USD"),
    asset("EUR", "ZEUR", "EUR"),
    asset("GBP", "ZGBP", "GBP"),
    asset("JPY", "ZJPY", "JPY"),
    asset("CAD", "ZCAD", "CAD"),
];

fn by_v2(code: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.v2 == code)
}

/// An asset's REST id (`Balance`, `Ledgers`, a pair's `base`): `BTC` →
/// `XXBT`, `USD` → `ZUSD`, `SOL` → `SOL`.
#[must_use]
pub fn asset_id(v2: &str) -> &str {
    by_v2(v2).map_or(v2, |a| a.id)
}

/// An asset's short REST code (`Assets`' `altname`): `BTC` → `XBT`,
/// `DOGE` → `XDG`, `USD` → `USD`.
#[must_use]
pub fn asset_altname(v2: &str) -> &str {
    by_v2(v2).map_or(v2, |a| a.altname)
}

/// The v2 code of an asset named either way in REST: `XXBT` and `XBT` →
/// `BTC`, `ZUSD` → `USD`, `XXDG` and `XDG` → `DOGE`; other codes are the
/// same in both.
#[must_use]
pub fn v2_asset(rest: &str) -> &str {
    ASSETS
        .iter()
        .find(|a| a.id == rest || a.altname == rest)
        .map_or(rest, |a| a.v2)
}

/// The REST names of a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairNames {
    /// The key of its entry in `AssetPairs`, `Ticker`, `OHLC`, …
    /// (`XXBTZUSD`).
    pub key: String,
    /// `XBTUSD`.
    pub altname: String,
    /// The WebSocket v1 name (`XBT/USD`).
    pub wsname: String,
    /// The base asset's id (`XXBT`).
    pub base: String,
    /// The quote asset's id (`ZUSD`).
    pub quote: String,
}

/// The REST names of a v2 pair (`BTC/USD`); `None` unless it is
/// `BASE/QUOTE`.
#[must_use]
pub fn pair_names(symbol: &str) -> Option<PairNames> {
    let (base, quote) = symbol.split_once('/')?;
    if base.is_empty() || quote.is_empty() || quote.contains('/') {
        return None;
    }
    let legacy = |code: &str| by_v2(code).is_some_and(|a| a.legacy_pairs);
    let (base_alt, quote_alt) = (asset_altname(base), asset_altname(quote));
    let key = if legacy(base) && legacy(quote) {
        format!("{}{}", asset_id(base), asset_id(quote))
    } else {
        format!("{base_alt}{quote_alt}")
    };
    Some(PairNames {
        key,
        altname: format!("{base_alt}{quote_alt}"),
        wsname: format!("{base_alt}/{quote_alt}"),
        base: asset_id(base).to_owned(),
        quote: asset_id(quote).to_owned(),
    })
}

/// The v2 pair a WebSocket v1 name stands for: `XBT/USD` → `BTC/USD`;
/// `None` unless it is `BASE/QUOTE`.
#[must_use]
pub fn v2_symbol(wsname: &str) -> Option<String> {
    let (base, quote) = wsname.split_once('/')?;
    if base.is_empty() || quote.is_empty() || quote.contains('/') {
        return None;
    }
    Some(format!("{}/{}", v2_asset(base), v2_asset(quote)))
}

/// The quote assets Kraken's REST pairs end with, in every spelling, the
/// longest first, for splitting a pair name without a slash.
const QUOTES: [&str; 22] = [
    "PYUSD", "ZUSD", "ZEUR", "ZGBP", "ZJPY", "ZCAD", "XXBT", "XETH", "USDT", "USDC", "XBT", "ETH",
    "USD", "EUR", "GBP", "JPY", "CAD", "CHF", "AUD", "DAI", "BTC", "DOT",
];

/// The v2 pair of a REST pair name in any of Kraken's spellings: the key
/// (`XXBTZUSD`), the `altname` (`XBTUSD`), the `wsname` (`XBT/USD`) or
/// the v2 symbol itself; `None` when the name cannot be split into two
/// assets that spell it.
#[must_use]
pub fn v2_pair(rest: &str) -> Option<String> {
    if rest.contains('/') {
        return v2_symbol(rest);
    }
    QUOTES.iter().find_map(|quote| {
        let base = rest.strip_suffix(quote).filter(|b| !b.is_empty())?;
        let symbol = format!("{}/{}", v2_asset(base), v2_asset(quote));
        names_pair(rest, &symbol).then_some(symbol)
    })
}

/// Whether `name` is one of the spellings Kraken's REST takes for the v2
/// pair `symbol`: the key (`XXBTZUSD`), the `altname` (`XBTUSD`), the
/// `wsname` (`XBT/USD`) or the v2 symbol itself (`BTC/USD`).
#[must_use]
pub fn names_pair(name: &str, symbol: &str) -> bool {
    name == symbol
        || pair_names(symbol)
            .is_some_and(|n| name == n.key || name == n.altname || name == n.wsname)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Kraken's own names (its `AssetPairs` entries: key, altname,
    /// wsname, base, quote).
    #[test]
    fn pairs_get_krakens_names() {
        for (symbol, key, altname, wsname, base, quote) in [
            ("BTC/USD", "XXBTZUSD", "XBTUSD", "XBT/USD", "XXBT", "ZUSD"),
            ("ETH/USD", "XETHZUSD", "ETHUSD", "ETH/USD", "XETH", "ZUSD"),
            ("ETH/BTC", "XETHXXBT", "ETHXBT", "ETH/XBT", "XETH", "XXBT"),
            ("LTC/BTC", "XLTCXXBT", "LTCXBT", "LTC/XBT", "XLTC", "XXBT"),
            ("BTC/EUR", "XXBTZEUR", "XBTEUR", "XBT/EUR", "XXBT", "ZEUR"),
            ("DOGE/USD", "XDGUSD", "XDGUSD", "XDG/USD", "XXDG", "ZUSD"),
            ("BTC/USDT", "XBTUSDT", "XBTUSDT", "XBT/USDT", "XXBT", "USDT"),
            ("SOL/USD", "SOLUSD", "SOLUSD", "SOL/USD", "SOL", "ZUSD"),
            ("SHIB/USD", "SHIBUSD", "SHIBUSD", "SHIB/USD", "SHIB", "ZUSD"),
        ] {
            let names = pair_names(symbol).unwrap();
            assert_eq!(
                names,
                PairNames {
                    key: key.into(),
                    altname: altname.into(),
                    wsname: wsname.into(),
                    base: base.into(),
                    quote: quote.into(),
                },
                "{symbol}"
            );
            // And back.
            assert_eq!(v2_symbol(wsname).unwrap(), symbol);
            for name in [symbol, key, altname, wsname] {
                assert!(names_pair(name, symbol), "{name} names {symbol}");
            }
        }
        assert!(!names_pair("BTCUSD", "BTC/USD"));
        for (name, symbol) in [
            ("XXBTZUSD", "BTC/USD"),
            ("XBTUSD", "BTC/USD"),
            ("XBT/USD", "BTC/USD"),
            ("XETHXXBT", "ETH/BTC"),
            ("ETHXBT", "ETH/BTC"),
            ("XDGUSD", "DOGE/USD"),
            ("XBTUSDT", "BTC/USDT"),
            ("SOLUSD", "SOL/USD"),
            ("SHIBUSD", "SHIB/USD"),
            ("XXBTZEUR", "BTC/EUR"),
            ("USDCUSD", "USDC/USD"),
        ] {
            assert_eq!(v2_pair(name).as_deref(), Some(symbol), "{name}");
        }
        assert_eq!(v2_pair("NOTAPAIR"), None);
        assert!(!names_pair("XXBTZUSD", "ETH/USD"));
        assert_eq!(pair_names("BTCUSD"), None);
        assert_eq!(pair_names("BTC/"), None);
        assert_eq!(v2_symbol("XBTUSD"), None);
    }

    #[test]
    fn assets_both_ways() {
        for (v2, id, altname) in [
            ("BTC", "XXBT", "XBT"),
            ("DOGE", "XXDG", "XDG"),
            ("USD", "ZUSD", "USD"),
            ("EUR", "ZEUR", "EUR"),
            ("ETH", "XETH", "ETH"),
            ("SOL", "SOL", "SOL"),
            ("USDT", "USDT", "USDT"),
        ] {
            assert_eq!(asset_id(v2), id);
            assert_eq!(asset_altname(v2), altname);
            assert_eq!(v2_asset(id), v2);
            assert_eq!(v2_asset(altname), v2);
        }
    }
}
