//! `Decimal` equality, ordering and hashing across the whole range, checked
//! against a reference that shares no arithmetic with the type: each value
//! written out as its exact digits (integer part and thirty places), then
//! compared as text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod decimal_reference;

use decimal_reference::{hash_of, reference_cmp};
use kraki_proto::{Decimal, MAX_SCALE};
use proptest::prelude::*;
use std::cmp::Ordering;

fn dec(mantissa: i64, scale: u8) -> Decimal {
    Decimal::new(mantissa, scale).unwrap()
}

fn parse(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Checks `cmp`, `==`, `partial_cmp` and the hash of a pair against the
/// reference, both ways round.
fn check(a: Decimal, b: Decimal) {
    let expected = reference_cmp(a, b);
    assert_eq!(
        a.cmp(&b),
        expected,
        "{a} vs {b} (scales {}, {})",
        a.scale(),
        b.scale()
    );
    assert_eq!(b.cmp(&a), expected.reverse(), "{b} vs {a}");
    assert_eq!(a.partial_cmp(&b), Some(expected));
    assert_eq!(a == b, expected == Ordering::Equal, "{a} == {b}");
    if a == b {
        assert_eq!(
            hash_of(a),
            hash_of(b),
            "equal values {a} and {b} hash apart"
        );
    }
}

#[test]
fn the_reported_case() {
    assert!(parse("1000000000") > parse("1e-30"));
    assert!(parse("1e-30") < parse("1000000000"));
    assert_ne!(parse("1000000000"), parse("1e-30"));
}

#[test]
fn extreme_mantissas_at_extreme_scales() {
    let mantissas = [
        i64::MAX,
        i64::MAX - 1,
        i64::MIN,
        i64::MIN + 1,
        -1,
        0,
        1,
        999_999_999_999_999_999,
        1_000_000_000_000_000_000,
        -1_000_000_000_000_000_000,
    ];
    for &a in &mantissas {
        for &b in &mantissas {
            for sa in [0, 1, 11, 12, 18, 19, 20, 29, MAX_SCALE] {
                for sb in [0, 1, 11, 12, 18, 19, 20, 29, MAX_SCALE] {
                    check(dec(a, sa), dec(b, sb));
                }
            }
        }
    }
}

#[test]
fn largest_against_smallest() {
    let big = dec(i64::MAX, 0);
    let tiny = dec(1, MAX_SCALE);
    assert!(big > tiny);
    assert!(dec(i64::MIN, 0) < dec(-1, MAX_SCALE));
    assert!(dec(i64::MIN, 0) < dec(i64::MIN, MAX_SCALE));
    assert!(dec(i64::MAX, MAX_SCALE) < dec(1, 0));
    assert!(dec(i64::MIN, MAX_SCALE) > dec(-1, 0));
    // 10^19 × 10^-19 against 1: the widening is just past i64, not u128.
    assert!(dec(i64::MAX, 19) < dec(1, 0));
    assert_eq!(dec(1_000_000_000_000_000_000, 18), dec(1, 0));
}

#[test]
fn zeros_of_every_scale_are_equal_and_hash_alike() {
    let zeros: Vec<Decimal> = (0..=MAX_SCALE).map(|s| dec(0, s)).collect();
    for &a in &zeros {
        for &b in &zeros {
            assert_eq!(a, b);
            assert_eq!(hash_of(a), hash_of(b));
        }
        assert!(a < dec(1, MAX_SCALE));
        assert!(a > dec(-1, MAX_SCALE));
        assert!(a < dec(1, 0));
        assert!(a > dec(i64::MIN, 0));
    }
    assert_eq!(parse("-0.0"), parse("0e-50"));
}

#[test]
fn equal_values_at_different_scales() {
    check(parse("1.0"), parse("1.000000000000000000"));
    check(
        parse("-922337203.6854775807"),
        dec(-9_223_372_036_854_775_807, 10),
    );
    check(parse("1e-12"), parse("0.000000000001000000"));
    check(parse("9e18"), parse("9000000000000000000.0"));
}

/// Mantissas weighted to the edges, where a widening overflows.
fn mantissa() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -1000i64..1000,
        Just(i64::MAX),
        Just(i64::MIN),
        (0u32..19, -9i64..=9).prop_map(|(e, k)| k * 10i64.pow(e)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn ordering_matches_the_exact_digits(
        a in mantissa(), sa in 0..=MAX_SCALE,
        b in mantissa(), sb in 0..=MAX_SCALE,
    ) {
        check(dec(a, sa), dec(b, sb));
    }

    /// The same value moved to a finer scale, where it still fits, is
    /// equal, hashes alike and sorts the same against a third value.
    #[test]
    fn rescaled_values_stay_equal(
        m in -1_000_000_000i64..1_000_000_000, s in 0u8..=20, extra in 0u8..=9,
        c in mantissa(), sc in 0..=MAX_SCALE,
    ) {
        let a = dec(m, s);
        let b = a.with_scale(s + extra).unwrap();
        prop_assert_eq!(a, b);
        prop_assert_eq!(hash_of(a), hash_of(b));
        let c = dec(c, sc);
        prop_assert_eq!(a.cmp(&c), b.cmp(&c));
        check(a, c);
    }
}
