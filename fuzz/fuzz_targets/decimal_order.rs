//! `Decimal` equality, ordering and hashing against a reference that
//! shares no arithmetic with the type: both values written out as their
//! exact digits and compared as text.
//!
//! Input: a first byte of 0 reads two raw values (eight bytes of mantissa,
//! one of scale, twice), reaching mantissas no text parses to (`i64::MIN`);
//! any other input is text, two numbers separated by the first space.

#![no_main]

use kraki_proto::{Decimal, MAX_SCALE};
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Sign, integer digits without leading zeros, and exactly `MAX_SCALE`
/// fraction digits.
fn exact_digits(d: Decimal) -> (bool, String, String) {
    let digits = d.mantissa().unsigned_abs().to_string();
    let scale = usize::from(d.scale());
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

fn reference_cmp(a: Decimal, b: Decimal) -> Ordering {
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

fn hash_of(d: Decimal) -> u64 {
    let mut h = DefaultHasher::new();
    d.hash(&mut h);
    h.finish()
}

fn raw(bytes: &[u8]) -> Option<Decimal> {
    let (mantissa, rest) = bytes.split_first_chunk::<8>()?;
    let scale = rest.first()? % (MAX_SCALE + 1);
    Decimal::new(i64::from_le_bytes(*mantissa), scale).ok()
}

fuzz_target!(|data: &[u8]| {
    let (a, b) = match data.split_first() {
        Some((0, rest)) => match (raw(rest), rest.get(9..).and_then(raw)) {
            (Some(a), Some(b)) => (a, b),
            _ => return,
        },
        _ => {
            let Some((a, b)) = std::str::from_utf8(data)
                .ok()
                .and_then(|text| text.split_once(' '))
            else {
                return;
            };
            match (a.parse::<Decimal>(), b.parse::<Decimal>()) {
                (Ok(a), Ok(b)) => (a, b),
                _ => return,
            }
        }
    };
    let expected = reference_cmp(a, b);
    assert_eq!(a.cmp(&b), expected, "{a:?} vs {b:?}");
    assert_eq!(b.cmp(&a), expected.reverse(), "{b:?} vs {a:?}");
    assert_eq!(a == b, expected == Ordering::Equal, "{a:?} == {b:?}");
    if a == b {
        assert_eq!(hash_of(a), hash_of(b), "{a:?} and {b:?} hash apart");
    }
});
