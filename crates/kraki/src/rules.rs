//! Order checks before anything is sent: the pair's price increment,
//! quantity increment and minimum, and minimum cost, from instrument data
//! (the `instrument` channel or REST `AssetPairs`).

use crate::Error;
use crate::rest::AssetPair;
use kraki_proto::channels::PairInfo;
use kraki_proto::trading::AddOrderParams;
use kraki_proto::{Decimal, OrderType};

/// A pair's trading rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRules {
    /// The pair, e.g. `BTC/USD`.
    pub symbol: String,
    /// Prices must be a multiple of this.
    pub price_increment: Decimal,
    /// Quantities must be a multiple of this.
    pub qty_increment: Decimal,
    /// Smallest quantity.
    pub qty_min: Decimal,
    /// Smallest cost (price × quantity) in the quote currency, if known.
    pub cost_min: Option<Decimal>,
    /// Decimals of prices (book checksums).
    pub price_precision: u8,
    /// Decimals of quantities (book checksums).
    pub qty_precision: u8,
}

impl From<&PairInfo> for OrderRules {
    fn from(p: &PairInfo) -> Self {
        OrderRules {
            symbol: p.symbol.as_str().to_owned(),
            price_increment: p.price_increment,
            qty_increment: p.qty_increment,
            qty_min: p.qty_min,
            cost_min: p.cost_min,
            price_precision: p.price_precision,
            qty_precision: p.qty_precision,
        }
    }
}

impl OrderRules {
    /// Rules from one pair of REST `AssetPairs` (`tick_size`,
    /// `lot_decimals`, `ordermin`, `costmin`).
    ///
    /// # Errors
    /// [`Error::Http`] when its decimals are beyond what a [`Decimal`]
    /// holds.
    pub fn from_asset_pair(symbol: &str, pair: &AssetPair) -> Result<Self, Error> {
        let qty_increment = Decimal::new(1, pair.lot_decimals)
            .map_err(|e| Error::bad_answer(format!("AssetPairs {symbol}: lot_decimals: {e}")))?;
        let price_increment = match pair.tick_size {
            Some(tick) => tick,
            None => Decimal::new(1, pair.pair_decimals).map_err(|e| {
                Error::bad_answer(format!("AssetPairs {symbol}: pair_decimals: {e}"))
            })?,
        };
        Ok(OrderRules {
            symbol: symbol.to_owned(),
            price_increment,
            qty_increment,
            qty_min: pair.ordermin,
            cost_min: pair.costmin,
            price_precision: pair.pair_decimals,
            qty_precision: pair.lot_decimals,
        })
    }

    /// Checks an order against the rules.
    ///
    /// # Errors
    /// [`Error::Invalid`] saying which value breaks which rule.
    pub fn check(&self, order: &AddOrderParams) -> Result<(), Error> {
        let symbol = &self.symbol;
        let qty = order.order_qty;
        if qty.is_zero() || qty.is_negative() {
            return Err(Error::Invalid(format!("quantity {qty} must be positive")));
        }
        if !is_multiple(qty, self.qty_increment) {
            return Err(Error::Invalid(format!(
                "quantity {qty} is not a multiple of {symbol}'s quantity increment {}",
                self.qty_increment
            )));
        }
        if qty < self.qty_min {
            return Err(Error::Invalid(format!(
                "quantity {qty} is below {symbol}'s minimum {}",
                self.qty_min
            )));
        }
        // Trailing orders' prices are offsets, not prices on the tick grid.
        let offsets = matches!(
            order.order_type,
            OrderType::TrailingStop | OrderType::TrailingStopLimit
        );
        if let Some(price) = order.limit_price.filter(|_| !offsets) {
            if price.is_zero() || price.is_negative() {
                return Err(Error::Invalid(format!(
                    "limit price {price} must be positive"
                )));
            }
            self.check_price("limit price", price)?;
            if let (Some(cost_min), Some(cost)) = (self.cost_min, price.checked_mul(qty)) {
                if cost < cost_min {
                    return Err(Error::Invalid(format!(
                        "cost {} ({qty} × {price}) is below {symbol}'s minimum cost {cost_min}",
                        cost.normalized()
                    )));
                }
            }
        }
        let static_trigger = |t: &kraki_proto::trading::Triggers| {
            t.price_type.is_none() || t.price_type == Some(kraki_proto::PriceType::Static)
        };
        if let Some(t) = order
            .triggers
            .as_ref()
            .filter(|t| static_trigger(t) && !offsets)
        {
            self.check_price("trigger price", t.price)?;
        }
        Ok(())
    }

