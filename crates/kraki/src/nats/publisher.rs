//! The relay's publishing task: every subject's messages, in order, into
//! JetStream over the core NATS connection, retrying while NATS is away.
//!
//! Each message is a plain publish with a reply subject under one inbox,
//! `<inbox>.<subject index>.<attempt>`, read by one subscription; the ack
//! is matched to its subject by that suffix. A request through
//! async-nats's JetStream context would make an inbox, a oneshot, a
//! semaphore permit and a timer for every message, and each subject's
//! task would sleep and wake around it: at 15,000 messages a second that
//! was a quarter of the relay's CPU.
//!
//! One message per subject is in flight: a book update names the stream
//! sequence of the message before it (`Nats-Expected-Last-Subject-Sequence`),
//! known only from that message's ack, and JetStream's answers then come
//! in the subject's order. All subjects are in flight at once, so the
//! connection writes many messages per system call.
//!
//! A book subject stays a valid feed because each update is published
//! with the sequence of the message it was verified after. When another
//! relay's message came first (its own snapshot, typically) JetStream
//! refuses the update; this relay then skips its queued updates and asks
//! its feeder for a snapshot of its book, which is always valid to
//! append. Identical messages from two relays carry the same
//! `Nats-Msg-Id`, which JetStream checks before the expected sequence, so
//! relays on the same feed converge on one copy of every message.

use super::counters::{ChannelCounters, add, take};
use super::names::SEQ_HEADER;
use async_nats::header::{NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, NATS_MESSAGE_ID};
use async_nats::{HeaderMap, StatusCode, Subject};
use bytes::Bytes;
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// A subject's place in the publisher's table.
pub(crate) type SubjectId = usize;

/// How long an ack may take before the message is sent again (with the
/// same `Nats-Msg-Id`, so a message stored whose ack was lost is not
/// stored twice).
const ACK_WAIT: Duration = Duration::from_secs(2);

/// JetStream's error code for a refused expected last subject sequence.
const WRONG_LAST_SEQUENCE: u64 = 10071;

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

/// A message for one subject.
pub(crate) struct Queued {
    pub(crate) subject: SubjectId,
    pub(crate) out: Outgoing,
}

/// What a subject's feeder and the publisher share.
#[derive(Debug, Default)]
pub(crate) struct SubjectShared {
    /// Messages queued or in flight, bounded by the relay's buffer.
    pub(crate) held: AtomicUsize,
    /// JetStream refused an update (another relay's message came first):
    /// the feeder's next message must be a snapshot of its book.
    pub(crate) wants_snapshot: AtomicBool,
}

/// A subject as the relay set it up.
pub(crate) struct SubjectSpec {
    pub(crate) subject: String,
    pub(crate) snapshot_subject: String,
    /// Precision and depth, sent with book snapshots.
    pub(crate) snapshot_headers: HeaderMap,
    pub(crate) counters: Arc<ChannelCounters>,
    pub(crate) shared: Arc<SubjectShared>,
    /// The newest trade already stored on the subject. Message ids alone
    /// do not do: a trade snapshot repeats trades older than JetStream's
    /// duplicate window when a relay restarts after it.
    pub(crate) newest_trade: Option<u64>,
}

/// A subject's publishing state.
struct SubjectState {
    subject: Subject,
    snapshot_subject: Subject,
    snapshot_headers: HeaderMap,
    counters: Arc<ChannelCounters>,
    shared: Arc<SubjectShared>,
    newest_trade: Option<u64>,
    /// In order; the front one is in flight or waits for a retry.
    waiting: VecDeque<Outgoing>,
    /// The stream sequence of the subject's last message, as this relay
    /// knows it; `None` until a snapshot of ours (or an identical one) is
    /// stored.
    last: Option<u64>,
    /// The attempt whose ack is awaited.
    in_flight: Option<u32>,
    /// Numbers this subject's attempts, so a late ack of an earlier one
    /// is told apart.
    attempts: u32,
    sent_at: Instant,
    /// When the front message is sent again, after a failure.
    retry_at: Option<Instant>,
    delay: Duration,
    /// Failing since the last ack (logged once per stretch).
    failing: bool,
}

/// The publishing task.
pub(crate) struct Publisher {
    client: async_nats::Client,
    js: async_nats::jetstream::Context,
    inbox: String,
    subjects: Vec<SubjectState>,
    /// Ack deadlines in the order sent: (deadline, subject, attempt).
    deadlines: VecDeque<(Instant, SubjectId, u32)>,
    /// Subjects waiting to send their front message again.
    retrying: Vec<SubjectId>,
}

