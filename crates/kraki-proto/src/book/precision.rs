//! The decimals a pair's prices and quantities are written with.

use crate::channels::PairInfo;

/// Price and quantity precision of a pair, as the `instrument` channel
/// gives them (`price_precision`, `qty_precision`). The checksum formats
/// every level with them, so a book cannot be verified without them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Precision {
    /// Decimals of prices.
    pub price: u8,
    /// Decimals of quantities.
    pub qty: u8,
}

impl Precision {
    /// Explicit precisions.
    pub const fn new(price: u8, qty: u8) -> Self {
        Precision { price, qty }
    }
}

impl From<&PairInfo> for Precision {
    fn from(pair: &PairInfo) -> Self {
        Precision {
            price: pair.price_precision,
            qty: pair.qty_precision,
        }
    }
}
