//! A feeder's end of the queue towards the publisher: one subject's
//! messages, bounded by the relay's buffer (messages per subject, bytes
//! in all), offered without ever waiting
//! (a feeder runs on the connection's reader, or must keep up with it).

use super::counters::{ChannelCounters, add, take};
use super::publisher::{Outgoing, Queued, SubjectId, SubjectShared};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use tokio::sync::mpsc;

pub(crate) struct FeedQueue {
    pub(crate) subject: SubjectId,
    pub(crate) queue: mpsc::UnboundedSender<Queued>,
    pub(crate) shared: SubjectShared,
    pub(crate) counters: Arc<ChannelCounters>,
    /// Messages the subject may hold, queued or in flight.
    pub(crate) buffer: usize,
}

/// What became of an offered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offered {
    Queued,
    /// The subject holds its buffer's worth, or the relay its bytes'
    /// worth (NATS slow or away): dropped.
    Full,
    /// The publisher has gone.
    Closed,
}

impl FeedQueue {
    /// Queues a message for the stream; a full buffer drops it and
    /// counts it.
    pub(crate) fn offer(&self, out: Outgoing) -> Offered {
        let offered = self.put(out);
        if offered == Offered::Full {
            add(&self.counters.dropped, 1);
        }
        offered
    }

    /// Queues a checkpoint; one that does not fit is no loss (the next
    /// one will), so it is not counted as dropped.
    pub(crate) fn offer_checkpoint(&self, out: Outgoing) {
        let _ = self.put(out);
    }

    /// Whether the publisher asked for a snapshot (JetStream refused an
    /// update), clearing the request.
    pub(crate) fn snapshot_wanted(&self) -> bool {
        self.shared.wants_snapshot().load(Relaxed)
            && self.shared.wants_snapshot().swap(false, Relaxed)
    }

    fn put(&self, out: Outgoing) -> Offered {
        let bytes = out.size();
        if self.shared.held().load(Relaxed) >= self.buffer.max(1)
            || !self.shared.budget().take(bytes)
        {
            return Offered::Full;
        }
        // Counted before it goes in: the publisher may take it at once.
        self.shared.held().fetch_add(1, Relaxed);
        add(&self.counters.queued, 1);
        let queued = Queued {
            subject: self.subject,
            out,
        };
        if self.queue.send(queued).is_err() {
            self.shared.held().fetch_sub(1, Relaxed);
            self.shared.budget().give_back(bytes);
            take(&self.counters.queued, 1);
            return Offered::Closed;
        }
        Offered::Queued
    }
}
