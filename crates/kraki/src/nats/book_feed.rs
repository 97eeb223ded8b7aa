//! One book subject's feeder, run by the connection's reader itself
//! (`Client::book_inline`): the client parses each frame in place,
//! applies it to its verified book and calls the feeder, which queues
//! the pair's item as Kraken sent it, only when it verified. There is no
//! second book, no decoded message and no task hop: the bytes published
//! are the bytes verified.
//!
//! A mismatch makes the client resubscribe; nothing from the unverified
//! stretch is queued, and the resync's snapshot goes out as any other.
//! When the buffer towards NATS is full (NATS away), updates are dropped
//! and counted, and the subject resumes with a snapshot of the book, so a
//! consumer sees the gap as a snapshot. The same goes when JetStream
//! refused an update because another relay's message came first.

use super::checkpoint_clock::CheckpointClock;
use super::counters::add;
use super::feed_queue::{FeedQueue, Offered};
use super::names::ContentIds;
use super::publisher::{ItemKind, Outgoing};
use super::relayed_book::RelayedBook;
use crate::{BookEvent, InlineBook};
use bytes::Bytes;
use kraki_proto::{MessageType, Timestamp};
use std::time::Duration;

pub(crate) struct BookFeeder {
    pub(crate) subject: String,
    ids: ContentIds,
    pub(crate) queue: FeedQueue,
    checkpoints: CheckpointClock,
    /// The last update's timestamp: the position a snapshot of the book
    /// stands for.
    pub(crate) at: Option<Timestamp>,
    /// Messages dropped since the queue last took one: while non-zero,
    /// only a snapshot of the book can continue the subject.
    pub(crate) dropped: u64,
    /// The resync under way was caused by a checksum mismatch already
    /// counted.
    pub(crate) mismatch_counted: bool,
}

impl BookFeeder {
    pub(crate) fn new(subject: String, queue: FeedQueue, checkpoint_every: Duration) -> Self {
        BookFeeder {
            ids: ContentIds::for_subject(&subject),
            subject,
            queue,
            checkpoints: CheckpointClock::new(checkpoint_every),
            at: None,
            dropped: 0,
            mismatch_counted: false,
        }
    }

    /// What the client's verified book reports, as it happens.
    pub(crate) fn on_book<B: RelayedBook>(&mut self, book: InlineBook<'_, B>) {
        let counters = &self.queue.counters;
        match book.event() {
            BookEvent::Applied { kind, ok, .. } => {
                add(&counters.received, 1);
                if *ok {
                    add(&counters.verified, 1);
                    self.on_verified(*kind, &book);
                } else {
                    // Not published; the client resubscribes.
                    add(&counters.mismatches, 1);
                    self.mismatch_counted = true;
                }
            }
            BookEvent::Resyncing { .. } => {
                add(&counters.resyncs, 1);
                // A message that could not be applied at all counts as a
                // mismatch too.
                if !std::mem::take(&mut self.mismatch_counted) {
                    add(&counters.mismatches, 1);
                }
            }
            BookEvent::Reconnected => add(&counters.reconnects, 1),
            _ => {}
        }
    }

    fn on_verified<B: RelayedBook>(&mut self, kind: MessageType, book: &InlineBook<'_, B>) {
        if let Some(at) = book.timestamp() {
            self.at = Some(at);
        }
        let resume =
            kind == MessageType::Update && (self.dropped > 0 || self.queue.snapshot_wanted());
        let (payload, item) = match book.item_text() {
            Some(text) if !resume => {
                let item = match kind {
                    MessageType::Snapshot => ItemKind::BookSnapshot,
                    _ => ItemKind::BookUpdate,
                };
                (item_frame(B::NAME, kind, text), item)
            }
            // The subject resumes from this book, or the frame was
            // decoded rather than read in place: a snapshot of the book,
            // valid after anything.
            _ => (
                Bytes::from(book.state().book.snapshot(self.at)),
                ItemKind::BookSnapshot,
            ),
        };
        self.offer(payload, item);
        if self.dropped == 0 && self.checkpoints.due(self.at) {
            self.checkpoints.taken(self.at);
            let snapshot = book.state().book.snapshot(self.at);
            self.queue
                .offer_checkpoint(Outgoing::Checkpoint(Bytes::from(snapshot)));
        }
    }

    /// Queues a message without waiting; a full queue drops it and counts.
    fn offer(&mut self, payload: Bytes, kind: ItemKind) {
        let id = self.ids.of(&payload);
        match self.queue.offer(Outgoing::Item { payload, id, kind }) {
            Offered::Queued if self.dropped > 0 => {
                tracing::warn!(
                    subject = %self.subject,
                    dropped = self.dropped,
                    "buffer towards NATS has room again; dropped messages, the subject resumes with a snapshot"
                );
                self.dropped = 0;
            }
            Offered::Queued | Offered::Closed => {}
            Offered::Full => {
                if self.dropped == 0 {
                    tracing::warn!(subject = %self.subject, "buffer towards NATS full; dropping messages until it has room");
                }
                self.dropped += 1;
            }
        }
    }
}

/// The pair's own frame around its item as Kraken sent it:
/// `{"channel":…,"type":…,"data":[ITEM]}`, Kraken's shape and member
/// order.
fn item_frame(channel: &str, kind: MessageType, item: &str) -> Bytes {
    let kind = match kind {
        MessageType::Snapshot => "snapshot",
        _ => "update",
    };
    let parts = [
        r#"{"channel":""#,
        channel,
        r#"","type":""#,
        kind,
        r#"","data":["#,
        item,
        "]}",
    ];
    // Exactly as long as the frame: `Bytes` then takes the vector as it
    // is, where spare capacity would cost it an allocation of its own.
    let mut frame = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        frame.extend_from_slice(part.as_bytes());
    }
    Bytes::from(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_gets_its_pairs_frame_in_krakens_shape() {
        let frame = item_frame("book", MessageType::Update, r#"{"symbol":"BTC/USD"}"#);
        assert_eq!(
            &frame[..],
            br#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD"}]}"#
        );
        let frame = item_frame("level3", MessageType::Snapshot, "{}");
        assert_eq!(
            &frame[..],
            br#"{"channel":"level3","type":"snapshot","data":[{}]}"#
        );
    }
}
