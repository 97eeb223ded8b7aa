//! Checks on arguments that need no exchange: a typo is named at once,
//! instead of after a connection (and, for Kraken, a round trip that ends
//! in a less specific refusal).

/// The book depths Kraken serves.
const BOOK_DEPTHS: [u32; 5] = [10, 25, 100, 500, 1000];

use kraki::rest::OHLC_INTERVALS;
use std::time::Duration;

/// A pair as Kraken's WebSocket API v2 spells it: `BASE/QUOTE`, each side
/// letters, digits or dots (`BTC/USD`, `1INCH/EUR`, `ETH2.S/ETH`, `AAPLx/USD`).
pub(crate) fn symbol(text: &str) -> anyhow::Result<()> {
    let hint = if text.contains(',') {
        " (repeat --symbol for several pairs)"
    } else {
        " (expected BASE/QUOTE, e.g. BTC/USD)"
    };
    let well_formed = match text.split_once('/') {
        Some((base, quote)) => [base, quote].iter().all(|side| {
            !side.is_empty() && side.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        }),
        None => false,
    };
    if !well_formed {
        anyhow::bail!("invalid symbol {text:?}{hint}");
    }
    Ok(())
}

/// A depth Kraken's `book` channel takes.
pub(crate) fn book_depth(depth: u32) -> anyhow::Result<()> {
    if !BOOK_DEPTHS.contains(&depth) {
        anyhow::bail!("invalid --depth {depth}: expected 10, 25, 100, 500 or 1000");
    }
    Ok(())
}

/// An interval Kraken's `ohlc` channel and REST `OHLC` take.
pub(crate) fn ohlc_interval(minutes: u32) -> anyhow::Result<()> {
    if !OHLC_INTERVALS.contains(&minutes) {
        anyhow::bail!(
            "invalid --interval {minutes}: expected 1, 5, 15, 30, 60, 240, 1440, 10080 or 21600 \
             (minutes)"
        );
    }
    Ok(())
}

/// The relay's `--nats-ping-interval`, in seconds: not under the
/// publisher's floor of 100 ms (which it would raise silently), nor over
/// a day, beyond which a PING finds nothing out in any useful time (and
/// the timeout, twice the interval, must stay a `Duration`).
pub(crate) fn ping_interval(seconds: f64) -> anyhow::Result<Duration> {
    const SECONDS: std::ops::RangeInclusive<f64> = 0.1..=86_400.0;
    if !SECONDS.contains(&seconds) {
        anyhow::bail!("invalid --nats-ping-interval {seconds}: expected 0.1 to 86400 seconds");
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The relay's `--coalesce`, in microseconds: up to 100 ms. A longer
/// sleep would hold each subject to fewer than ten messages a second
/// (its next waits for the previous ack) and, past the publisher's 2 s
/// ack deadline, would send every message again.
pub(crate) fn coalesce(micros: u64) -> anyhow::Result<Duration> {
    const MAX: u64 = 100_000;
    if micros > MAX {
        anyhow::bail!("invalid --coalesce {micros}: expected 0 to {MAX} microseconds");
    }
    Ok(Duration::from_micros(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kraken_pairs_pass() {
        for s in [
            "BTC/USD",
            "1INCH/EUR",
            "ETH2.S/ETH",
            "AAPLx/USD",
            "DOGE/USD",
        ] {
            assert!(symbol(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn malformed_pairs_are_named_with_a_hint() {
        for s in [
            "BTCUSD",
            "BTC-USD",
            "/USD",
            "BTC/",
            "BTC/USD/EUR",
            "BTC /USD",
            "",
        ] {
            let err = symbol(s).unwrap_err().to_string();
            assert!(err.contains(&format!("{s:?}")), "{err}");
            assert!(err.contains("BASE/QUOTE"), "{err}");
        }
        let err = symbol("BTC/USD,ETH/USD").unwrap_err().to_string();
        assert!(err.contains("repeat --symbol"), "{err}");
    }

    #[test]
    fn depths_and_intervals_are_kraken_s_own() {
        assert!(BOOK_DEPTHS.iter().all(|d| book_depth(*d).is_ok()));
        assert!(OHLC_INTERVALS.iter().all(|i| ohlc_interval(*i).is_ok()));
        assert!(
            book_depth(20)
                .unwrap_err()
                .to_string()
                .contains("--depth 20")
        );
        assert!(
            ohlc_interval(2)
                .unwrap_err()
                .to_string()
                .contains("--interval 2")
        );
    }

    #[test]
    fn coalescing_up_to_a_tenth_of_a_second() {
        assert_eq!(coalesce(0).unwrap(), Duration::ZERO);
        assert_eq!(coalesce(100_000).unwrap(), Duration::from_millis(100));
        let err = coalesce(100_001).unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid --coalesce 100001: expected 0 to 100000 microseconds"
        );
    }

    #[test]
    fn ping_intervals_from_a_tenth_of_a_second_to_a_day() {
        assert_eq!(ping_interval(0.1).unwrap(), Duration::from_millis(100));
        assert_eq!(ping_interval(20.0).unwrap(), Duration::from_secs(20));
        assert_eq!(
            ping_interval(86_400.0).unwrap(),
            Duration::from_secs(86_400)
        );
        for seconds in [0.099, 0.0, -1.0, 86_400.5, f64::NAN, f64::INFINITY] {
            let err = ping_interval(seconds).unwrap_err().to_string();
            assert!(err.contains("--nats-ping-interval"), "{err}");
        }
    }
}
