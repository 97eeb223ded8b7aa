//! Exact money arithmetic in integer units: every amount is an integer
//! count of `10^-scale` of its asset, never a float.

use kraki_proto::Decimal;

/// Decimals kept for an asset's balance: 4 for fiat (as Kraken's USD
/// ledger), 8 for every crypto asset (enough for every default pair's
/// quantity precision while a balance of 10^9 coins still fits a
/// [`Decimal`]).
pub(crate) fn asset_scale(asset: &str) -> u8 {
    match asset {
        "USD" | "EUR" | "GBP" | "CAD" | "CHF" | "JPY" | "AUD" => 4,
        _ => 8,
    }
}

/// `value` (at `from` decimals) at `to` decimals; dropped digits round
/// half up, or up (away from zero) when `ceil` is set, as fees do.
pub(crate) fn rescale(value: i128, from: u8, to: u8, ceil: bool) -> i128 {
    if to >= from {
        return value.saturating_mul(pow10(to - from));
    }
    let factor = pow10(from - to);
    let (q, r) = (value / factor, value % factor);
    let bump = if ceil { r != 0 } else { r.abs() * 2 >= factor };
    if bump { q + value.signum() } else { q }
}

/// `10^exp`, saturating far beyond any scale used here.
pub(crate) fn pow10(exp: u8) -> i128 {
    10i128.saturating_pow(u32::from(exp))
}

/// A decimal of `units` at `scale` places; saturates at the `i64` range,
/// which no simulated balance reaches.
pub(crate) fn decimal(units: i128, scale: u8) -> Decimal {
    let clamped = units.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    Decimal::new(clamped, scale).unwrap_or_default()
}

/// `value` as units at `scale`, if it has no more places than that.
pub(crate) fn units(value: Decimal, scale: u8) -> Option<i64> {
    value.to_units(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_rounds() {
        assert_eq!(rescale(1_329_995_500, 7, 4, false), 1_329_996);
        assert_eq!(rescale(1_329_995_499, 7, 4, false), 1_329_995);
        assert_eq!(rescale(1_329_995_001, 7, 4, true), 1_329_996);
        assert_eq!(rescale(-15, 1, 0, false), -2);
        assert_eq!(rescale(12, 0, 2, false), 1200);
        assert_eq!(decimal(1_329_995, 4).to_string(), "132.9995");
    }
}
