//! Reconnect pacing: exponential backoff with jitter, under a cap on
//! attempts per rolling window (Kraken's edge bans an IP for ten minutes
//! after about 150 connection attempts in ten minutes).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// When to try the next connection.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
    window: Duration,
    max_in_window: usize,
    attempts: VecDeque<Instant>,
    seed: u64,
}

impl Backoff {
    pub(crate) fn new(
        initial: Duration,
        max: Duration,
        window: Duration,
        max_in_window: usize,
    ) -> Self {
        Backoff {
            initial,
            max,
            failures: 0,
            window,
            max_in_window: max_in_window.max(1),
            attempts: VecDeque::new(),
            seed: random_seed(),
        }
    }

    /// The first retry after a random drop is immediate; then the delay
    /// doubles up to `max`, with ±25 % jitter so that many clients do not
    /// reconnect in step.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let failures = self.failures;
        self.failures = self.failures.saturating_add(1);
        if failures == 0 {
            return Duration::ZERO;
        }
        let exp = self
            .initial
            .saturating_mul(1u32 << (failures - 1).min(20))
            .min(self.max);
        let jitter = (self.next_random() % 501) as f64 / 1000.0 + 0.75;
        exp.mul_f64(jitter).min(self.max)
    }

    /// The earliest time an attempt may start so that no more than the
    /// allowed number fall in any window; records the attempt.
    pub(crate) fn admit(&mut self, wanted: Instant) -> Instant {
        while let Some(&first) = self.attempts.front() {
            if wanted.saturating_duration_since(first) >= self.window {
                self.attempts.pop_front();
            } else {
                break;
            }
        }
        // The new attempt must leave at most `max_in_window` attempts in any
        // window: it may start one window after the max-th most recent one.
        let len = self.attempts.len();
        let at = if len >= self.max_in_window {
            self.attempts
                .get(len - self.max_in_window)
                .map_or(wanted, |&t| (t + self.window).max(wanted))
        } else {
            wanted
        };
        self.attempts.push_back(at);
        at
    }

    /// A connection worked: the next drop starts over.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    fn next_random(&mut self) -> u64 {
        // splitmix64: good enough for jitter, no dependency.
        self.seed = self.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_with_jitter_and_cap() {
        let mut b = Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(5),
            Duration::from_secs(600),
            150,
        );
        assert_eq!(b.next_delay(), Duration::ZERO);
        let d1 = b.next_delay();
        assert!(
            d1 >= Duration::from_millis(75) && d1 <= Duration::from_millis(125),
            "{d1:?}"
        );
        for _ in 0..30 {
            assert!(b.next_delay() <= Duration::from_secs(5));
        }
        b.reset();
        assert_eq!(b.next_delay(), Duration::ZERO);
    }

    #[test]
    fn never_more_than_the_cap_in_a_window() {
        let window = Duration::from_secs(600);
        let mut b = Backoff::new(Duration::ZERO, Duration::ZERO, window, 150);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..400 {
            times.push(b.admit(start));
        }
        for (i, t) in times.iter().enumerate() {
            let in_window = times[..=i].iter().filter(|&&u| *t - u < window).count();
            assert!(in_window <= 150, "attempt {i}: {in_window} in a window");
        }
        assert!(times[150] >= start + window);
    }
}
