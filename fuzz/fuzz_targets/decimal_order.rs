//! `Decimal` equality, ordering and hashing against a reference that
//! shares no arithmetic with the type: both values written out as their
//! exact digits and compared as text.
//!
//! Input: a first byte of 0 reads two raw values (eight bytes of mantissa,
//! one of scale, twice), reaching mantissas no text parses to (`i64::MIN`);
//! any other input is text, two numbers separated by the first space.

#![no_main]

#[path = "../../crates/kraki-proto/tests/decimal_reference/mod.rs"]
mod decimal_reference;

use decimal_reference::{hash_of, reference_cmp};
use kraki_proto::{Decimal, MAX_SCALE};
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

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
