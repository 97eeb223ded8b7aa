//! Kraken's REST names for a pair against the WebSocket v2 symbol.
//! `AssetPairs` keys its result by legacy names (`XXBTZUSD`) and gives
//! `wsname` in the WebSocket v1 spelling, where two assets differ from
//! v2: `XBT/USD` is `BTC/USD`, `XDG/USD` is `DOGE/USD`. Matching `wsname`
//! against a v2 symbol as text misses exactly the busiest pair.

use kraki_proto::rest_names::v2_symbol;
use serde_json::Value;

/// The entry of an `AssetPairs` result that is the v2 `symbol`: keyed by
/// it, or whose `wsname` stands for it.
pub(crate) fn find<'a>(pairs: &'a Value, symbol: &str) -> Option<&'a Value> {
    pairs.get(symbol).or_else(|| {
        pairs.as_object()?.values().find(|pair| {
            pair.get("wsname")
                .and_then(Value::as_str)
                .and_then(v2_symbol)
                .is_some_and(|v2| v2 == symbol)
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn pairs_are_found_under_kraken_s_own_keys() {
        // The shape of Kraken's AssetPairs result (fields trimmed).
        let pairs = json!({
            "XXBTZUSD": {"altname": "XBTUSD", "wsname": "XBT/USD", "base": "XXBT", "quote": "ZUSD"},
            "XETHZUSD": {"altname": "ETHUSD", "wsname": "ETH/USD", "base": "XETH", "quote": "ZUSD"},
            "XDGUSD": {"altname": "XDGUSD", "wsname": "XDG/USD", "base": "XXDG", "quote": "ZUSD"},
            "XETHXXBT": {"altname": "ETHXBT", "wsname": "ETH/XBT", "base": "XETH", "quote": "XXBT"}
        });
        let altname = |symbol| find(&pairs, symbol).map(|p| p["altname"].as_str().unwrap());
        assert_eq!(altname("BTC/USD"), Some("XBTUSD"));
        assert_eq!(altname("ETH/USD"), Some("ETHUSD"));
        assert_eq!(altname("DOGE/USD"), Some("XDGUSD"));
        assert_eq!(altname("ETH/BTC"), Some("ETHXBT"));
        assert_eq!(altname("XBT/USD"), None);
        assert_eq!(altname("SOL/USD"), None);
        // A result keyed by the v2 symbol itself (the simulator's).
        let keyed = json!({"BTC/USD": {"altname": "BTCUSD"}});
        assert!(find(&keyed, "BTC/USD").is_some());
    }
}
