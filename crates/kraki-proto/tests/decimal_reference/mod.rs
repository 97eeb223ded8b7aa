//! The reference for `Decimal` comparison, shared by the property test
//! (`tests/decimal_order.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/decimal_order.rs`): each value written out as its
//! exact digits (integer part and thirty places) and compared as text, so
//! it shares no arithmetic with the type.

use kraki_proto::{Decimal, MAX_SCALE};
use std::cmp::Ordering;
use std::hash::{DefaultHasher, Hash, Hasher};

/// A value as sign, integer digits without leading zeros, and exactly
/// `MAX_SCALE` fraction digits.
fn exact_digits(d: Decimal) -> (bool, String, String) {
    let digits = d.mantissa().unsigned_abs().to_string();
    let scale = usize::from(d.scale());
    // Left-pad so there is at least one integer digit.
    let padded = format!(
        "{}{digits}",
        "0".repeat((scale + 1).saturating_sub(digits.len()))
    );
    let (int, frac) = padded.split_at(padded.len() - scale);
    let int = int.trim_start_matches('0').to_owned();
    let frac = format!("{frac:0<width$}", width = usize::from(MAX_SCALE));
    let zero = int.is_empty() && frac.bytes().all(|b| b == b'0');
    (d.mantissa() < 0 && !zero, int, frac)
}

/// The reference order: sign, then integer digits by length and text, then
/// fraction text (all the same length); reversed for two negatives.
pub(crate) fn reference_cmp(a: Decimal, b: Decimal) -> Ordering {
    let (a_neg, a_int, a_frac) = exact_digits(a);
    let (b_neg, b_int, b_frac) = exact_digits(b);
    match (a_neg, b_neg) {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    let magnitude = a_int
        .len()
        .cmp(&b_int.len())
        .then_with(|| a_int.cmp(&b_int))
        .then_with(|| a_frac.cmp(&b_frac));
    if a_neg {
        magnitude.reverse()
    } else {
        magnitude
    }
}

pub(crate) fn hash_of(d: Decimal) -> u64 {
    let mut h = DefaultHasher::new();
    d.hash(&mut h);
    h.finish()
}
