//! RFC 3339 timestamps read fast: Kraken's own form in straight-line code,
//! and the last second seen remembered, exactly as `Timestamp::parse`
//! reads them.

use crate::Timestamp;
use std::cell::Cell;

/// Reads RFC 3339 timestamps exactly as [`Timestamp::parse`] does, faster:
/// Kraken's form (`YYYY-MM-DDTHH:MM:SS.fffffffffZ`) in straight-line code,
/// and the date and time of day of the last one remembered, since
/// consecutive messages mostly fall in the same second.
#[derive(Debug, Default, Clone)]
pub struct TimeReader {
    /// The last second read.
    last: Option<LastSecond>,
}

/// The text up to the seconds (as three words, see `words`) and the Unix
/// time it stands for.
type LastSecond = ((u64, u64, u32), i64);

/// `YYYY-MM-DDTHH:MM:SS` as three overlapping words: three comparisons
/// instead of a call to `memcmp`.
#[inline]
fn words(head: &[u8; 19]) -> (u64, u64, u32) {
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    let mut c = [0u8; 4];
    a.copy_from_slice(&head[..8]);
    b.copy_from_slice(&head[8..16]);
    c.copy_from_slice(&head[15..]);
    (
        u64::from_le_bytes(a),
        u64::from_le_bytes(b),
        u32::from_le_bytes(c),
    )
}

impl TimeReader {
    /// An empty reader.
    #[must_use]
    pub fn new() -> Self {
        TimeReader::default()
    }

    /// The timestamp `text` holds, if valid (as [`Timestamp::parse`]).
    pub fn read(&mut self, text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        let (Some(head), Some((b'Z', rest))) = (b.first_chunk::<19>(), b.split_last()) else {
            return Timestamp::parse(text).ok();
        };
        let fraction = match rest.get(19..) {
            Some([]) => &[][..],
            Some([b'.', digits @ ..]) if (1..=9).contains(&digits.len()) => digits,
            _ => return Timestamp::parse(text).ok(),
        };
        let key = words(head);
        let seconds = match self.last {
            Some((last, seconds)) if last == key => seconds,
            _ => {
                let seconds = seconds_of(head).or_else(|| {
                    // Not Kraken's form after all (e.g. `t` for `T`): the
                    // general reader decides.
                    Timestamp::parse(text).ok().map(|_| i64::MIN)
                })?;
                if seconds == i64::MIN {
                    return Timestamp::parse(text).ok();
                }
                self.last = Some((key, seconds));
                seconds
            }
        };
        let mut nanos: u32 = 0;
        for &c in fraction {
            let digit = c.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            nanos = nanos * 10 + u32::from(digit);
        }
        const SCALE: [u32; 10] = [
            1_000_000_000,
            100_000_000,
            10_000_000,
            1_000_000,
            100_000,
            10_000,
            1_000,
            100,
            10,
            1,
        ];
        nanos *= SCALE.get(fraction.len()).copied().unwrap_or(1);
        Timestamp::from_unix(seconds, nanos, fraction.len() as u8)
    }
}

/// The timestamp of a JSON string in Kraken's usual form, microseconds and
/// `Z` (`"2024-05-19T16:45:24.204654Z"`, quotes included), read in
/// straight-line code without looking for the string's end: exactly what
/// `Timestamp::parse` gives for its content, or `None` for any other text.
#[inline]
pub(crate) fn read_quoted_micros(quoted: &[u8; 29]) -> Option<Timestamp> {
    let (head, tail) = quoted[1..].split_first_chunk::<19>()?;
    // `tail` is `.ffffffZ"`: a point, six digits, the zone, the quote.
    let (&[b'"'], &[b'.', ref fraction @ .., b'Z', b'"']) = (&quoted[..1], tail) else {
        return None;
    };
    let mut word = [0u8; 8];
    word[..6].copy_from_slice(fraction);
    let (digits, micros) = crate::scan::leading_digits(u64::from_le_bytes(word));
    if digits != 6 {
        return None;
    }
    // Consecutive frames mostly fall in the same second: the last one read
    // on this thread is remembered, as `TimeReader` does for its owner.
    thread_local! {
        static LAST: Cell<Option<LastSecond>> = const { Cell::new(None) };
    }
    let key = words(head);
    let seconds = match LAST.try_with(Cell::get) {
        Ok(Some((last, seconds))) if last == key => seconds,
        _ => {
            let seconds = seconds_of(head)?;
            // Only fails while the thread is being torn down; nothing to
            // remember then.
            let _ = LAST.try_with(|last| last.set(Some((key, seconds))));
            seconds
        }
    };
    // Below 10^6, so the cast is exact.
    Timestamp::from_unix(seconds, micros as u32 * 1_000, 6)
}

