//! Reconnect pacing: exponential backoff with jitter, reset only by a
//! connection that did real work, under a cap on attempts per rolling
//! window (Kraken's edge bans an IP for ten minutes after about 150
//! connection attempts in ten minutes).
//!
//! A socket that opens proves little: an exchange in maintenance, or a
//! load balancer with no healthy backend, accepts the upgrade and closes
//! at once. Resetting on open would retry such a server without pause
//! until the window cap stops it. So the schedule only starts over once a
//! connection has been *healthy*: every subscription acknowledged and
//! frames still arriving `healthy_after` later. A server that drops
//! connections a little after they become healthy is paced too: a healthy
//! connection lost soon after the previous one continues a schedule of
//! its own, so only the first of such losses retries at once.
//!
//! Decisions only; the driver reports what happened and sleeps until the
//! instant it is given. Time is passed in, so the tests need no clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The current connection, as far as pacing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// No connection: none was made yet, the last attempt failed, or the
    /// last connection was lost.
    Down,
    /// Open, not yet proven. `settled` is the first frame seen with every
    /// subscription acknowledged (none: not there yet, or a subscription
    /// was added or refused since).
    Opened { settled: Option<Instant> },
    /// Did real work: the schedule starts over.
    Healthy,
}

/// The pacing knobs (see the `ClientBuilder` methods of the same names).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pacing {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
    pub(crate) healthy_after: Duration,
    pub(crate) window: Duration,
    pub(crate) max_in_window: usize,
}

/// When to try the next connection.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    pacing: Pacing,
    link: Link,
    /// Attempts since the last healthy connection that failed, or opened
    /// and were lost before they were healthy: the exponent.
    streak: u32,
    /// Healthy connections in a row, each lost within `2 * max` of the one
    /// before: the exponent after such a loss.
    short_lived: u32,
    last_healthy_loss: Option<Instant>,
    /// Start times of the attempts in the current window, oldest first.
    attempts: VecDeque<Instant>,
    seed: u64,
}

impl Backoff {
    pub(crate) fn new(pacing: Pacing) -> Self {
        Backoff::with_seed(pacing, random_seed())
    }

    fn with_seed(mut pacing: Pacing, seed: u64) -> Self {
        pacing.max_in_window = pacing.max_in_window.max(1);
        Backoff {
            pacing,
            link: Link::Down,
            streak: 0,
            short_lived: 0,
            last_healthy_loss: None,
            attempts: VecDeque::new(),
            seed,
        }
    }

    /// When the next attempt starts, asked at `now`; records it. The first
    /// attempt, and the first after losing a healthy connection, start at
    /// once; after `n` attempts that came to nothing the delay is
    /// `initial * 2^(n-1)`, at most `max`, times a random factor in
    /// 0.75..=1.25 (still at most `max`) so that many clients cut off
    /// together do not come back in step. The window cap may push it
    /// later still.
    pub(crate) fn next_attempt(&mut self, now: Instant) -> Instant {
        let delay = self.delay();
        self.admit(now + delay)
    }

    /// The delay the current streak calls for.
    fn delay(&mut self) -> Duration {
        if self.streak == 0 {
            return Duration::ZERO;
        }
        let Pacing { initial, max, .. } = self.pacing;
        let exp = initial
            .saturating_mul(1u32 << (self.streak - 1).min(20))
            .min(max);
        let jitter = (self.next_random() % 501) as f64 / 1000.0 + 0.75;
        exp.mul_f64(jitter).min(max)
    }

    /// The attempt failed before a socket opened.
    pub(crate) fn failed(&mut self) {
        self.link = Link::Down;
        self.streak = self.streak.saturating_add(1);
    }

    /// A socket opened; it has yet to prove itself.
    pub(crate) fn opened(&mut self) {
        self.link = Link::Opened { settled: None };
    }

    /// Whether the open connection is still proving itself (the driver
    /// checks its subscriptions only then).
    pub(crate) fn is_proving(&self) -> bool {
        matches!(self.link, Link::Opened { .. })
    }

    /// A frame that shows the feed alive arrived at `now`; `settled` says
    /// whether every subscription is acknowledged. True when this made
    /// the connection healthy: settled on a frame at least
    /// `healthy_after` before this one, and settled ever since.
    pub(crate) fn frame(&mut self, now: Instant, settled: bool) -> bool {
        let Link::Opened { settled: since } = &mut self.link else {
            return false;
        };
        if !settled {
            *since = None;
            return false;
        }
        let since = *since.get_or_insert(now);
        if now.saturating_duration_since(since) < self.pacing.healthy_after {
            return false;
        }
        self.link = Link::Healthy;
        self.streak = 0;
        true
    }

