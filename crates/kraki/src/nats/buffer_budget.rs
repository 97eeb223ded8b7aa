//! The bytes held for NATS by every relay that shares one set of
//! counters, bounded together (`RelayConfig::buffer_bytes`, `kraki relay
//! --buffer-bytes`). The per-pair bound (`buffer`) keeps one pair from
//! taking all the room; this one keeps hundreds of pairs, while NATS is
//! away, from taking all the machine's memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One relay's share of the bound: the shared total and its limit.
#[derive(Debug, Clone)]
pub(crate) struct BufferBudget {
    held: Arc<AtomicU64>,
    limit: u64,
}

impl BufferBudget {
    pub(crate) fn new(held: Arc<AtomicU64>, limit: u64) -> Self {
        BufferBudget { held, limit }
    }

    /// Takes room for `bytes`, unless that would pass the limit. The
    /// check and the add are two steps: feeders of several connections
    /// may pass the limit together by a message each, which is no
    /// matter for a bound on memory.
    pub(crate) fn take(&self, bytes: u64) -> bool {
        if self.held.load(Relaxed).saturating_add(bytes) > self.limit {
            return false;
        }
        self.held.fetch_add(bytes, Relaxed);
        true
    }

    /// Gives back what [`BufferBudget::take`] took.
    pub(crate) fn give_back(&self, bytes: u64) {
        self.held.fetch_sub(bytes, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_taken_up_to_the_limit_and_given_back() {
        let held = Arc::new(AtomicU64::new(0));
        let (a, b) = (
            BufferBudget::new(held.clone(), 100),
            BufferBudget::new(held.clone(), 100),
        );
        assert!(a.take(60));
        assert!(!b.take(41), "the two relays share the limit");
        assert!(b.take(40));
        assert!(!a.take(1));
        a.give_back(60);
        assert_eq!(held.load(Relaxed), 40);
        assert!(a.take(60));
        assert!(!a.take(u64::MAX), "no overflow past the limit");
    }
}
