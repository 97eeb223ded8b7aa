//! Why a book message could not be applied.

use crate::Decimal;

/// A book message that cannot be applied. The book is left out of sync.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// A price or quantity has more decimals than the pair's precision (or
    /// is too large): the precision is wrong or the data is.
    #[error("{what} {value} does not fit {precision} decimal places")]
    NotRepresentable {
        /// `price` or `qty`.
        what: &'static str,
        /// The value received.
        value: Decimal,
        /// The precision it was checked against.
        precision: u8,
    },
    /// A negative price or quantity.
    #[error("negative {what}: {value}")]
    Negative {
        /// `price` or `qty`.
        what: &'static str,
        /// The value received.
        value: Decimal,
    },
    /// The message is for another pair.
    #[error("message for {got} applied to the book of {expected}")]
    WrongSymbol {
        /// The book's pair.
        expected: String,
        /// The message's pair.
        got: String,
    },
    /// The visible quantities at one level3 price sum past the largest
    /// total a level can hold (`i64::MAX` units of the quantity precision):
    /// no real book comes near it, so the data is wrong.
    #[error(
        "the order quantities at price {price} sum past the largest level total ({} units at {precision} decimal places)",
        i64::MAX
    )]
    LevelTotalOverflow {
        /// The level's price.
        price: Decimal,
        /// The quantity precision the total is counted in.
        precision: u8,
    },
}
