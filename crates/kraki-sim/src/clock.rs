//! The wall clock, read in the nanoseconds the markets count in and
//! written as the RFC 3339 timestamps of the wire.

use kraki_proto::Timestamp;

/// The current time in RFC 3339 with `digits` fractional digits.
pub(crate) fn now(digits: u8) -> Timestamp {
    from_ns(now_ns(), digits)
}

/// Nanoseconds since the Unix epoch.
pub(crate) fn now_ns() -> i128 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    since.as_nanos() as i128
}

/// A time in nanoseconds since the Unix epoch, as RFC 3339 with `digits`
/// fractional digits.
pub(crate) fn from_ns(ns: i128, digits: u8) -> Timestamp {
    let secs = ns.div_euclid(1_000_000_000) as i64;
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    let keep = 10u32.pow(9 - u32::from(digits.min(9)));
    // Always valid: nanos < 10^9 and digits ≤ 9.
    Timestamp::from_unix(secs, nanos / keep * keep, digits.min(9)).unwrap_or(Timestamp::UNIX_EPOCH)
}
