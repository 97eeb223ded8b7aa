//! Exact decimal numbers that keep the digits Kraken sent.
//!
//! Kraken writes prices and quantities as JSON numbers padded to the pair's
//! precision (`0.01100000`, `66788.0`), sometimes in exponent form
//! (`1.2345e-05`) or as strings. Going through `f64` would lose the padding
//! (which the book checksum needs) and sometimes the value itself, so the
//! number text is parsed straight into a mantissa and a scale.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The largest number of digits after the point a [`Decimal`] can carry.
pub const MAX_SCALE: u8 = 30;

/// Powers of ten that fit an `i64`, indexed by exponent.
const POW10: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// `10^exp` as an `i64`, if it fits.
pub(crate) fn pow10(exp: u32) -> Option<i64> {
    POW10.get(exp as usize).copied()
}

/// An exact decimal: `mantissa × 10^-scale`.
///
/// The scale is the number of digits after the point as received, so
/// `0.01100000` keeps its eight places and prints back the same way.
/// Equality, ordering and hashing are by numeric value (`1.0 == 1.00`);
/// [`Decimal::scale`] tells the digits apart.
#[derive(Clone, Copy, Default)]
pub struct Decimal {
    mantissa: i64,
    scale: u8,
}

/// Why a text could not be read as a [`Decimal`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// The text was empty or held no digits.
    #[error("not a number: no digits")]
    NoDigits,
    /// A character that cannot appear in a number.
    #[error("not a number: unexpected {found:?} at offset {position} of the number")]
    InvalidChar {
        /// The offending character.
        found: char,
        /// Its byte offset in the text.
        position: usize,
    },
    /// More significant digits than 18, or a magnitude beyond ±9.2e18.
    #[error("number out of range: more than 18 significant digits or too large")]
    Overflow,
    /// More than [`MAX_SCALE`] digits after the point.
    #[error("number out of range: more than {MAX_SCALE} decimal places")]
    TooManyPlaces,
}

