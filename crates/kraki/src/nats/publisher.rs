//! One feed's publishing task: takes what the feeder queued, in order,
//! and stores it in JetStream, retrying while NATS is away.
//!
//! A book subject stays a valid feed because each update is published
//! with `Nats-Expected-Last-Subject-Sequence` set to the message the
//! update was verified after. When another relay's message came first
//! (its own snapshot, typically) JetStream refuses the update; this relay
//! then skips its queued updates and asks its feeder for a snapshot of
//! its book, which is always valid to append. Identical messages from
//! two relays carry the same `Nats-Msg-Id`, which JetStream checks
//! before the expected sequence, so relays on the same feed converge on
//! one copy of every message.

use super::counters::{ChannelCounters, add, take};
use super::names::SEQ_HEADER;
use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::publish::PublishAck;
use async_nats::jetstream::{self, message::PublishMessage};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

/// What a feeder queues for its publisher.
pub(crate) enum Outgoing {
    /// A message for the data stream.
    Item {
        payload: Bytes,
        /// Its `Nats-Msg-Id`.
        id: String,
        kind: ItemKind,
    },
    /// The feeder's book as it stands after every item queued before
    /// this one: kept on the snapshot subject for late consumers.
    Checkpoint(Bytes),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    /// Tickers, candles: each message stands alone.
    Plain,
    /// One trade, with its `trade_id` (increasing per pair).
    Trade(u64),
    /// A book snapshot: valid after anything.
    BookSnapshot,
    /// A book update: valid only right after the message it was verified
    /// after.
    BookUpdate,
}

/// JetStream refused a book update: the subject's last message is not
/// the one this relay verified the update after.
struct Conflict;

pub(crate) struct Publisher {
    pub(crate) js: jetstream::Context,
    pub(crate) subject: String,
    pub(crate) snapshot_subject: String,
    /// Precision and depth, sent with book snapshots.
    pub(crate) snapshot_headers: HeaderMap,
    pub(crate) counters: Arc<ChannelCounters>,
    /// Tells the feeder that a snapshot of its book is needed.
    pub(crate) wants_snapshot: Arc<Notify>,
}

impl Publisher {
    pub(crate) async fn run(self, mut queue: mpsc::Receiver<Outgoing>) {
        // The stream sequence of the subject's last message, as this relay
        // knows it; `None` until a snapshot of ours (or an identical one)
        // is stored.
        let mut last: Option<u64> = None;
        // The newest trade stored on the subject. Message ids alone do
        // not do: a trade snapshot repeats trades older than JetStream's
        // duplicate window when a relay restarts after it.
        let mut newest_trade: Option<u64> = None;
        while let Some(out) = queue.recv().await {
            take(&self.counters.queued, 1);
            match out {
                Outgoing::Item { payload, id, kind } => {
                    let (expected, headers) = match kind {
                        ItemKind::Plain => (None, HeaderMap::new()),
                        ItemKind::Trade(trade_id) => {
                            if newest_trade.is_none() {
                                newest_trade = self.stored_trade().await;
                            }
                            if newest_trade.is_some_and(|newest| trade_id <= newest) {
                                add(&self.counters.duplicates, 1);
                                continue;
                            }
                            newest_trade = Some(trade_id);
                            (None, HeaderMap::new())
                        }
                        ItemKind::BookSnapshot => (None, self.snapshot_headers.clone()),
                        // Waiting for our snapshot after a conflict: the
                        // updates queued meanwhile follow a book the
                        // subject does not show.
                        ItemKind::BookUpdate => match last {
                            Some(seq) => (Some(seq), HeaderMap::new()),
                            None => continue,
                        },
                    };
                    match self
                        .publish(&self.subject, payload.clone(), Some(&id), expected, headers)
                        .await
                    {
                        Ok(ack)
                            if matches!(kind, ItemKind::BookSnapshot | ItemKind::BookUpdate) =>
                        {
                            last = Some(ack.sequence);
                            if kind == ItemKind::BookSnapshot && !ack.duplicate {
                                self.keep(payload, ack.sequence).await;
                            }
                        }
                        Ok(_) => {}
                        Err(Conflict) => {
                            add(&self.counters.conflicts, 1);
                            tracing::info!(
                                subject = %self.subject,
                                "another relay's message came first; publishing a snapshot of this relay's book"
                            );
                            last = None;
                            self.wants_snapshot.notify_one();
                        }
                    }
                }
                Outgoing::Checkpoint(payload) => {
                    if let Some(seq) = last {
                        self.keep(payload, seq).await;
                    }
                }
            }
        }
    }

    /// The `trade_id` of the subject's last stored trade, if any (`Some(0)`
    /// when the subject is empty, so the stream is asked once).
    async fn stored_trade(&self) -> Option<u64> {
        let stream = self
            .js
            .get_stream_no_info(super::names::STREAM)
            .await
            .ok()?;
        let last = match stream.get_last_raw_message_by_subject(&self.subject).await {
            Ok(last) => last,
            Err(_) => return Some(0),
        };
        let text = std::str::from_utf8(&last.payload).ok()?;
        match kraki_proto::decode(text) {
            Ok(kraki_proto::Inbound::Trade(m)) => m.data.iter().map(|t| t.trade_id).max(),
            _ => None,
        }
    }

    /// Keeps `snapshot`, the book as of stream sequence `seq`, as the
    /// subject's latest snapshot for late consumers.
    async fn keep(&self, snapshot: Bytes, seq: u64) {
        let mut headers = self.snapshot_headers.clone();
        headers.insert(SEQ_HEADER, seq.to_string().as_str());
        let _ = self
            .publish(&self.snapshot_subject, snapshot, None, None, headers)
            .await;
    }

    /// Publishes until JetStream acks (a retry carries the same message
    /// id, so a message that was stored but whose ack was lost is not
    /// stored twice). Only a refused expected sequence ends it otherwise.
    async fn publish(
        &self,
        subject: &str,
        payload: Bytes,
        id: Option<&str>,
        expected: Option<u64>,
        headers: HeaderMap,
    ) -> Result<PublishAck, Conflict> {
        let mut delay = Duration::from_millis(50);
        let mut failing = false;
        loop {
            let mut message = PublishMessage::build()
                .headers(headers.clone())
                .payload(payload.clone());
            if let Some(id) = id {
                message = message.message_id(id);
            }
            if let Some(seq) = expected {
                message = message.expected_last_subject_sequence(seq);
            }
            let started = Instant::now();
            let result = match self.js.send_publish(subject.to_owned(), message).await {
                Ok(ack) => ack.await,
                Err(e) => Err(e),
            };
            match result {
                Ok(ack) => {
                    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    self.counters.acked(nanos);
                    if ack.duplicate {
                        add(&self.counters.duplicates, 1);
                    } else {
                        add(&self.counters.published, 1);
                    }
                    if failing {
                        tracing::info!(subject, "NATS accepts messages again");
                    }
                    return Ok(ack);
                }
                Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => return Err(Conflict),
                Err(e) => {
                    add(&self.counters.publish_errors, 1);
                    if !failing {
                        tracing::warn!(subject, error = %e, "publish to NATS failed; retrying");
                        failing = true;
                    }
                    if e.kind() == PublishErrorKind::StreamNotFound {
                        // Deleted by an operator, or a server that lost
                        // its storage: made again with the defaults.
                        let _ = super::streams::ensure(&self.js).await;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}