/// JetStream's answer to a publish.
#[derive(serde::Deserialize)]
struct PubAck {
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    duplicate: bool,
    #[serde(default)]
    error: Option<PubAckError>,
}

#[derive(serde::Deserialize)]
struct PubAckError {
    #[serde(default)]
    err_code: u64,
    #[serde(default)]
    description: String,
}

/// What an ack says.
enum Answer {
    Stored { seq: u64, duplicate: bool },
    Conflict,
    Failed(String),
}

impl Publisher {
    pub(crate) fn new(js: async_nats::jetstream::Context, specs: Vec<SubjectSpec>) -> Self {
        let client = js.client();
        let inbox = client.new_inbox();
        let now = Instant::now();
        let subjects = specs
            .into_iter()
            .map(|s| SubjectState {
                subject: Subject::from(s.subject),
                snapshot_subject: Subject::from(s.snapshot_subject),
                snapshot_headers: s.snapshot_headers,
                counters: s.counters,
                shared: s.shared,
                newest_trade: s.newest_trade,
                waiting: VecDeque::new(),
                last: None,
                in_flight: None,
                attempts: 0,
                sent_at: now,
                retry_at: None,
                delay: Duration::from_millis(50),
                failing: false,
            })
            .collect();
        Publisher {
            client,
            js,
            inbox,
            subjects,
            deadlines: VecDeque::new(),
            retrying: Vec::new(),
        }
    }

    /// Runs until every feeder has gone and what they queued is stored
    /// (or, with NATS away, for at most a few seconds more).
    pub(crate) async fn run(mut self, mut queue: mpsc::UnboundedReceiver<Queued>) {
        let mut acks = match self.client.subscribe(format!("{}.>", self.inbox)).await {
            Ok(acks) => acks,
            Err(e) => {
                tracing::error!(error = %e, "cannot subscribe to JetStream's acks; nothing is published");
                return;
            }
        };
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(512);
        let mut closed_at: Option<Instant> = None;
        loop {
            tokio::select! {
                biased;
                ack = acks.next() => match ack {
                    Some(ack) => self.on_ack(&ack).await,
                    None => return,
                },
                n = queue.recv_many(&mut batch, 512), if closed_at.is_none() => {
                    if n == 0 {
                        closed_at = Some(Instant::now());
                    }
                    for Queued { subject, out } in batch.drain(..) {
                        let Some(state) = self.subjects.get_mut(subject) else { continue };
                        state.waiting.push_back(out);
                        if state.waiting.len() == 1 {
                            self.pump(subject).await;
                        }
                    }
                }
                _ = tick.tick() => self.on_tick().await,
            }
            if let Some(closed) = closed_at {
                let drained = self.subjects.iter().all(|s| s.waiting.is_empty());
                if drained || closed.elapsed() > Duration::from_secs(5) {
                    return;
                }
            }
        }
    }

    /// Sends the subject's front message, unless one is in flight or
    /// waits for a retry; what needs no sending is settled on the way.
    async fn pump(&mut self, id: SubjectId) {
        let Some(state) = self.subjects.get_mut(id) else {
            return;
        };
        if state.in_flight.is_some() || state.retry_at.is_some() {
            return;
        }
        while let Some(front) = state.waiting.front() {
            let kind = match front {
                Outgoing::Checkpoint(payload) => {
                    let payload = payload.clone();
                    if let Some(seq) = state.last {
                        keep(&self.client, state, payload, seq).await;
                    }
                    settle(state);
                    continue;
                }
                Outgoing::Item { kind, .. } => *kind,
            };
            let expected = match kind {
                ItemKind::Trade(trade_id)
                    if state.newest_trade.is_some_and(|newest| trade_id <= newest) =>
                {
                    add(&state.counters.duplicates, 1);
                    settle(state);
                    continue;
                }
                ItemKind::Trade(trade_id) => {
                    state.newest_trade = Some(trade_id);
                    None
                }
                // Waiting for our snapshot after a conflict: the updates
                // queued meanwhile follow a book the subject does not
                // show.
                ItemKind::BookUpdate => match state.last {
                    Some(seq) => Some(seq),
                    None => {
                        settle(state);
                        continue;
                    }
                },
                ItemKind::Plain | ItemKind::BookSnapshot => None,
            };
            let Some(Outgoing::Item {
                payload,
                id: msg_id,
                ..
            }) = state.waiting.front()
            else {
                return;
            };
            let mut headers = if kind == ItemKind::BookSnapshot {
                state.snapshot_headers.clone()
            } else {
                HeaderMap::new()
            };
            headers.insert(NATS_MESSAGE_ID, msg_id.as_str());
            if let Some(seq) = expected {
                headers.insert(
                    NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
                    seq.to_string().as_str(),
                );
            }
            let payload = payload.clone();
            state.attempts = state.attempts.wrapping_add(1);
            let attempt = state.attempts;
            let reply = format!("{}.{id}.{attempt}", self.inbox);
            let now = Instant::now();
            state.in_flight = Some(attempt);
            state.sent_at = now;
            self.deadlines.push_back((now + ACK_WAIT, id, attempt));
            let sent = self
                .client
                .publish_with_reply_and_headers(state.subject.clone(), reply, headers, payload)
                .await;
            if let Err(e) = sent {
                state.in_flight = None;
                failed(id, state, &mut self.retrying, &e.to_string());
            }
            return;
        }
    }