impl Decimal {
    /// Zero with no decimal places.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// `mantissa × 10^-scale`.
    ///
    /// # Errors
    /// [`DecimalError::TooManyPlaces`] when `scale` exceeds [`MAX_SCALE`].
    pub const fn new(mantissa: i64, scale: u8) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::TooManyPlaces);
        }
        Ok(Decimal { mantissa, scale })
    }

    /// The integer digits of the number, without the point.
    pub const fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// The number of digits after the point, as received.
    pub const fn scale(self) -> u8 {
        self.scale
    }

    /// True for any zero (`0`, `0.00000000`, `-0.0`).
    pub const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// True for values below zero.
    pub const fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// Parses JSON number text or a numeric string's content: optional sign,
    /// digits with an optional point, optional exponent (`1.2345e-05`,
    /// `1E+3`). Trailing zeros after the point are kept in the scale.
    ///
    /// # Errors
    /// A [`DecimalError`] naming the problem; never panics.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`Decimal::parse`] on bytes.
    ///
    /// # Errors
    /// As [`Decimal::parse`].
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, DecimalError> {
        let mut pos = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                pos = 1;
                true
            }
            Some(b'+') => {
                pos = 1;
                false
            }
            _ => false,
        };
        let mut mantissa: u64 = 0;
        let mut digits = 0usize;
        let mut frac_digits: i64 = 0;
        // Zeros after the point that did not fit the mantissa; harmless as
        // long as no non-zero digit follows them.
        let mut dropped_zeros: i64 = 0;
        let mut in_fraction = false;
        while let Some(&b) = bytes.get(pos) {
            match b {
                b'0'..=b'9' => {
                    let digit = u64::from(b - b'0');
                    digits += 1;
                    if in_fraction {
                        frac_digits += 1;
                    }
                    match mantissa.checked_mul(10).and_then(|m| m.checked_add(digit)) {
                        Some(m) if m <= i64::MAX as u64 && dropped_zeros == 0 => mantissa = m,
                        _ if digit == 0 && in_fraction => {
                            dropped_zeros += 1;
                            frac_digits -= 1;
                        }
                        _ => return Err(DecimalError::Overflow),
                    }
                }
                b'.' if !in_fraction => in_fraction = true,
                b'e' | b'E' => break,
                _ => {
                    return Err(DecimalError::InvalidChar {
                        found: char::from(b),
                        position: pos,
                    });
                }
            }
            pos += 1;
        }
        if digits == 0 {
            return Err(DecimalError::NoDigits);
        }
        let mut exponent: i64 = 0;
        if pos < bytes.len() {
            exponent = parse_exponent(bytes, pos + 1)?;
        }
        let mut mantissa = mantissa as i64;
        if negative {
            mantissa = -mantissa;
        }
        let mut scale = frac_digits - exponent;
        if scale < 0 && mantissa == 0 {
            scale = 0;
        }
        if scale < 0 {
            let factor = u32::try_from(-scale)
                .ok()
                .and_then(pow10)
                .ok_or(DecimalError::Overflow)?;
            mantissa = mantissa.checked_mul(factor).ok_or(DecimalError::Overflow)?;
            scale = 0;
        }
        // Exponent form can ask for more places than fit; trailing zeros of
        // the mantissa can be given up without changing the value.
        while scale > i64::from(MAX_SCALE) && mantissa % 10 == 0 && mantissa != 0 {
            mantissa /= 10;
            scale -= 1;
        }
        if scale > i64::from(MAX_SCALE) {
            if mantissa == 0 {
                scale = i64::from(MAX_SCALE);
            } else {
                return Err(DecimalError::TooManyPlaces);
            }
        }
        Ok(Decimal {
            mantissa,
            scale: scale as u8,
        })
    }

    /// The value as an integer count of `10^-precision` units (e.g. ticks of
    /// a price with `precision` decimals), if that is exact and fits.
    pub fn to_units(self, precision: u8) -> Option<i64> {
        match precision.cmp(&self.scale) {
            Ordering::Equal => Some(self.mantissa),
            // Zero is zero at any precision, even where the power of ten
            // between the scales (up to 10^30) does not fit an i64.
            _ if self.mantissa == 0 => Some(0),
            Ordering::Greater => {
                let factor = pow10(u32::from(precision - self.scale))?;
                self.mantissa.checked_mul(factor)
            }
            Ordering::Less => {
                // A non-zero mantissa (below 10^19) is never a multiple of a
                // power of ten that does not fit an i64.
                let factor = pow10(u32::from(self.scale - precision))?;
                (self.mantissa % factor == 0).then_some(self.mantissa / factor)
            }
        }
    }

    /// The same value written with exactly `precision` places, if no
    /// non-zero digit has to be dropped (`0.001` at 8 places is
    /// `0.00100000`).
    pub fn with_scale(self, precision: u8) -> Option<Decimal> {
        if precision > MAX_SCALE {
            return None;
        }
        Some(Decimal {
            mantissa: self.to_units(precision)?,
            scale: precision,
        })
    }

    /// The value with trailing zeros after the point removed.
    pub fn normalized(self) -> Decimal {
        let mut d = self;
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        d
    }

    /// The nearest `f64`, for display and statistics. Never use it for money.
    pub fn to_f64(self) -> f64 {
        // Going through the text gives the correctly rounded value.
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The shortest decimal that reads back as `value`, e.g. `0.1` for
    /// `0.1_f64`.
    ///
    /// # Errors
    /// NaN, infinities, and values needing more than 18 digits.
    pub fn from_f64(value: f64) -> Result<Self, DecimalError> {
        if !value.is_finite() {
            return Err(DecimalError::NoDigits);
        }
        // `Display` for f64 prints the shortest round-trip digits, never in
        // exponent form.
        Decimal::parse(&value.to_string())
    }

    /// Exact sum, if it fits.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        let a = self.to_units(scale)?;
        let b = other.to_units(scale)?;
        Some(Decimal {
            mantissa: a.checked_add(b)?,
            scale,
        })
    }

    /// Exact difference, if it fits.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(other.checked_neg()?)
    }

    /// Exact product, if it fits (the scale is the sum of the scales).
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.checked_add(other.scale)?;
        if scale > MAX_SCALE {
            return None;
        }
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(other.mantissa)?,
            scale,
        })
    }

    /// Negation, if it fits.
    pub fn checked_neg(self) -> Option<Decimal> {
        Some(Decimal {
            mantissa: self.mantissa.checked_neg()?,
            scale: self.scale,
        })
    }
}

