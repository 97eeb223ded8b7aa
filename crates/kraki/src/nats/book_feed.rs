//! One book subject's feeder: reads the pair's book through the client,
//! verifies every message against its own book, and queues only what
//! verified. A mismatch, or a lag of its own queue, drops the book and
//! asks Kraken for a fresh snapshot; nothing from the unverified stretch
//! is queued. When the queue towards NATS is full (NATS away), the
//! updates are dropped and counted, and the subject resumes with a
//! snapshot of this book, so a consumer sees the gap as a snapshot.

use super::counters::{ChannelCounters, add, take};
use super::frames::{book_snapshot, frame};
use super::names::content_id;
use super::publisher::{ItemKind, Outgoing};
use crate::{Book, BookUpdate, Client, Event, Subscription};
use bytes::Bytes;
use futures_util::StreamExt;
use kraki_proto::book::{BookView, L2Book, Precision, Verification};
use kraki_proto::{MessageType, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Notify, mpsc};

pub(crate) struct BookFeeder {
    pub(crate) client: Client,
    pub(crate) symbol: String,
    pub(crate) precision: Precision,
    pub(crate) depth: u32,
    pub(crate) subject: String,
    pub(crate) queue: mpsc::Sender<Outgoing>,
    pub(crate) counters: Arc<ChannelCounters>,
    pub(crate) wants_snapshot: Arc<Notify>,
    pub(crate) checkpoint_every: Duration,
}

/// The feeder's running state.
struct Run {
    book: L2Book,
    /// The last update's timestamp: the position a snapshot of the book
    /// stands for.
    at: Option<Timestamp>,
    /// Items dropped since the queue last took one: while non-zero, only a
    /// snapshot of the book can continue the subject.
    dropped: u64,
}

impl BookFeeder {
    /// Subscribes; the first event is the snapshot.
    pub(crate) async fn subscribe(&self) -> Result<Subscription<BookUpdate>, crate::Error> {
        self.client
            .subscribe(Book::new([self.symbol.as_str()]).depth(self.depth))
            .await
    }

    fn fresh_book(&self) -> L2Book {
        L2Book::new(self.symbol.as_str(), self.precision, self.depth as usize)
    }

    /// Runs until the client closes.
    pub(crate) async fn run(self, mut sub: Subscription<BookUpdate>) -> Result<(), crate::Error> {
        let mut run = Run {
            book: self.fresh_book(),
            at: None,
            dropped: 0,
        };
        let mut checkpoint = tokio::time::interval(self.checkpoint_every);
        checkpoint.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = sub.next() => {
                    let Some(event) = event else { return Ok(()) };
                    if !self.on_event(&mut run, event) {
                        // The book cannot be trusted: a fresh subscription
                        // brings a fresh snapshot (the new one is made
                        // first, so the wire subscription stays).
                        add(&self.counters.resyncs, 1);
                        run.book = self.fresh_book();
                        sub = self.subscribe().await?;
                    }
                }
                () = self.wants_snapshot.notified() => {
                    if run.book.is_in_sync() {
                        self.queue_snapshot(&mut run);
                    }
                }
                _ = checkpoint.tick() => {
                    if run.book.is_in_sync() && run.dropped == 0 {
                        let snapshot = book_snapshot(&run.book, run.at);
                        // A checkpoint that does not fit is no loss: the
                        // next one will.
                        // Counted before it goes in: the publisher may take
                        // it at once.
                        add(&self.counters.queued, 1);
                        if self.queue.try_send(Outgoing::Checkpoint(Bytes::from(snapshot))).is_err() {
                            take(&self.counters.queued, 1);
                        }
                    }
                }
            }
        }
    }

    /// Applies one event; `false` when the book needs a fresh snapshot.
    fn on_event(&self, run: &mut Run, event: Event<BookUpdate>) -> bool {
        let update = match event {
            Event::Data(update) => update,
            Event::Lagged(n) => {
                tracing::warn!(symbol = %self.symbol, missed = n, "relay fell behind the book; resubscribing for a snapshot");
                return false;
            }
            Event::Reconnected => {
                add(&self.counters.reconnects, 1);
                return true;
            }
            _ => return true,
        };
        add(&self.counters.received, 1);
        let view = BookView::from(&update.book);
        match run.book.apply_update(update.kind, &view) {
            Ok(Verification::Verified) => {
                add(&self.counters.verified, 1);
                if update.book.timestamp.is_some() {
                    run.at = update.book.timestamp;
                }
                if run.dropped > 0 && update.kind == MessageType::Update {
                    self.queue_snapshot(run);
                } else {
                    let kind = match update.kind {
                        MessageType::Snapshot => ItemKind::BookSnapshot,
                        _ => ItemKind::BookUpdate,
                    };
                    let payload = frame("book", update.kind, &update.book);
                    self.offer(run, payload, kind);
                }
                true
            }
            // Out of sync: the snapshot asked for is on its way.
            Ok(Verification::Skipped) => true,
            Ok(Verification::Mismatch { expected, computed }) => {
                add(&self.counters.mismatches, 1);
                tracing::warn!(symbol = %self.symbol, expected, computed, "book checksum mismatch; not published, resubscribing");
                false
            }
            Err(e) => {
                add(&self.counters.mismatches, 1);
                tracing::warn!(symbol = %self.symbol, error = %e, "book message cannot be applied; not published, resubscribing");
                false
            }
        }
    }

    fn queue_snapshot(&self, run: &mut Run) {
        let payload = book_snapshot(&run.book, run.at);
        self.offer(run, payload, ItemKind::BookSnapshot);
    }

    /// Queues a message without waiting; a full queue drops it and counts.
    fn offer(&self, run: &mut Run, payload: String, kind: ItemKind) {
        let id = content_id(&self.subject, payload.as_bytes());
        let item = Outgoing::Item {
            payload: Bytes::from(payload),
            id,
            kind,
        };
        // Counted before it goes in: the publisher may take it at once.
        add(&self.counters.queued, 1);
        let sent = self.queue.try_send(item);
        if sent.is_err() {
            take(&self.counters.queued, 1);
        }
        match sent {
            Ok(()) => {
                if run.dropped > 0 {
                    tracing::warn!(
                        subject = %self.subject,
                        dropped = run.dropped,
                        "buffer towards NATS has room again; dropped messages, the subject resumes with a snapshot"
                    );
                    run.dropped = 0;
                }
            }
            Err(TrySendError::Full(_)) => {
                add(&self.counters.dropped, 1);
                if run.dropped == 0 {
                    tracing::warn!(subject = %self.subject, "buffer towards NATS full; dropping messages until it has room");
                }
                run.dropped += 1;
            }
            Err(TrySendError::Closed(_)) => {}
        }
    }
}
