//! What a relay did, counted as it goes: for logs, for tests, and for a
//! metrics endpoint.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Live counters of a relay, shared by its tasks. Read with
/// [`RelayCounters::snapshot`].
#[derive(Debug, Default)]
pub struct RelayCounters {
    pub(crate) received: AtomicU64,
    pub(crate) published: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) verified: AtomicU64,
    pub(crate) mismatches: AtomicU64,
    pub(crate) resyncs: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) publish_errors: AtomicU64,
    pub(crate) conflicts: AtomicU64,
    pub(crate) publish_nanos: AtomicU64,
    pub(crate) nats_reconnects: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayStats {
    /// Items received from Kraken (one per symbol's item).
    pub received: u64,
    /// Messages JetStream stored (new, not duplicates).
    pub published: u64,
    /// Messages JetStream already had (another relay's, or sent before a
    /// restart) and stored once.
    pub duplicates: u64,
    /// Book items whose checksum verified.
    pub verified: u64,
    /// Book items whose checksum did not verify (never published).
    pub mismatches: u64,
    /// Fresh snapshots asked of Kraken after a mismatch or a lag.
    pub resyncs: u64,
    /// Kraken connections re-established.
    pub reconnects: u64,
    /// Messages dropped because the buffer towards NATS was full.
    pub dropped: u64,
    /// Publish attempts that failed (NATS away, timeout) and were retried.
    pub publish_errors: u64,
    /// Book messages refused because another relay's message came first
    /// on the subject; answered with a snapshot.
    pub conflicts: u64,
    /// Total time from publish to JetStream's ack, in nanoseconds.
    pub publish_nanos: u64,
    /// NATS connections re-established after a loss.
    pub nats_reconnects: u64,
}

impl RelayCounters {
    /// The counters now.
    pub fn snapshot(&self) -> RelayStats {
        RelayStats {
            received: self.received.load(Relaxed),
            published: self.published.load(Relaxed),
            duplicates: self.duplicates.load(Relaxed),
            verified: self.verified.load(Relaxed),
            mismatches: self.mismatches.load(Relaxed),
            resyncs: self.resyncs.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            publish_errors: self.publish_errors.load(Relaxed),
            conflicts: self.conflicts.load(Relaxed),
            publish_nanos: self.publish_nanos.load(Relaxed),
            nats_reconnects: self.nats_reconnects.load(Relaxed),
        }
    }
}

pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Relaxed);
}
