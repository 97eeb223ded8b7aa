//! RFC 3339 timestamps, parsed leniently.
//!
//! Kraken sends microsecond and nanosecond UTC times with a `Z`, but one
//! documented example has seven fractional digits and no zone at all; a
//! missing zone is read as UTC.

use std::fmt;
use std::str::FromStr;

/// A point in time in UTC with nanosecond resolution that remembers how many
/// fractional digits it was written with, so it prints back as received.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_seconds: i64,
    nanos: u32,
    frac_digits: u8,
}

/// Why a text is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 timestamp: {reason}")]
pub struct TimestampError {
    reason: &'static str,
}

fn fail<T>(reason: &'static str) -> Result<T, TimestampError> {
    Err(TimestampError { reason })
}

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp {
        unix_seconds: 0,
        nanos: 0,
        frac_digits: 0,
    };

    /// A timestamp from Unix seconds and nanoseconds, printed with
    /// `frac_digits` fractional digits (0–9).
    pub fn from_unix(unix_seconds: i64, nanos: u32, frac_digits: u8) -> Option<Timestamp> {
        (nanos < 1_000_000_000 && frac_digits <= 9).then_some(Timestamp {
            unix_seconds,
            nanos,
            frac_digits,
        })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.unix_seconds
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Nanoseconds since the Unix epoch.
    pub fn unix_nanos(self) -> i128 {
        i128::from(self.unix_seconds) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]`; `t`/`z`/space are
    /// accepted too, and a missing zone means UTC. Digits past nanoseconds
    /// are ignored.
    ///
    /// # Errors
    /// A [`TimestampError`] saying which part is wrong.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let b = text.as_bytes();
        let num = |range: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            let part = b.get(range).ok_or(TimestampError {
                reason: "too short",
            })?;
            if !part.iter().all(u8::is_ascii_digit) {
                return fail("expected digits");
            }
            Ok(part
                .iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
        };
        let year = num(0..4)?;
        let month = num(5..7)?;
        let day = num(8..10)?;
        let hour = num(11..13)?;
        let minute = num(14..16)?;
        let second = num(17..19)?;
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return fail("date must be YYYY-MM-DD");
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return fail("missing 'T' between date and time");
        }
        if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
            return fail("time must be HH:MM:SS");
        }
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return fail("no such date");
        }
        if hour > 23 || minute > 59 || second > 60 {
            return fail("no such time of day");
        }
        let mut pos = 19;
        let mut nanos: u32 = 0;
        let mut frac_digits: u8 = 0;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while let Some(d) = b.get(pos).filter(|d| d.is_ascii_digit()) {
                if frac_digits < 9 {
                    nanos = nanos * 10 + u32::from(d - b'0');
                    frac_digits += 1;
                }
                pos += 1;
            }
            if pos == start {
                return fail("no digits after '.'");
            }
            for _ in frac_digits..9 {
                nanos *= 10;
            }
        }
        let offset_seconds = match b.get(pos) {
            None => 0,
            Some(b'Z' | b'z') if pos + 1 == b.len() => 0,
            Some(&sign @ (b'+' | b'-')) if pos + 6 == b.len() && b[pos + 3] == b':' => {
                let h = num(pos + 1..pos + 3)?;
                let m = num(pos + 4..pos + 6)?;
                if h > 23 || m > 59 {
                    return fail("zone offset out of range");
                }
                let off = h * 3600 + m * 60;
                if sign == b'-' { -off } else { off }
            }
            Some(_) => return fail("unexpected text after the time"),
        };
        let days = days_from_civil(year, month, day);
        // A leap second (:60) folds into the next second.
        let unix_seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
        Ok(Timestamp {
            unix_seconds,
            nanos,
            frac_digits,
        })
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// well-known algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with a `Z` and the fractional digits it was read with.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.unix_seconds.div_euclid(86_400);
        let secs = self.unix_seconds.rem_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if self.frac_digits > 0 {
            let digits = format!("{:09}", self.nanos);
            f.write_str(".")?;
            f.write_str(&digits[..usize::from(self.frac_digits)])?;
        }
        f.write_str("Z")
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_kraken_forms() {
        for s in [
            "2023-09-21T14:15:07.197274Z",
            "2024-05-19T18:55:20.910159752Z",
            "2023-09-21T15:49:29Z",
            "2000-02-29T00:00:00.5Z",
        ] {
            assert_eq!(Timestamp::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn lenient_forms() {
        let t = Timestamp::parse("2022-06-13T08:09:10.7890123").unwrap();
        assert_eq!(t.to_string(), "2022-06-13T08:09:10.7890123Z");
        let a = Timestamp::parse("2024-01-01T02:00:00+02:00").unwrap();
        let b = Timestamp::parse("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(a.unix_seconds(), b.unix_seconds());
        assert_eq!(b.unix_seconds(), 1_704_067_200);
        let long = Timestamp::parse("2024-01-01T00:00:00.1234567891234Z").unwrap();
        assert_eq!(long.subsec_nanos(), 123_456_789);
    }

    #[test]
    fn rejects_nonsense_with_a_reason() {
        for s in [
            "",
            "0",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01X00:00:00Z",
            "2024-01-01T00:00:00Zjunk",
            "2024-01-01T00:00:00.Z",
        ] {
            assert!(Timestamp::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn extremes_neither_overflow_nor_panic() {
        // The widest text the parser accepts, at both ends of the range,
        // with the widest zone offsets.
        let last = Timestamp::parse("9999-12-31T23:59:60.999999999-23:59").unwrap();
        assert_eq!(last.unix_seconds(), 253_402_387_140);
        assert_eq!(last.to_string(), "10000-01-01T23:59:00.999999999Z");
        let first = Timestamp::parse("0000-01-01T00:00:00+23:59").unwrap();
        assert_eq!(first.unix_seconds(), -62_167_305_540);
        assert_eq!(first.to_string(), "-001-12-31T00:01:00Z");
        // Any i64 of seconds prints and converts to nanoseconds exactly.
        let max = Timestamp::from_unix(i64::MAX, 999_999_999, 9).unwrap();
        assert_eq!(
            max.unix_nanos(),
            i128::from(i64::MAX) * 1_000_000_000 + 999_999_999
        );
        assert!(max.to_string().ends_with(".999999999Z"));
        let min = Timestamp::from_unix(i64::MIN, 0, 0).unwrap();
        assert_eq!(min.unix_nanos(), i128::from(i64::MIN) * 1_000_000_000);
        assert!(min.to_string().starts_with('-'));
        assert!(min < Timestamp::UNIX_EPOCH && Timestamp::UNIX_EPOCH < max);
        assert_eq!(Timestamp::from_unix(0, 1_000_000_000, 9), None);
        assert_eq!(Timestamp::from_unix(0, 0, 10), None);
    }

    proptest::proptest! {
        #[test]
        fn civil_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            proptest::prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Timestamp::parse(&s);
        }
    }
}
