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
