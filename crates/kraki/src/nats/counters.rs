//! What a relay did, counted as it goes, per channel: for logs, for
//! tests, and for the Prometheus endpoint of `kraki relay --metrics`.

use super::buffer_budget::BufferBudget;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Upper bounds (seconds) of the publish latency histogram's buckets;
/// `+Inf` follows.
pub const PUBLISH_LATENCY_BUCKETS: [f64; 10] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 1.0,
];

/// One channel's counters, shared by its feeders and publishers.
#[derive(Debug, Default)]
pub(crate) struct ChannelCounters {
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
    /// Acks per latency bucket (the last one is `+Inf`).
    pub(crate) latency: [AtomicU64; PUBLISH_LATENCY_BUCKETS.len() + 1],
    /// Messages in the queues towards NATS right now.
    pub(crate) queued: AtomicU64,
    /// Subjects holding more than [`BEHIND`] messages right now.
    pub(crate) behind: AtomicU64,
}

/// Messages a subject may hold in the publisher (one in flight, the rest
/// waiting for its ack) before it counts as behind.
pub const BEHIND: usize = 8;

impl ChannelCounters {
    /// Counts one ack that took `nanos`.
    pub(crate) fn acked(&self, nanos: u64) {
        add(&self.publish_nanos, nanos);
        let seconds = nanos as f64 / 1e9;
        let bucket = PUBLISH_LATENCY_BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(PUBLISH_LATENCY_BUCKETS.len());
        if let Some(counter) = self.latency.get(bucket) {
            add(counter, 1);
        }
    }

    fn snapshot(&self) -> RelayStats {
        let mut latency = [0; PUBLISH_LATENCY_BUCKETS.len() + 1];
        for (out, counter) in latency.iter_mut().zip(&self.latency) {
            *out = counter.load(Relaxed);
        }
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
            publish_latency: latency,
            queued: self.queued.load(Relaxed),
            behind: self.behind.load(Relaxed),
            nats_reconnects: 0,
            buffered_bytes: 0,
        }
    }
}

/// Live counters of a relay, per channel. Cheap to clone; read with
/// [`RelayCounters::snapshot`] (all channels) or
/// [`RelayCounters::by_channel`].
#[derive(Debug, Clone, Default)]
pub struct RelayCounters {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    channels: std::sync::Mutex<Vec<(String, Arc<ChannelCounters>)>>,
    nats_reconnects: AtomicU64,
    /// Publishers without a NATS connection right now.
    publishers_away: AtomicU64,
    /// Bytes held for NATS by every relay counting here.
    buffered_bytes: Arc<AtomicU64>,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayStats {
    /// Items received from Kraken (one per item of a frame's `data`: a
    /// trade frame of three trades counts three; of books, those
    /// applied, not those skipped while a resync's snapshot is awaited).
    pub received: u64,
    /// Messages JetStream stored (new, not duplicates).
    pub published: u64,
    /// Messages JetStream already had (another relay's, or sent before a
    /// restart) and stored once, or trades not above the newest stored.
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
    /// Acks per bucket of [`PUBLISH_LATENCY_BUCKETS`] (not cumulative;
    /// the last is above every bound).
    pub publish_latency: [u64; PUBLISH_LATENCY_BUCKETS.len() + 1],
    /// Messages waiting in the buffers towards NATS.
    pub queued: u64,
    /// Subjects behind right now: holding more than [`BEHIND`] messages,
    /// because JetStream acks them more slowly than Kraken updates them.
    pub behind: u64,
    /// NATS connections re-established after a loss (whole relay).
    pub nats_reconnects: u64,
    /// Bytes the messages waiting towards NATS take, about (whole relay;
    /// bounded by [`crate::nats::RelayConfig::buffer_bytes`]).
    pub buffered_bytes: u64,
}

impl RelayStats {
    fn plus(mut self, o: &RelayStats) -> RelayStats {
        self.received += o.received;
        self.published += o.published;
        self.duplicates += o.duplicates;
        self.verified += o.verified;
        self.mismatches += o.mismatches;
        self.resyncs += o.resyncs;
        self.reconnects += o.reconnects;
        self.dropped += o.dropped;
        self.publish_errors += o.publish_errors;
        self.conflicts += o.conflicts;
        self.publish_nanos += o.publish_nanos;
        for (a, b) in self.publish_latency.iter_mut().zip(o.publish_latency) {
            *a += b;
        }
        self.queued += o.queued;
        self.behind += o.behind;
        self
    }
}

impl RelayCounters {
    /// The counters of `channel`, made on first use.
    pub(crate) fn channel(&self, channel: &str) -> Arc<ChannelCounters> {
        let mut channels = self.channels();
        if let Some((_, c)) = channels.iter().find(|(name, _)| name == channel) {
            return c.clone();
        }
        let c = Arc::new(ChannelCounters::default());
        channels.push((channel.to_owned(), c.clone()));
        c
    }

