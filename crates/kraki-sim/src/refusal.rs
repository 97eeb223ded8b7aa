//! Fault: connection attempts refused, a number of them or for a while.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// What the accept loop asks before serving a connection.
#[derive(Debug, Default)]
pub(crate) struct Refusal {
    /// Attempts still to refuse.
    count: AtomicU64,
    /// Attempts before this time are refused.
    until: Mutex<Option<Instant>>,
}

impl Refusal {
    /// Refuses the next `count` attempts (replacing an earlier count).
    pub(crate) fn refuse_count(&self, count: u64) {
        self.count.store(count, Ordering::SeqCst);
    }

    /// Refuses every attempt for `duration` from now (replacing an earlier
    /// period; zero ends it).
    pub(crate) fn refuse_for(&self, duration: Duration) {
        let now = Instant::now();
        // A period beyond what the clock can hold means "until further
        // notice"; a generation is as good.
        let until = now
            .checked_add(duration)
            .or_else(|| now.checked_add(Duration::from_secs(30 * 365 * 86_400)));
        *self
            .until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = until;
    }

    /// Whether the attempt arriving `now` is refused; a refusal by count
    /// uses one up, so a period and a count do not add up.
    pub(crate) fn refuses(&self, now: Instant) -> bool {
        let in_period = self
            .until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|until| now < until);
        in_period
            || self
                .count
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
    }
}
