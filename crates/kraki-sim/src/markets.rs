//! The pairs the simulator trades, with Kraken-like precisions.

/// A tradable pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSpec {
    /// v2 symbol, e.g. `BTC/USD`.
    pub symbol: String,
    /// Base asset.
    pub base: String,
    /// Quote asset.
    pub quote: String,
    /// Decimals of prices.
    pub price_precision: u8,
    /// Decimals of quantities.
    pub qty_precision: u8,
    /// Price of the first mid, in price units (`10^-price_precision`).
    pub start_price: i64,
    /// Minimum order quantity in quantity units.
    pub qty_min: i64,
    /// Typical level size in quantity units.
    pub typical_qty: i64,
    /// Minimum order cost, in quote units written with 5 decimals.
    pub cost_min_e5: i64,
}

fn pair(
    symbol: &str,
    price_precision: u8,
    qty_precision: u8,
    start_price: i64,
    qty_min: i64,
    typical_qty: i64,
) -> PairSpec {
    let (base, quote) = symbol.split_once('/').unwrap_or((symbol, "USD"));
    PairSpec {
        symbol: symbol.to_owned(),
        base: base.to_owned(),
        quote: quote.to_owned(),
        price_precision,
        qty_precision,
        start_price,
        qty_min,
        typical_qty,
        cost_min_e5: 50_000,
    }
}

/// The default markets: six pairs with different precisions, from BTC/USD
/// (1 and 8 decimals, tens of thousands) to a sub-cent pair with 7 price
/// decimals.
pub fn default_markets() -> Vec<PairSpec> {
    vec![
        pair("BTC/USD", 1, 8, 650_000, 10_000, 25_000_000),
        pair("ETH/USD", 2, 8, 350_000, 100_000, 500_000_000),
        pair("ETH/BTC", 5, 8, 5_400, 200_000, 400_000_000),
        pair("SOL/USD", 2, 8, 15_000, 2_000_000, 3_000_000_000),
        pair("DOGE/USD", 7, 8, 1_500_000, 5_000_000_000, 900_000_000_000),
        pair("SHIB/USD", 8, 2, 1_200, 20_000_000, 500_000_000_000),
    ]
}

/// Activity of each of the default six, on the scale of
/// [`synthetic_activity`].
pub const DEFAULT_ACTIVITY: u32 = 10;

/// `n` synthetic pairs (`SYN000/USD`, `SYN001/USD`, …) to serve beside
/// the default six, for tests and benchmarks of many books: price
/// precisions cycle through 1 to 7 decimals and quantity precisions
/// through 8, 6, 5, 4 and 2, with prices from about 0.001 to 10,000.
pub fn synthetic_markets(n: usize) -> Vec<PairSpec> {
    (0..n)
        .map(|i| {
            let price_precision = [1u8, 2, 3, 4, 5, 6, 7][i % 7];
            let qty_precision = [8u8, 6, 5, 4, 2][i % 5];
            // 10,000 to 99,999 price units: a tick is 0.001 % to 0.01 %
            // of the price, as on Kraken's books.
            let start_price = 10_000 + (i as i64 * 7_919) % 90_000;
            let qty_min = 10i64.pow(u32::from(qty_precision.saturating_sub(2))).max(1);
            let mut spec = pair(
                &format!("SYN{i:03}/USD"),
                price_precision,
                qty_precision,
                start_price,
                qty_min,
                qty_min * 2_500,
            );
            // Synthetic assets may be cheap: the minimum cost stays low.
            spec.cost_min_e5 = 1;
            spec
        })
        .collect()
}

/// How often the `i`-th synthetic pair moves, relative to the others: 1 to
/// 10 (the default six are at [`DEFAULT_ACTIVITY`]), so a benchmark sees
/// busy and quiet books side by side.
pub fn synthetic_activity(i: usize) -> u32 {
    1 + (i as u32).wrapping_mul(31) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_pairs_differ_in_precision_and_activity() {
        let specs = synthetic_markets(12);
        assert_eq!(specs.len(), 12);
        assert_eq!(specs[0].symbol, "SYN000/USD");
        assert_eq!(specs[11].symbol, "SYN011/USD");
        let precisions: std::collections::BTreeSet<(u8, u8)> = specs
            .iter()
            .map(|s| (s.price_precision, s.qty_precision))
            .collect();
        assert!(precisions.len() >= 10);
        assert!(
            specs
                .iter()
                .all(|s| s.start_price >= 10_000 && s.qty_min >= 1)
        );
        let activity: std::collections::BTreeSet<u32> = (0..12).map(synthetic_activity).collect();
        assert!(activity.len() >= 5 && activity.iter().all(|a| (1..=10).contains(a)));
    }
}