fn parse_exponent(bytes: &[u8], mut pos: usize) -> Result<i64, DecimalError> {
    let negative = match bytes.get(pos) {
        Some(b'-') => {
            pos += 1;
            true
        }
        Some(b'+') => {
            pos += 1;
            false
        }
        _ => false,
    };
    let start = pos;
    let mut exponent: i64 = 0;
    while let Some(&b) = bytes.get(pos) {
        if !b.is_ascii_digit() {
            return Err(DecimalError::InvalidChar {
                found: char::from(b),
                position: pos,
            });
        }
        // Anything past a few hundred is out of range either way; saturate
        // instead of overflowing.
        exponent = (exponent * 10 + i64::from(b - b'0')).min(10_000);
        pos += 1;
    }
    if pos == start {
        return Err(DecimalError::NoDigits);
    }
    Ok(if negative { -exponent } else { exponent })
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    /// Exact for every pair of values: signs first, then magnitudes at a
    /// common scale in `u128`. A magnitude is at most 2^63 and the scales
    /// differ by at most 30, so the widened side needs up to 2^63 × 10^30,
    /// past `u128` (about 3.4 × 10^38); a widening that overflows is
    /// therefore larger than any magnitude it is compared with.
    fn cmp(&self, other: &Self) -> Ordering {
        if self.scale == other.scale {
            return self.mantissa.cmp(&other.mantissa);
        }
        let sign = self.mantissa.signum().cmp(&other.mantissa.signum());
        if sign != Ordering::Equal || self.mantissa == 0 {
            return sign;
        }
        let magnitude = compare_magnitudes(*self, *other);
        if self.mantissa < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// `|a|` against `|b|`, exactly, for scales that differ.
fn compare_magnitudes(a: Decimal, b: Decimal) -> Ordering {
    // The side with fewer places is multiplied up to the other's scale.
    let widen = |d: Decimal, to: u8| {
        10u128
            .checked_pow(u32::from(to - d.scale))
            .and_then(|factor| u128::from(d.mantissa.unsigned_abs()).checked_mul(factor))
    };
    if a.scale < b.scale {
        let other = u128::from(b.mantissa.unsigned_abs());
        widen(a, b.scale).map_or(Ordering::Greater, |m| m.cmp(&other))
    } else {
        let this = u128::from(a.mantissa.unsigned_abs());
        widen(b, a.scale).map_or(Ordering::Less, |m| this.cmp(&m))
    }
}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalized();
        n.mantissa.hash(state);
        n.scale.hash(state);
    }
}

impl fmt::Display for Decimal {
    /// The plain decimal text; width and alignment flags apply
    /// (`{:>14}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 48];
        f.pad(self.write_to(&mut buf))
    }
}

impl Decimal {
    /// Writes the plain decimal text (no exponent) into `buf` and returns it.
    fn write_to<'b>(&self, buf: &'b mut [u8; 48]) -> &'b str {
        let mut end = buf.len();
        let mut magnitude = self.mantissa.unsigned_abs();
        let mut written = 0u8;
        loop {
            end -= 1;
            buf[end] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            written += 1;
            if written == self.scale {
                end -= 1;
                buf[end] = b'.';
            }
            if magnitude == 0 && written > self.scale {
                break;
            }
        }
        if self.mantissa < 0 {
            end -= 1;
            buf[end] = b'-';
        }
        // Only ASCII digits, '.' and '-' were written.
        std::str::from_utf8(&buf[end..]).unwrap_or("0")
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::parse(s)
    }
}

