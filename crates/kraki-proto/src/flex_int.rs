//! Integers that Kraken may send as JSON numbers or as numeric strings.
//!
//! Used with `#[serde(deserialize_with = ...)]` on integer fields, so that a
//! quoted `"62887576"` reads like `62887576`.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::marker::PhantomData;

struct FlexVisitor<T>(PhantomData<T>);

impl<T> Visitor<'_> for FlexVisitor<T>
where
    T: TryFrom<u64> + TryFrom<i64> + std::str::FromStr,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string holding one")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("integer {v} out of range")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("integer {v} out of range")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // Integers written as `1.0` or `1e3`: accept only exact whole values.
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            return self.visit_i64(v as i64);
        }
        Err(E::custom(format!("expected an integer, got {v}")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom(format!("expected an integer, got {v:?}")))
    }
}

/// Deserializes an integer from a number or a numeric string.
pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64> + std::str::FromStr,
{
    deserializer.deserialize_any(FlexVisitor(PhantomData))
}

/// As [`deserialize`], for an optional field (use with `default`).
pub(crate) fn option<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64> + std::str::FromStr,
{
    struct Wrapper<T>(T);
    impl<'de, T> serde::Deserialize<'de> for Wrapper<T>
    where
        T: TryFrom<u64> + TryFrom<i64> + std::str::FromStr,
    {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize(d).map(Wrapper)
        }
    }
    let value: Option<Wrapper<T>> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.map(|w| w.0))
}
