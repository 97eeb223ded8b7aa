//! Kraken's REST call counter, kept locally so that calls wait rather
//! than get `EAPI:Rate limit exceeded`. Every private call adds 1 to its
//! key's counter (ledger and trade history queries add 2); the counter
//! decays continuously at the tier's rate (starter: ceiling 15, 0.33 per
//! second; intermediate: 20, 0.5; pro: 20, 1), and a call that would
//! take it past the ceiling is refused. Here such a call waits until the
//! decay has made room. Separate from the trading rate counter of the
//! WebSocket side ([`crate::RateTier`]'s other figures).
//!
//! Shared by every clone of a [`crate::rest::RestClient`], one counter
//! per API key. Other processes using the same key share Kraken's counter
//! but not this one: a refusal then still comes, and read-only calls wait
//! and try again.

use crate::RateTier;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The ceiling of a tier's REST counter.
#[must_use]
pub(crate) fn ceiling(tier: RateTier) -> f64 {
    match tier {
        RateTier::Starter => 15.0,
        RateTier::Intermediate | RateTier::Pro => 20.0,
    }
}

/// The decay per second of a tier's REST counter.
#[must_use]
pub(crate) fn decay_per_second(tier: RateTier) -> f64 {
    match tier {
        RateTier::Starter => 0.33,
        RateTier::Intermediate => 0.5,
        RateTier::Pro => 1.0,
    }
}

/// What a call to `path` adds to the counter.
pub(crate) fn cost(path: &str) -> f64 {
    match path {
        "/0/private/Ledgers" | "/0/private/QueryLedgers" | "/0/private/TradesHistory" => 2.0,
        _ => 1.0,
    }
}

#[derive(Debug, Clone, Copy)]
struct Level {
    value: f64,
    at: Instant,
}

/// The counters of every key a client has used.
pub(crate) struct CallCounter {
    tier: RateTier,
    levels: Mutex<HashMap<String, Level>>,
}

impl std::fmt::Debug for CallCounter {
    /// The tier only: the map is keyed by API keys, which stay out of
    /// `Debug` output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallCounter")
            .field("tier", &self.tier)
            .finish_non_exhaustive()
    }
}

impl CallCounter {
    pub(crate) fn new(tier: RateTier) -> CallCounter {
        CallCounter {
            tier,
            levels: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a call of `cost` by `key` now, or says how long to wait
    /// before it fits.
    pub(crate) fn try_take(&self, key: &str, cost: f64, now: Instant) -> Result<(), Duration> {
        let ceiling = ceiling(self.tier);
        let decay = decay_per_second(self.tier);
        let Ok(mut levels) = self.levels.lock() else {
            return Ok(());
        };
        let level = levels.entry(key.to_owned()).or_insert(Level {
            value: 0.0,
            at: now,
        });
        let elapsed = now.saturating_duration_since(level.at).as_secs_f64();
        level.value = (level.value - elapsed * decay).max(0.0);
        level.at = now;
        let over = level.value + cost - ceiling;
        if over > 0.0 {
            // A millisecond more, so the server's own arithmetic (which
            // may round the other way) has made the room too.
            return Err(Duration::from_secs_f64(over / decay) + Duration::from_millis(1));
        }
        level.value += cost;
        Ok(())
    }

    /// Waits until a call of `cost` by `key` fits, and counts it.
    pub(crate) async fn take(&self, key: &str, cost: f64) {
        while let Err(wait) = self.try_take(key, cost, Instant::now()) {
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "REST call counter full: waiting"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Kraken said the counter is full: take this key's as full, so the
    /// next call waits for a whole call's decay.
    pub(crate) fn mark_full(&self, key: &str) {
        if let Ok(mut levels) = self.levels.lock() {
            levels.insert(
                key.to_owned(),
                Level {
                    value: ceiling(self.tier),
                    at: Instant::now(),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_full_starter_counter_says_how_long_to_wait() {
        let counter = CallCounter::new(RateTier::Starter);
        let t0 = Instant::now();
        for _ in 0..7 {
            counter.try_take("k", 2.0, t0).unwrap();
        }
        counter.try_take("k", 1.0, t0).unwrap();
        let wait = counter.try_take("k", 2.0, t0).unwrap_err();
        // Two calls' room at 0.33 per second: 6.06 s.
        assert!((6.06..6.08).contains(&wait.as_secs_f64()), "{wait:?}");
        counter.try_take("other", 1.0, t0).unwrap();
        counter
            .try_take("k", 2.0, t0 + wait)
            .expect("room after the wait");
    }

    #[test]
    fn tiers_have_krakens_figures() {
        assert_eq!(
            (
                ceiling(RateTier::Starter),
                decay_per_second(RateTier::Starter)
            ),
            (15.0, 0.33)
        );
        assert_eq!(
            (
                ceiling(RateTier::Intermediate),
                decay_per_second(RateTier::Intermediate)
            ),
            (20.0, 0.5)
        );
        assert_eq!(
            (ceiling(RateTier::Pro), decay_per_second(RateTier::Pro)),
            (20.0, 1.0)
        );
        assert_eq!(cost("/0/private/Ledgers"), 2.0);
        assert_eq!(cost("/0/private/TradesHistory"), 2.0);
        assert_eq!(cost("/0/private/Balance"), 1.0);
    }
}
