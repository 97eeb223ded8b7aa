//! The engine's per-pair trading rate counter (protocol reference §9.4):
//! each action adds a penalty, the counter decays every second, and an
//! action that would push it past the ceiling is refused with
//! `EOrder:Rate limit exceeded`.
//!
//! Counted in hundredths so that the documented fractional decay
//! (2.34 / s for the intermediate tier) stays exact.

use std::time::Duration;
use tokio::time::Instant;

/// The intermediate tier's decay: 2.34 per second.
pub(crate) const DECAY_HUNDREDTHS_PER_SECOND: i64 = 234;

/// One pair's counter for one account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateCounter {
    hundredths: i64,
    at: Instant,
}

impl RateCounter {
    pub(crate) fn new(now: Instant) -> RateCounter {
        RateCounter {
            hundredths: 0,
            at: now,
        }
    }

    fn decay(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_millis();
        let elapsed = i64::try_from(elapsed).unwrap_or(i64::MAX);
        let decayed = elapsed.saturating_mul(DECAY_HUNDREDTHS_PER_SECOND) / 1000;
        self.hundredths = (self.hundredths - decayed).max(0);
        self.at = now;
    }

    /// Adds `penalty` (in hundredths) if the counter stays within `max`
    /// (whole units); otherwise leaves it and returns false.
    pub(crate) fn try_add(&mut self, penalty: i64, max: u32, now: Instant) -> bool {
        self.decay(now);
        if self.hundredths + penalty > i64::from(max) * 100 {
            return false;
        }
        self.hundredths += penalty;
        true
    }

    /// Adds `penalty` whatever the counter: cancels are never refused.
    pub(crate) fn add(&mut self, penalty: i64, now: Instant) {
        self.decay(now);
        self.hundredths += penalty;
    }
}

/// Penalty of `add_order`: 1.
pub(crate) const ADD: i64 = 100;

/// Penalty of cancelling an order of this age: 8 / 6 / 5 / 4 / 2 / 1 under
/// 5 / 10 / 15 / 45 / 90 / 300 s, then nothing.
pub(crate) fn cancel(age: Duration) -> i64 {
    by_age(age, &[(5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1)])
}

/// Penalty of `amend_order`: 1, plus 3 / 2 / 1 under 5 / 10 / 15 s since
/// the order was placed or last amended.
pub(crate) fn amend(age: Duration) -> i64 {
    ADD + by_age(age, &[(5, 3), (10, 2), (15, 1)])
}

/// Penalty of `edit_order`: 1, plus 6 / 5 / 4 / 2 / 1 under 5 / 10 / 15 /
/// 45 / 90 s.
pub(crate) fn edit(age: Duration) -> i64 {
    ADD + by_age(age, &[(5, 6), (10, 5), (15, 4), (45, 2), (90, 1)])
}

fn by_age(age: Duration, table: &[(u64, i64)]) -> i64 {
    table
        .iter()
        .find(|(secs, _)| age < Duration::from_secs(*secs))
        .map_or(0, |(_, units)| units * 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_ceiling_and_decays() {
        let start = Instant::now();
        let mut c = RateCounter::new(start);
        for _ in 0..3 {
            assert!(c.try_add(ADD, 3, start));
        }
        assert!(!c.try_add(ADD, 3, start));
        // 2.34 per second: one second later there is room for two more.
        let later = start + Duration::from_secs(1);
        assert!(c.try_add(ADD, 3, later));
        assert!(c.try_add(ADD, 3, later));
        assert!(!c.try_add(ADD, 3, later));
    }

    #[test]
    fn penalties_by_age() {
        assert_eq!(cancel(Duration::from_secs(1)), 800);
        assert_eq!(cancel(Duration::from_secs(60)), 200);
        assert_eq!(cancel(Duration::from_secs(600)), 0);
        assert_eq!(amend(Duration::from_secs(1)), 400);
        assert_eq!(amend(Duration::from_secs(20)), 100);
        assert_eq!(edit(Duration::from_secs(30)), 300);
    }
}
