//! Kraken's REST call counter, one per API key: every private call adds
//! 1 (`Ledgers`, `QueryLedgers` and `TradesHistory` add 2), the counter
//! decays continuously at the tier's rate, and a call that would take it
//! past the ceiling is refused with `EAPI:Rate limit exceeded` without
//! being counted. Separate from the per-pair trading counter of the
//! WebSocket side (`rate_counter`).
//!
//! Counted in millionths so that fractional decays (0.33 / s for the
//! starter tier) add up exactly enough over any span.

use std::collections::HashMap;
use std::sync::Mutex;
use tokio::time::Instant;

/// The REST error of a refused call.
pub(crate) const RATE_LIMIT_EXCEEDED: &str = "EAPI:Rate limit exceeded";

/// A tier's ceiling and decay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RestLimit {
    /// The most the counter may reach.
    pub(crate) max: u32,
    /// The decay in thousandths of a call per second (starter: 330).
    pub(crate) decay_thousandths_per_second: u32,
}

impl RestLimit {
    /// Kraken's starter tier: 15, decaying 0.33 per second.
    pub(crate) const STARTER: RestLimit = RestLimit {
        max: 15,
        decay_thousandths_per_second: 330,
    };
}

/// What a call adds to the counter.
pub(crate) fn cost(path: &str) -> u32 {
    match path {
        "/0/private/Ledgers" | "/0/private/QueryLedgers" | "/0/private/TradesHistory" => 2,
        _ => 1,
    }
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    millionths: u64,
    at: Instant,
}

/// Every key's counter. Its lock is never held across an `.await`.
#[derive(Debug)]
pub(crate) struct RestCounters {
    limit: RestLimit,
    counters: Mutex<HashMap<String, Counter>>,
}

impl RestCounters {
    pub(crate) fn new(limit: RestLimit) -> RestCounters {
        RestCounters {
            limit,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a call of `cost` by `key` at `now`, or refuses it.
    pub(crate) fn try_call(&self, key: &str, cost: u32, now: Instant) -> Result<(), &'static str> {
        let mut counters = self
            .counters
            .lock()
            .map_err(|_| "EGeneral:Internal error")?;
        let counter = counters.entry(key.to_owned()).or_insert(Counter {
            millionths: 0,
            at: now,
        });
        let elapsed = now.saturating_duration_since(counter.at).as_micros();
        let decayed =
            elapsed.saturating_mul(u128::from(self.limit.decay_thousandths_per_second)) / 1000;
        counter.millionths = counter
            .millionths
            .saturating_sub(u64::try_from(decayed).unwrap_or(u64::MAX));
        counter.at = now;
        let after = counter.millionths + u64::from(cost) * 1_000_000;
        if after > u64::from(self.limit.max) * 1_000_000 {
            return Err(RATE_LIMIT_EXCEEDED);
        }
        counter.millionths = after;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_starter_ceiling_holds_and_decays() {
        let counters = RestCounters::new(RestLimit::STARTER);
        let t0 = Instant::now();
        for _ in 0..7 {
            assert_eq!(counters.try_call("k", 2, t0), Ok(()));
        }
        assert_eq!(counters.try_call("k", 1, t0), Ok(()), "15 is allowed");
        assert_eq!(counters.try_call("k", 1, t0), Err(RATE_LIMIT_EXCEEDED));
        assert_eq!(counters.try_call("other", 1, t0), Ok(()), "per key");
        // 0.33 per second: one call's room after 3.04 s, not after 3.0 s.
        let almost = t0 + Duration::from_millis(3000);
        assert_eq!(counters.try_call("k", 1, almost), Err(RATE_LIMIT_EXCEEDED));
        let after = t0 + Duration::from_millis(3040);
        assert_eq!(counters.try_call("k", 1, after), Ok(()));
    }
}