    /// The connection was lost at `now`. Unless it was healthy, it counts
    /// as an attempt that came to nothing, and the delays keep growing. A
    /// healthy one lost within `2 * max` of the previous healthy loss
    /// counts too, on a streak of its own: on a server that drops every
    /// connection some seconds after it became healthy, the losses come
    /// at most `max + healthy_after` and a little apart once the delay
    /// reaches `max`, so that streak keeps the delay there instead of
    /// retrying at once every few seconds.
    pub(crate) fn lost(&mut self, now: Instant) {
        if self.link == Link::Healthy {
            let soon = self
                .last_healthy_loss
                .is_some_and(|t| now.saturating_duration_since(t) < self.pacing.max * 2);
            self.short_lived = if soon {
                self.short_lived.saturating_add(1)
            } else {
                0
            };
            self.last_healthy_loss = Some(now);
            self.streak = self.short_lived;
        } else {
            self.streak = self.streak.saturating_add(1);
        }
        self.link = Link::Down;
    }

    /// Whether `attempts` in a row came to nothing (failed, or lost before
    /// they were healthy): what waits for a connection should stop
    /// waiting.
    pub(crate) fn exhausted(&self, attempts: u32) -> bool {
        self.streak >= attempts.max(1)
    }

    /// The earliest time an attempt may start so that no more than the
    /// allowed number fall in any window; records the attempt.
    fn admit(&mut self, wanted: Instant) -> Instant {
        let Pacing {
            window,
            max_in_window,
            ..
        } = self.pacing;
        while let Some(&first) = self.attempts.front() {
            if wanted.saturating_duration_since(first) >= window {
                self.attempts.pop_front();
            } else {
                break;
            }
        }
        // The new attempt must leave at most `max_in_window` attempts in any
        // window: it may start one window after the max-th most recent one.
        let len = self.attempts.len();
        let at = if len >= max_in_window {
            self.attempts
                .get(len - max_in_window)
                .map_or(wanted, |&t| (t + window).max(wanted))
        } else {
            wanted
        };
        self.attempts.push_back(at);
        at
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

    const MS: Duration = Duration::from_millis(1);

    fn defaults() -> Pacing {
        Pacing {
            initial: 250 * MS,
            max: Duration::from_secs(30),
            healthy_after: Duration::from_secs(2),
            window: Duration::from_secs(600),
            max_in_window: 150,
        }
    }

    /// Checks `d` is `nominal` (at most `max`) ±25 %, and at most `max`.
    fn within_jitter(d: Duration, nominal: Duration, max: Duration) {
        let nominal = nominal.min(max);
        let low = nominal.mul_f64(0.75).min(max);
        let high = nominal.mul_f64(1.25).min(max);
        assert!(d >= low && d <= high, "{d:?} not in {low:?}..={high:?}");
    }

    /// A server that accepts and drops every connection at once, from
    /// `start`: the instants of the attempts before `until`.
    fn flapping(b: &mut Backoff, start: Instant, until: Instant) -> Vec<Instant> {
        let mut times = Vec::new();
        let mut now = start;
        loop {
            let at = b.next_attempt(now);
            if at >= until {
                return times;
            }
            times.push(at);
            b.opened();
            // The status frame arrives, then the close.
            assert!(!b.frame(at, true));
            b.lost(at);
            now = at;
        }
    }

    #[test]
    fn first_attempt_is_immediate() {
        let mut b = Backoff::with_seed(defaults(), 1);
        let now = Instant::now();
        assert_eq!(b.next_attempt(now), now);
    }

    #[test]
    fn failures_double_the_delay_up_to_the_max() {
        let p = defaults();
        let mut b = Backoff::with_seed(p, 7);
        let mut now = Instant::now();
        now = b.next_attempt(now);
        for n in 1..=12u32 {
            b.failed();
            let at = b.next_attempt(now);
            within_jitter(at - now, p.initial * 2u32.pow(n - 1), p.max);
            now = at;
        }
    }

    #[test]
    fn a_flapping_server_sees_seven_or_eight_attempts_in_thirty_seconds() {
        for seed in 0..200 {
            let mut b = Backoff::with_seed(defaults(), seed);
            let start = Instant::now();
            let times = flapping(&mut b, start, start + Duration::from_secs(30));
            assert!((7..=8).contains(&times.len()), "seed {seed}: {times:?}");
            // And it goes on, at the max, for as long as it flaps.
            let later = flapping(
                &mut b,
                start + Duration::from_secs(30),
                start + Duration::from_secs(300),
            );
            let gaps: Vec<Duration> = later.windows(2).map(|w| w[1] - w[0]).collect();
            assert!(gaps.iter().rev().take(3).all(|&g| g >= 22_500 * MS));
        }
    }

    #[test]
    fn dropped_before_healthy_keeps_growing() {
        let p = defaults();
        let mut b = Backoff::with_seed(p, 3);
        let t0 = Instant::now();
        let at = b.next_attempt(t0);
        b.opened();
        // Subscriptions acked and data for 1.9 s: not yet healthy.
        assert!(!b.frame(at, true));
        assert!(!b.frame(at + 1900 * MS, true));
        b.lost(at + 1900 * MS);
        let t1 = at + 1900 * MS;
        let next = b.next_attempt(t1);
        within_jitter(next - t1, p.initial, p.max);
        b.opened();
        b.lost(next);
        let after = b.next_attempt(next);
        within_jitter(after - next, p.initial * 2, p.max);
    }

    #[test]
    fn healthy_resets_and_the_retry_is_immediate() {
        let mut b = Backoff::with_seed(defaults(), 5);
        let mut now = Instant::now();
        for _ in 0..5 {
            now = b.next_attempt(now);
            b.failed();
        }
        now = b.next_attempt(now);
        b.opened();
        assert!(!b.frame(now, true));
        assert!(!b.frame(now + 1999 * MS, true));
        assert!(b.frame(now + 2000 * MS, true));
        assert_eq!(b.link, Link::Healthy);
        // Only once.
        assert!(!b.frame(now + 2500 * MS, true));
        b.lost(now + 2500 * MS);
        let t = now + Duration::from_secs(60);
        assert_eq!(b.next_attempt(t), t);
    }

    #[test]
    fn healthy_connections_dropped_soon_after_back_off_too() {
        // A server that acks, feeds for 2.5 s, then drops every connection.
        let p = defaults();
        let mut b = Backoff::with_seed(p, 17);
        let start = Instant::now();
        let mut now = start;
        let mut attempts = Vec::new();
        while now < start + Duration::from_secs(600) {
            let at = b.next_attempt(now);
            attempts.push(at);
            b.opened();
            assert!(!b.frame(at, true));
            assert!(b.frame(at + 2000 * MS, true));
            now = at + 2500 * MS;
            b.lost(now);
        }
        // Immediate retries would make 240. The delay settles at the max:
        // nine attempts to get there, then one per 25–32.5 s.
        assert!(attempts.len() <= 32, "{} attempts", attempts.len());
        let gaps: Vec<Duration> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps[0], 2500 * MS, "the first loss retries at once");
        assert!(
            gaps.iter().rev().take(5).all(|&g| g >= 25_000 * MS),
            "{gaps:?}"
        );
        // A loss long after the previous one retries at once again.
        let later = now + Duration::from_secs(120);
        let at = b.next_attempt(later);
        b.opened();
        assert!(!b.frame(at, true));
        assert!(b.frame(at + 2000 * MS, true));
        b.lost(at + Duration::from_secs(5));
        let t = at + Duration::from_secs(5);
        assert_eq!(b.next_attempt(t), t);
    }