/// The Unix time of `YYYY-MM-DDTHH:MM:SS` (no fraction, no zone), read as
/// `Timestamp::parse` reads it; `None` for anything else.
fn seconds_of(head: &[u8; 19]) -> Option<i64> {
    if head[4] != b'-'
        || head[7] != b'-'
        || head[10] != b'T'
        || head[13] != b':'
        || head[16] != b':'
    {
        return None;
    }
    // Digit values; anything that is not a digit becomes 10 or more.
    let d = |i: usize| i64::from(head[i].wrapping_sub(b'0'));
    let two = |i: usize| (d(i) < 10 && d(i + 1) < 10).then(|| d(i) * 10 + d(i + 1));
    let year = two(0)? * 100 + two(2)?;
    let (month, day) = (two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&month) || !(1..=days_in_month).contains(&day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's algorithm, as `Timestamp`).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    // A leap second (:60) folds into the next second, as there.
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{any, prop};

    proptest::proptest! {
        /// The timestamp fast path reads exactly what `Timestamp::parse`
        /// reads, and refuses what it refuses.
        #[test]
        fn timestamps_as_timestamp_parse(
            year in 0u32..10_000,
            month in 0u32..14,
            day in 0u32..33,
            hms in (0u32..26, 0u32..62, 0u32..62),
            fraction in "[0-9]{0,11}",
            zone in proptest::sample::select(vec!["Z", "z", "", "+01:00", "Z "]),
        ) {
            let dot = if fraction.is_empty() { "" } else { "." };
            let text = format!(
                "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{dot}{fraction}{zone}",
                hms.0, hms.1, hms.2
            );
            let mut reader = TimeReader::new();
            proptest::prop_assert_eq!(reader.read(&text), Timestamp::parse(&text).ok(), "{}", text);
            // Again, from the remembered second, and after another one.
            proptest::prop_assert_eq!(reader.read(&text), Timestamp::parse(&text).ok(), "{}", text);
            let other = "2024-02-29T23:59:60.5Z";
            proptest::prop_assert_eq!(reader.read(other), Timestamp::parse(other).ok());
            proptest::prop_assert_eq!(reader.read(&text), Timestamp::parse(&text).ok(), "{}", text);
        }

        /// Kraken's quoted form read in place, as `Timestamp::parse`
        /// reads the string's content.
        #[test]
        fn quoted_micros_as_timestamp_parse(
            year in 0u32..10_000,
            month in 0u32..14,
            day in 0u32..33,
            hms in (0u32..26, 0u32..62, 0u32..62),
            fraction in "[0-9]{6}|[0-9a ]{6}",
            swap in any::<Option<(prop::sample::Index, u8)>>(),
        ) {
            let text = format!(
                "\"{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction}Z\"",
                hms.0, hms.1, hms.2
            );
            let mut bytes = text.into_bytes();
            if let Some((at, byte)) = swap {
                bytes[at.index(29)] = byte;
            }
            let Ok(quoted) = <[u8; 29]>::try_from(bytes.as_slice()) else { return Ok(()) };
            let expected = match std::str::from_utf8(&quoted[1..28]) {
                Ok(inner) if quoted[0] == b'"' && quoted[28] == b'"' => Timestamp::parse(inner).ok(),
                _ => None,
            };
            let got = read_quoted_micros(&quoted);
            // Only Kraken's form is read; anything else is declined, never
            // read differently.
            if got.is_some() {
                proptest::prop_assert_eq!(got, expected);
            }
            if expected.is_some() && quoted[11] == b'T' && quoted[28] == b'"' && quoted[27] == b'Z' {
                proptest::prop_assert_eq!(got, expected);
            }
        }

        #[test]
        fn timestamps_never_panic(text in "\\PC{0,32}") {
            proptest::prop_assert_eq!(TimeReader::new().read(&text), Timestamp::parse(&text).ok());
        }
    }
}
