//! The trading rate counter of §9.4, kept locally: Kraken keeps a counter
//! per pair that every add, amend, edit and cancel raises (cancels and
//! amends more for young orders) and that decays every second; past the
//! tier's ceiling Kraken answers `EOrder:Rate limit exceeded`. kraki
//! tracks the same arithmetic for the orders it placed and logs a warning
//! before a request would cross the ceiling, so a bot can slow down
//! instead of being rejected.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Kraken's verification tiers, with their ceiling and decay per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RateTier {
    /// Ceiling 60, decay 1/s (the most conservative: the default).
    #[default]
    Starter,
    /// Ceiling 125, decay 2.34/s.
    Intermediate,
    /// Ceiling 180, decay 3.75/s.
    Pro,
}

impl RateTier {
    /// The ceiling (`maxratecount`).
    pub fn ceiling(self) -> f64 {
        match self {
            RateTier::Starter => 60.0,
            RateTier::Intermediate => 125.0,
            RateTier::Pro => 180.0,
        }
    }

    /// Decay per second.
    pub fn decay_per_second(self) -> f64 {
        match self {
            RateTier::Starter => 1.0,
            RateTier::Intermediate => 2.34,
            RateTier::Pro => 3.75,
        }
    }
}

/// A trading action, as the counter charges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Add,
    Amend,
    Edit,
    Cancel,
}

/// What an action costs for an order of this age (§9.4).
pub(crate) fn cost(action: Action, age: Duration) -> f64 {
    let s = age.as_secs_f64();
    let bucket = |table: &[(f64, f64)]| {
        table
            .iter()
            .find(|(limit, _)| s < *limit)
            .map_or(0.0, |(_, c)| *c)
    };
    match action {
        Action::Add => 1.0,
        Action::Amend => 1.0 + bucket(&[(5.0, 3.0), (10.0, 2.0), (15.0, 1.0)]),
        Action::Edit => {
            1.0 + bucket(&[
                (5.0, 6.0),
                (10.0, 5.0),
                (15.0, 4.0),
                (45.0, 2.0),
                (90.0, 1.0),
            ])
        }
        Action::Cancel => bucket(&[
            (5.0, 8.0),
            (10.0, 6.0),
            (15.0, 5.0),
            (45.0, 4.0),
            (90.0, 2.0),
            (300.0, 1.0),
        ]),
    }
}

/// Counters per pair, and when each order kraki placed was placed.
#[derive(Debug)]
pub(crate) struct RateCounter {
    tier: RateTier,
    pairs: HashMap<String, (f64, Instant)>,
    /// Order id or client order id → (pair, placed at).
    orders: HashMap<String, (String, Instant)>,
}

impl RateCounter {
    pub(crate) fn new(tier: RateTier) -> Self {
        RateCounter {
            tier,
            pairs: HashMap::new(),
            orders: HashMap::new(),
        }
    }

    /// The pair's counter now, after decay.
    pub(crate) fn current(&self, pair: &str, now: Instant) -> f64 {
        self.pairs.get(pair).map_or(0.0, |(count, at)| {
            let decayed =
                now.saturating_duration_since(*at).as_secs_f64() * self.tier.decay_per_second();
            (count - decayed).max(0.0)
        })
    }

    /// Charges an action on `pair`; logs a warning when the counter comes
    /// within 10 % of the ceiling or beyond it. Returns the new count.
    pub(crate) fn charge(&mut self, pair: &str, cost: f64, now: Instant) -> f64 {
        let count = self.current(pair, now) + cost;
        self.pairs.insert(pair.to_owned(), (count, now));
        let ceiling = self.tier.ceiling();
        if count > ceiling {
            tracing::warn!(
                pair,
                count,
                ceiling,
                "trading rate counter above Kraken's ceiling: expect EOrder:Rate limit exceeded"
            );
        } else if count > ceiling * 0.9 {
            tracing::warn!(
                pair,
                count,
                ceiling,
                "trading rate counter near Kraken's ceiling"
            );
        }
        count
    }

    /// Remembers an order placed now under each of its ids.
    pub(crate) fn placed(&mut self, pair: &str, ids: &[&str], now: Instant) {
        for id in ids {
            self.orders.insert((*id).to_owned(), (pair.to_owned(), now));
        }
        // Forget orders older than any age bucket.
        self.orders
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < Duration::from_secs(300));
    }

    /// Charges an action on an order kraki placed; unknown orders (placed
    /// elsewhere, or long ago) are not charged, as their pair and age are
    /// not known.
    pub(crate) fn charge_order(&mut self, id: &str, action: Action, now: Instant) {
        if let Some((pair, at)) = self.orders.get(id).cloned() {
            let c = cost(action, now.saturating_duration_since(at));
            self.charge(&pair, c, now);
            if matches!(action, Action::Amend | Action::Edit) {
                // An amend restarts the age the next one is charged by.
                self.orders.insert(id.to_owned(), (pair, now));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_age_buckets() {
        let s = Duration::from_secs;
        assert_eq!(cost(Action::Add, s(0)), 1.0);
        assert_eq!(cost(Action::Cancel, s(1)), 8.0);
        assert_eq!(cost(Action::Cancel, s(12)), 5.0);
        assert_eq!(cost(Action::Cancel, s(299)), 1.0);
        assert_eq!(cost(Action::Cancel, s(300)), 0.0);
        assert_eq!(cost(Action::Amend, s(7)), 3.0);
        assert_eq!(cost(Action::Amend, s(20)), 1.0);
        assert_eq!(cost(Action::Edit, s(60)), 2.0);
    }

    #[test]
    fn the_counter_decays_per_second_and_never_below_zero() {
        let mut c = RateCounter::new(RateTier::Intermediate);
        let t0 = Instant::now();
        for _ in 0..10 {
            c.charge("BTC/USD", 1.0, t0);
        }
        assert_eq!(c.current("BTC/USD", t0), 10.0);
        let later = t0 + Duration::from_secs(2);
        assert!((c.current("BTC/USD", later) - (10.0 - 4.68)).abs() < 1e-9);
        assert_eq!(c.current("BTC/USD", t0 + Duration::from_secs(60)), 0.0);
        assert_eq!(c.current("ETH/USD", t0), 0.0);
    }

    #[test]
    fn cancelling_a_young_order_costs_more_than_an_old_one() {
        let mut c = RateCounter::new(RateTier::Pro);
        let t0 = Instant::now();
        c.placed("BTC/USD", &["O1", "mine-1"], t0);
        c.placed("BTC/USD", &["O2"], t0);
        c.charge_order("O1", Action::Cancel, t0 + Duration::from_secs(1));
        let young = c.current("BTC/USD", t0 + Duration::from_secs(1));
        assert!((young - 8.0).abs() < 1e-9, "{young}");
        c.charge_order("unknown", Action::Cancel, t0);
        assert!((c.current("BTC/USD", t0 + Duration::from_secs(1)) - 8.0).abs() < 1e-9);
    }
}