impl From<i64> for Decimal {
    fn from(value: i64) -> Self {
        Decimal {
            mantissa: value,
            scale: 0,
        }
    }
}

impl TryFrom<f64> for Decimal {
    type Error = DecimalError;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Decimal::from_f64(value)
    }
}

impl From<Decimal> for f64 {
    fn from(value: Decimal) -> Self {
        value.to_f64()
    }
}

#[cfg(feature = "rust_decimal")]
impl TryFrom<Decimal> for rust_decimal::Decimal {
    type Error = DecimalError;

    /// Exact; fails only above rust_decimal's 28 places.
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        rust_decimal::Decimal::try_from_i128_with_scale(
            i128::from(value.mantissa),
            u32::from(value.scale),
        )
        .map_err(|_| DecimalError::TooManyPlaces)
    }
}

#[cfg(feature = "rust_decimal")]
impl TryFrom<rust_decimal::Decimal> for Decimal {
    type Error = DecimalError;

    /// Exact; fails when the mantissa needs more than 18 digits.
    fn try_from(value: rust_decimal::Decimal) -> Result<Self, Self::Error> {
        let mantissa = i64::try_from(value.mantissa()).map_err(|_| DecimalError::Overflow)?;
        let scale = u8::try_from(value.scale()).map_err(|_| DecimalError::TooManyPlaces)?;
        Decimal::new(mantissa, scale)
    }
}

impl serde::Serialize for Decimal {
    /// Written as a JSON number with exactly the digits held, e.g.
    /// `0.000012345`, never in exponent form.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 48];
        let text = self.write_to(&mut buf);
        let raw = serde_json::value::RawValue::from_string(text.to_owned())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    /// Reads a JSON number or a numeric string from its exact text. Needs a
    /// `serde_json` deserializer over a `&str` or `&[u8]` (as `decode` uses).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: &'de serde_json::value::RawValue = serde::Deserialize::deserialize(deserializer)?;
        parse_raw_number(raw.get()).map_err(serde::de::Error::custom)
    }
}