    /// An ack (or a failure) from JetStream.
    async fn on_ack(&mut self, ack: &async_nats::Message) {
        let Some((id, attempt)) = ack_target(&self.inbox, ack.subject.as_str()) else {
            return;
        };
        let Some(state) = self.subjects.get_mut(id) else {
            return;
        };
        if state.in_flight != Some(attempt) {
            // The answer to an attempt already given up on.
            return;
        }
        state.in_flight = None;
        match answer(ack) {
            Answer::Stored { seq, duplicate } => {
                let nanos = u64::try_from(state.sent_at.elapsed().as_nanos()).unwrap_or(u64::MAX);
                state.counters.acked(nanos);
                add(
                    if duplicate {
                        &state.counters.duplicates
                    } else {
                        &state.counters.published
                    },
                    1,
                );
                if state.failing {
                    tracing::info!(subject = %state.subject, "NATS accepts messages again");
                    state.failing = false;
                }
                state.delay = Duration::from_millis(50);
                if let Some(Outgoing::Item { payload, kind, .. }) = state.waiting.front() {
                    if matches!(kind, ItemKind::BookSnapshot | ItemKind::BookUpdate) {
                        state.last = Some(seq);
                    }
                    if *kind == ItemKind::BookSnapshot && !duplicate {
                        keep(&self.client, state, payload.clone(), seq).await;
                    }
                }
                settle(state);
            }
            Answer::Conflict => {
                add(&state.counters.conflicts, 1);
                tracing::info!(
                    subject = %state.subject,
                    "another relay's message came first; publishing a snapshot of this relay's book"
                );
                state.last = None;
                state.shared.wants_snapshot.store(true, Relaxed);
                settle(state);
            }
            Answer::Failed(reason) => {
                if ack.status == Some(StatusCode::NO_RESPONDERS) {
                    // No stream takes the subject: deleted by an
                    // operator, or a server that lost its storage. Made
                    // again with the defaults.
                    let js = self.js.clone();
                    tokio::spawn(async move {
                        let _ = super::streams::ensure(&js).await;
                    });
                }
                failed(id, state, &mut self.retrying, &reason);
            }
        }
        self.pump(id).await;
    }

    /// Gives up on acks past their deadline and sends again what is due.
    async fn on_tick(&mut self) {
        let now = Instant::now();
        while let Some(&(deadline, id, attempt)) = self.deadlines.front() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_front();
            if let Some(state) = self.subjects.get_mut(id) {
                if state.in_flight == Some(attempt) {
                    state.in_flight = None;
                    failed(
                        id,
                        state,
                        &mut self.retrying,
                        "no ack from JetStream in time",
                    );
                }
            }
        }
        let mut due = Vec::new();
        self.retrying.retain(|&id| {
            let Some(state) = self.subjects.get_mut(id) else {
                return false;
            };
            match state.retry_at {
                Some(at) if at <= now => {
                    state.retry_at = None;
                    due.push(id);
                    false
                }
                Some(_) => true,
                None => false,
            }
        });
        for id in due {
            self.pump(id).await;
        }
    }
}

/// The front message is done with (stored, a duplicate, or skipped).
fn settle(state: &mut SubjectState) {
    if state.waiting.pop_front().is_some() {
        state.shared.held.fetch_sub(1, Relaxed);
        take(&state.counters.queued, 1);
    }
}