    /// The channels' list, even after a panic while it was held: its
    /// entries are only ever pushed whole.
    fn channels(&self) -> std::sync::MutexGuard<'_, Vec<(String, Arc<ChannelCounters>)>> {
        match self.inner.channels.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A relay's share of the bound on the bytes every relay counting
    /// here holds for NATS.
    pub(crate) fn budget(&self, limit: u64) -> BufferBudget {
        BufferBudget::new(self.inner.buffered_bytes.clone(), limit)
    }

    pub(crate) fn nats_reconnected(&self) {
        add(&self.inner.nats_reconnects, 1);
    }

    /// A publisher lost its NATS connection.
    pub(crate) fn publisher_away(&self) {
        add(&self.inner.publishers_away, 1);
    }

    /// A publisher that was away has a connection again, or has ended.
    pub(crate) fn publisher_back(&self) {
        take(&self.inner.publishers_away, 1);
    }

    /// Each channel's counters now, in the order the channels were given.
    pub fn by_channel(&self) -> Vec<(String, RelayStats)> {
        let channels = self.channels();
        channels
            .iter()
            .map(|(name, c)| (name.clone(), c.snapshot()))
            .collect()
    }

    /// Whether any subject is behind (see [`RelayStats::behind`]) and
    /// can catch up, no publisher being without its NATS connection:
    /// cheap enough to ask at every idle moment, as `kraki relay
    /// --coalesce` does to stop sleeping while a pair catches up. While
    /// NATS is away nothing can be sent, however often the relay wakes.
    pub fn is_behind(&self) -> bool {
        if self.inner.publishers_away.load(Relaxed) > 0 {
            return false;
        }
        let channels = self.channels();
        channels.iter().any(|(_, c)| c.behind.load(Relaxed) > 0)
    }

    /// All channels' counters now, summed.
    pub fn snapshot(&self) -> RelayStats {
        let total = self
            .by_channel()
            .iter()
            .fold(RelayStats::default(), |sum, (_, s)| sum.plus(s));
        RelayStats {
            nats_reconnects: self.inner.nats_reconnects.load(Relaxed),
            buffered_bytes: self.inner.buffered_bytes.load(Relaxed),
            ..total
        }
    }
}

pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Relaxed);
}

pub(crate) fn take(counter: &AtomicU64, n: u64) {
    counter.fetch_sub(n, Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_behind_can_catch_up_only_while_every_publisher_has_nats() {
        let counters = RelayCounters::default();
        let book = counters.channel("book");
        assert!(!counters.is_behind());
        add(&book.behind, 1);
        assert!(counters.is_behind());
        counters.publisher_away();
        assert!(!counters.is_behind());
        assert_eq!(counters.snapshot().behind, 1, "the gauge still shows it");
        counters.publisher_back();
        assert!(counters.is_behind());
        take(&book.behind, 1);
        assert!(!counters.is_behind());
    }
}