/// Parses a raw JSON token that is a number or a string holding one.
pub(crate) fn parse_raw_number(raw: &str) -> Result<Decimal, DecimalError> {
    let text = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .map_or(raw, str::trim);
    Decimal::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn keeps_the_digits_sent() {
        assert_eq!(d("0.01100000").to_string(), "0.01100000");
        assert_eq!(d("66788.0").to_string(), "66788.0");
        assert_eq!(d("0.00000000").to_string(), "0.00000000");
        assert_eq!(d("-0.00017").to_string(), "-0.00017");
        assert_eq!(d("740").to_string(), "740");
        assert_eq!(d("0").to_string(), "0");
        assert_eq!(
            format!("{:>8}|{:<6}|", d("1.50"), d("-2")),
            "    1.50|-2    |"
        );
    }

    #[test]
    fn exponent_forms_become_plain_decimals() {
        assert_eq!(d("1.2345e-05").to_string(), "0.000012345");
        assert_eq!(d("1E+3").to_string(), "1000");
        assert_eq!(d("1e-08").to_string(), "0.00000001");
        assert_eq!(d("5.1e-05").to_string(), "0.000051");
        assert_eq!(d("-2.5E2").to_string(), "-250");
        assert_eq!(d("0e-50").to_string(), format!("0.{}", "0".repeat(30)));
    }

    #[test]
    fn equality_is_numeric_and_scale_is_kept() {
        assert_eq!(d("1.0"), d("1.00000"));
        assert_ne!(d("1.0").scale(), d("1.00000").scale());
        assert!(d("0.5666") > d("0.566"));
        assert!(d("-1") < d("0.0"));
        use std::collections::HashSet;
        let set: HashSet<Decimal> = [d("4.0"), d("4"), d("4.000")].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn bad_text_is_a_clear_error() {
        assert_eq!(Decimal::parse(""), Err(DecimalError::NoDigits));
        assert_eq!(Decimal::parse("-"), Err(DecimalError::NoDigits));
        assert_eq!(
            Decimal::parse("1.2.3"),
            Err(DecimalError::InvalidChar {
                found: '.',
                position: 3
            })
        );
        assert_eq!(Decimal::parse("1e"), Err(DecimalError::NoDigits));
        assert_eq!(
            Decimal::parse("99999999999999999999"),
            Err(DecimalError::Overflow)
        );
        assert_eq!(Decimal::parse("1e-40"), Err(DecimalError::TooManyPlaces));
        assert_eq!(Decimal::parse("1e400"), Err(DecimalError::Overflow));
        assert!(
            Decimal::parse("abc")
                .unwrap_err()
                .to_string()
                .contains("'a'")
        );
    }

    #[test]
    fn surplus_trailing_zeros_are_given_up_not_rejected() {
        let long = format!("1.{}", "0".repeat(40));
        assert_eq!(d(&long), d("1"));
        assert!(Decimal::parse(&format!("1.{}1", "0".repeat(40))).is_err());
    }

    #[test]
    fn units_and_rescaling() {
        assert_eq!(d("45285.2").to_units(1), Some(452852));
        assert_eq!(d("0.001").to_units(8), Some(100000));
        assert_eq!(d("4.0").to_units(8), Some(400000000));
        assert_eq!(d("0.12345").to_units(2), None);
        assert_eq!(d("0.120").to_units(2), Some(12));
        assert_eq!(d("0.001").with_scale(8).unwrap().to_string(), "0.00100000");
        // Scale gaps whose power of ten does not fit an i64.
        assert_eq!(d("0e-50").to_units(0), Some(0));
        assert_eq!(Decimal::ZERO.to_units(MAX_SCALE), Some(0));
        assert_eq!(d("1e-30").to_units(0), None);
        assert_eq!(d("1").to_units(MAX_SCALE), None);
        assert_eq!(Decimal::new(i64::MIN, 0).unwrap().to_units(1), None);
        assert_eq!(Decimal::new(i64::MIN, 1).unwrap().to_units(0), None);
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(d("0.1").checked_add(d("0.2")), Some(d("0.3")));
        assert_eq!(d("26599.9").checked_mul(d("0.005")), Some(d("132.9995")));
        assert_eq!(d("1").checked_sub(d("0.00000001")), Some(d("0.99999999")));
    }

    #[test]
    fn float_conversions() {
        assert_eq!(d("0.1").to_f64(), 0.1);
        assert_eq!(Decimal::from_f64(0.1).unwrap(), d("0.1"));
        assert_eq!(Decimal::from_f64(66788.5).unwrap().to_string(), "66788.5");
        assert!(Decimal::from_f64(f64::NAN).is_err());
    }

    #[cfg(feature = "rust_decimal")]
    #[test]
    fn rust_decimal_round_trip() {
        let x = d("0.01100000");
        let r = rust_decimal::Decimal::try_from(x).unwrap();
        assert_eq!(r.to_string(), "0.01100000");
        assert_eq!(Decimal::try_from(r).unwrap().to_string(), "0.01100000");
    }

    #[test]
    fn serde_reads_numbers_and_strings_and_writes_plain_numbers() {
        let v: Vec<Decimal> = serde_json::from_str(r#"[0.01100000, "45285.2", 1E+3]"#).unwrap();
        assert_eq!(v[0].to_string(), "0.01100000");
        assert_eq!(v[1].to_string(), "45285.2");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            "[0.01100000,45285.2,1000]"
        );
        assert!(serde_json::from_str::<Decimal>("true").is_err());
        assert!(serde_json::from_str::<Decimal>(r#""x1""#).is_err());
    }

    proptest::proptest! {
        #[test]
        fn display_parse_round_trip(m in proptest::prelude::any::<i64>(), s in 0u8..=MAX_SCALE) {
            let x = Decimal::new(m, s).unwrap();
            let back = Decimal::parse(&x.to_string()).unwrap();
            proptest::prop_assert_eq!(back.mantissa(), m);
            proptest::prop_assert_eq!(back.scale(), s);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Decimal::parse(&s);
        }
    }
}
