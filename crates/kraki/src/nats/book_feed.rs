//! One book subject's feeder: reads the pair's book through the client,
//! verifies every message against its own book, and queues only what
//! verified. A mismatch, or a lag of its own queue, drops the book and
//! asks Kraken for a fresh snapshot; nothing from the unverified stretch
//! is queued. When the queue towards NATS is full (NATS away), the
//! updates are dropped and counted, and the subject resumes with a
//! snapshot of this book, so a consumer sees the gap as a snapshot.

use super::counters::{ChannelCounters, add, take};
use super::names::content_id;
use super::publisher::{ItemKind, Outgoing};
use super::relayed_book::RelayedBook;
use crate::{Client, Event, Subscription};
use bytes::Bytes;
use futures_util::StreamExt;
use kraki_proto::book::{Precision, Verification};
use kraki_proto::{MessageType, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Notify, mpsc};

pub(crate) struct BookFeeder<B> {
    pub(crate) client: Client,
    pub(crate) symbol: String,
    pub(crate) precision: Precision,
    pub(crate) depth: u32,
    pub(crate) subject: String,
    pub(crate) queue: mpsc::Sender<Outgoing>,
    pub(crate) counters: Arc<ChannelCounters>,
    pub(crate) wants_snapshot: Arc<Notify>,
    pub(crate) checkpoint_every: Duration,
    pub(crate) _book: std::marker::PhantomData<fn() -> B>,
}

/// The feeder's running state.
struct Run<B> {
    book: B,
    /// The last update's timestamp: the position a snapshot of the book
    /// stands for.
    at: Option<Timestamp>,
    /// Items dropped since the queue last took one: while non-zero, only a
    /// snapshot of the book can continue the subject.
    dropped: u64,
}

impl<B: RelayedBook> BookFeeder<B> {
    /// Subscribes; the first event is the snapshot.
    pub(crate) async fn subscribe(&self) -> Result<Subscription<B::Update>, crate::Error> {
        self.client
            .subscribe(B::spec(&self.symbol, self.depth))
            .await
    }

    /// Subscribes again until Kraken accepts (a relay outlives an
    /// exchange that refuses or times out for a while); `None` once the
    /// client is closed.
    async fn resubscribe(&self) -> Option<Subscription<B::Update>> {
        let mut delay = Duration::from_millis(500);
        loop {
            match self.subscribe().await {
                Ok(sub) => return Some(sub),
                Err(crate::Error::Closed) => return None,
                Err(e) => {
                    tracing::warn!(symbol = %self.symbol, error = %e, "resubscribing for a snapshot failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    fn fresh_book(&self) -> B {
        B::fresh(&self.symbol, self.precision, self.depth)
    }

    /// Runs until the client closes.
    pub(crate) async fn run(self, mut sub: Subscription<B::Update>) -> Result<(), crate::Error> {
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
                        match self.resubscribe().await {
                            Some(fresh) => sub = fresh,
                            None => return Ok(()),
                        }
                    }
                }
                () = self.wants_snapshot.notified() => {
                    if run.book.in_sync() {
                        self.queue_snapshot(&mut run);
                    }
                }
                _ = checkpoint.tick() => {
                    if run.book.in_sync() && run.dropped == 0 {
                        let snapshot = run.book.snapshot(run.at);
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
    fn on_event(&self, run: &mut Run<B>, event: Event<B::Update>) -> bool {
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
        let kind = B::kind(&update);
        match run.book.apply(&update) {
            Ok(Verification::Verified) => {
                add(&self.counters.verified, 1);
                if let Some(at) = B::timestamp(&update) {
                    run.at = Some(at);
                }
                if run.dropped > 0 && kind == MessageType::Update {
                    self.queue_snapshot(run);
                } else {
                    let item = match kind {
                        MessageType::Snapshot => ItemKind::BookSnapshot,
                        _ => ItemKind::BookUpdate,
                    };
                    self.offer(run, B::frame(&update), item);
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

    fn queue_snapshot(&self, run: &mut Run<B>) {
        let payload = run.book.snapshot(run.at);
        self.offer(run, payload, ItemKind::BookSnapshot);
    }

    /// Queues a message without waiting; a full queue drops it and counts.
    fn offer(&self, run: &mut Run<B>, payload: String, kind: ItemKind) {
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