/// The front message failed: counted, logged once per stretch, and sent
/// again after a delay that doubles up to a second.
fn failed(id: SubjectId, state: &mut SubjectState, retrying: &mut Vec<SubjectId>, reason: &str) {
    add(&state.counters.publish_errors, 1);
    if !state.failing {
        tracing::warn!(subject = %state.subject, error = reason, "publish to NATS failed; retrying");
        state.failing = true;
    }
    if state.retry_at.is_none() {
        state.retry_at = Some(Instant::now() + state.delay);
        state.delay = (state.delay * 2).min(Duration::from_secs(1));
        retrying.push(id);
    }
}

/// Keeps `snapshot`, the book as of stream sequence `seq`, as the
/// subject's latest snapshot for late consumers. Not awaited: a lost one
/// is replaced by the next checkpoint.
async fn keep(client: &async_nats::Client, state: &SubjectState, snapshot: Bytes, seq: u64) {
    let mut headers = state.snapshot_headers.clone();
    headers.insert(SEQ_HEADER, seq.to_string().as_str());
    let _ = client
        .publish_with_headers(state.snapshot_subject.clone(), headers, snapshot)
        .await;
}

/// The subject and attempt an ack answers, from its subject
/// `<inbox>.<subject index>.<attempt>`; `None` for anything else.
fn ack_target(inbox: &str, subject: &str) -> Option<(SubjectId, u32)> {
    let mut tail = subject.strip_prefix(inbox)?.strip_prefix('.')?.split('.');
    let id = tail.next()?.parse().ok()?;
    let attempt = tail.next()?.parse().ok()?;
    tail.next().is_none().then_some((id, attempt))
}

/// What JetStream answered.
fn answer(ack: &async_nats::Message) -> Answer {
    if let Some(status) = ack.status {
        if status != StatusCode::OK {
            return Answer::Failed(format!(
                "status {status}{}",
                ack.description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ));
        }
    }
    match serde_json::from_slice::<PubAck>(&ack.payload) {
        Ok(PubAck {
            error: Some(error), ..
        }) if error.err_code == WRONG_LAST_SEQUENCE => Answer::Conflict,
        Ok(PubAck {
            error: Some(error), ..
        }) => Answer::Failed(error.description),
        Ok(PubAck {
            seq: Some(seq),
            duplicate,
            ..
        }) => Answer::Stored { seq, duplicate },
        Ok(_) => Answer::Failed("an ack without a sequence".to_owned()),
        Err(e) => Answer::Failed(format!("an ack that does not parse: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(payload: &str, status: Option<StatusCode>) -> async_nats::Message {
        async_nats::Message {
            subject: Subject::from("_INBOX.x.3.7"),
            reply: None,
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            headers: None,
            status,
            description: None,
            length: payload.len(),
        }
    }

    fn shown(answer: Answer) -> String {
        match answer {
            Answer::Stored { seq, duplicate } => format!("stored {seq} {duplicate}"),
            Answer::Conflict => "conflict".to_owned(),
            Answer::Failed(reason) => format!("failed: {reason}"),
        }
    }

    #[test]
    fn acks_are_read_as_jetstream_writes_them() {
        let read = |payload: &str| shown(answer(&ack(payload, None)));
        assert_eq!(read(r#"{"stream":"KRAKI","seq":42}"#), "stored 42 false");
        assert_eq!(
            read(r#"{"stream":"KRAKI","seq":42,"duplicate":true}"#),
            "stored 42 true"
        );
        assert_eq!(
            read(
                r#"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 5"},"stream":"KRAKI","seq":0}"#
            ),
            "conflict"
        );
        assert_eq!(
            read(
                r#"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}"#
            ),
            "failed: maximum messages exceeded"
        );
        assert_eq!(
            read(r#"{"stream":"KRAKI"}"#),
            "failed: an ack without a sequence"
        );
        assert!(
            read("not json").starts_with("failed: an ack that does not parse: "),
            "{}",
            read("not json")
        );
        assert_eq!(
            shown(answer(&ack("", Some(StatusCode::NO_RESPONDERS)))),
            "failed: status 503"
        );
    }

    #[test]
    fn only_an_inbox_subject_with_two_numbers_names_an_attempt() {
        assert_eq!(ack_target("_INBOX.x", "_INBOX.x.3.7"), Some((3, 7)));
        for other in [
            "_INBOX.x",
            "_INBOX.x.3",
            "_INBOX.x.3.7.1",
            "_INBOX.x.a.7",
            "_INBOX.x.3.-1",
            "_INBOX.x.3.99999999999",
            "_INBOX.xy.3.7",
            "_INBOX.y.3.7",
            "",
        ] {
            assert_eq!(ack_target("_INBOX.x", other), None, "{other}");
        }
    }
}
