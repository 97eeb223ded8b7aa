//! `Time` and `SystemStatus`.

use crate::clock;
use crate::shared::Shared;
use serde_json::{Value, json};

pub(super) fn time() -> Value {
    let now = clock::now(0);
    json!({"error": [], "result": {"unixtime": now.unix_seconds(), "rfc1123": rfc1123(now.unix_seconds())}})
}

pub(super) fn system_status(shared: &Shared) -> Value {
    let system = shared.system.borrow().clone();
    json!({"error": [], "result": {"status": system.as_str(), "timestamp": clock::now(0).to_string()}})
}

/// `Mon, 23 Nov 26 01:02:03 +0000`, the form Kraken's Time endpoint uses.
fn rfc1123(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let ts =
        kraki_proto::Timestamp::from_unix(unix, 0, 0).unwrap_or(kraki_proto::Timestamp::UNIX_EPOCH);
    let text = ts.to_string(); // YYYY-MM-DDTHH:MM:SSZ
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month: usize = text.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!(
        "{}, {} {} {} {} +0000",
        DAYS[unix.div_euclid(86_400).rem_euclid(7) as usize],
        text.get(8..10).unwrap_or("01"),
        MONTHS[month.clamp(1, 12) - 1],
        text.get(2..4).unwrap_or("70"),
        text.get(11..19).unwrap_or("00:00:00"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1123_dates() {
        assert_eq!(rfc1123(0), "Thu, 01 Jan 70 00:00:00 +0000");
        assert_eq!(rfc1123(1_795_395_723), "Mon, 23 Nov 26 01:02:03 +0000");
    }
}