    fn check_price(&self, what: &str, price: Decimal) -> Result<(), Error> {
        if is_multiple(price, self.price_increment) {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "{what} {price} is not a multiple of {}'s price increment {}",
                self.symbol, self.price_increment
            )))
        }
    }
}

/// Whether `value` is a whole number of `step`s.
fn is_multiple(value: Decimal, step: Decimal) -> bool {
    let scale = value.scale().max(step.scale());
    match (value.to_units(scale), step.to_units(scale)) {
        // `wrapping_rem`: `i64::MIN % -1` overflows (and panics even in
        // release), though every number is a multiple of -1.
        (Some(v), Some(s)) if s != 0 => v.wrapping_rem(s) == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Order;
    use kraki_proto::Side;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn btc() -> OrderRules {
        let pair: AssetPair = serde_json::from_str(
            r#"{"altname": "XBTUSD", "wsname": "XBT/USD", "base": "XXBT", "quote": "ZUSD",
                "pair_decimals": 1, "lot_decimals": 8,
                "ordermin": "0.0001", "costmin": "0.5", "tick_size": "0.1"}"#,
        )
        .unwrap();
        OrderRules::from_asset_pair("BTC/USD", &pair).unwrap()
    }

    fn check(order: Order) -> Result<(), String> {
        btc().check(order.params()).map_err(|e| e.to_string())
    }

    #[test]
    fn multiples_at_the_extremes_never_overflow() {
        let min = Decimal::new(i64::MIN, 0).unwrap();
        assert!(is_multiple(min, d("-1")));
        assert!(is_multiple(min, d("1")));
        assert!(is_multiple(min, d("2")));
        assert!(!is_multiple(min, d("3")));
        assert!(is_multiple(Decimal::new(i64::MAX, 0).unwrap(), d("-1")));
        assert!(!is_multiple(d("1"), d("0")));
        // Scales whose alignment does not fit: not a multiple, no panic.
        assert!(!is_multiple(min, d("1e-30")));
        assert!(is_multiple(d("0"), d("1e-30")));
    }

    #[test]
    fn asset_pairs_give_the_rules() {
        let r = btc();
        assert_eq!(
            (r.price_increment, r.qty_increment),
            (d("0.1"), d("0.00000001"))
        );
        assert_eq!((r.qty_min, r.cost_min), (d("0.0001"), Some(d("0.5"))));
    }

    #[test]
    fn good_orders_pass_in_any_written_form() {
        check(Order::limit(Side::Buy, "BTC/USD", d("0.01"), d("65000.1"))).unwrap();
        check(Order::limit(
            Side::Buy,
            "BTC/USD",
            d("1E-2"),
            d("65000.10000"),
        ))
        .unwrap();
        check(Order::market(Side::Sell, "BTC/USD", d("0.0001"))).unwrap();
        check(Order::trailing_stop(
            Side::Sell,
            "BTC/USD",
            d("0.01"),
            d("12.345"),
        ))
        .unwrap();
    }

    #[test]
    fn each_rule_names_the_value_and_the_limit() {
        let e = check(Order::limit(Side::Buy, "BTC/USD", d("0.01"), d("65000.05"))).unwrap_err();
        assert_eq!(
            e,
            "invalid request: limit price 65000.05 is not a multiple of BTC/USD's price increment 0.1"
        );
        let e = check(Order::market(Side::Buy, "BTC/USD", d("0.00005"))).unwrap_err();
        assert!(e.contains("below BTC/USD's minimum 0.0001"), "{e}");
        let e = check(Order::market(Side::Buy, "BTC/USD", d("0.000000001"))).unwrap_err();
        assert!(e.contains("quantity increment 0.00000001"), "{e}");
        let e = check(Order::limit(Side::Buy, "BTC/USD", d("0.0001"), d("100.0"))).unwrap_err();
        assert!(
            e.contains("cost 0.01 (0.0001 × 100.0) is below BTC/USD's minimum cost 0.5"),
            "{e}"
        );
        let e = check(Order::stop_loss(
            Side::Sell,
            "BTC/USD",
            d("0.01"),
            d("60000.01"),
        ))
        .unwrap_err();
        assert!(e.contains("trigger price 60000.01"), "{e}");
        let e = check(Order::market(Side::Buy, "BTC/USD", d("-1"))).unwrap_err();
        assert!(e.contains("must be positive"), "{e}");
    }
}