    #[test]
    fn health_counts_from_the_last_ack() {
        let mut b = Backoff::with_seed(defaults(), 9);
        let t = Instant::now();
        b.next_attempt(t);
        b.opened();
        // Frames flow, but a subscription waits for its ack until 1.5 s.
        assert!(!b.frame(t, false));
        assert!(!b.frame(t + 1500 * MS, false));
        assert!(!b.frame(t + 1600 * MS, true));
        assert!(!b.frame(t + 3500 * MS, true));
        // A subscription added at 3.55 s, acked at 3.6 s: counting restarts.
        assert!(!b.frame(t + 3550 * MS, false));
        assert!(!b.frame(t + 3600 * MS, true));
        assert!(!b.frame(t + 5500 * MS, true));
        assert!(b.frame(t + 5600 * MS, true));
    }

    #[test]
    fn exhausted_after_attempts_in_a_row_that_came_to_nothing() {
        let mut b = Backoff::with_seed(defaults(), 11);
        let t = Instant::now();
        b.next_attempt(t);
        b.failed();
        assert!(!b.exhausted(3));
        b.next_attempt(t);
        b.opened();
        b.lost(t);
        assert!(!b.exhausted(3));
        b.next_attempt(t);
        b.opened();
        assert!(!b.frame(t, true));
        b.lost(t);
        assert!(b.exhausted(3));
        // A healthy connection starts the count over.
        b.next_attempt(t);
        b.opened();
        assert!(!b.frame(t, true));
        assert!(b.frame(t + Duration::from_secs(2), true));
        assert!(!b.exhausted(3));
        b.lost(t);
        b.next_attempt(t);
        b.failed();
        b.next_attempt(t);
        b.failed();
        assert!(!b.exhausted(3));
        b.next_attempt(t);
        b.failed();
        assert!(b.exhausted(3));
    }

    #[test]
    fn never_more_than_the_cap_in_a_window() {
        let window = Duration::from_secs(600);
        let mut b = Backoff::with_seed(
            Pacing {
                initial: Duration::ZERO,
                max: Duration::ZERO,
                healthy_after: Duration::ZERO,
                window,
                max_in_window: 150,
            },
            13,
        );
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..400 {
            times.push(b.next_attempt(start));
            b.failed();
        }
        for (i, t) in times.iter().enumerate() {
            let in_window = times[..=i].iter().filter(|&&u| *t - u < window).count();
            assert!(in_window <= 150, "attempt {i}: {in_window} in a window");
        }
        assert!(times[150] >= start + window);
    }
}
