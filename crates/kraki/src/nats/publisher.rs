//! The relay's publishing task: every subject's messages, in order, into
//! JetStream over a NATS connection of its own, retrying while NATS is away.
//!
//! Each message is a plain publish with a reply subject under one inbox,
//! `<inbox>.<subject index>.<attempt>`, read by one subscription; the ack
//! is matched to its subject by that suffix. A request through
//! async-nats's JetStream context would make an inbox, a oneshot, a
//! semaphore permit and a timer for every message, and each subject's
//! task would sleep and wake around it: at 15,000 messages a second that
//! was a quarter of the relay's CPU.
//!
//! The publishes go over the publisher's own NATS connection
//! (`connection.rs`; the protocol in `wire.rs`), owned by this task: each
//! wake-up takes every ack readable and every message queued, formats
//! the publishes straight into one buffer (headers and reply subject
//! included, nothing allocated per message) and writes it with one
//! system call; acks are parsed in place from the read buffer. Through
//! async-nats, each publish built a header map, a subject and a command
//! and crossed a channel to its connection task, and each ack became a
//! message of its own. async-nats keeps JetStream's management calls
//! (`streams.rs`).
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

use super::buffer_budget::BufferBudget;
use super::connection::{Connection, Endpoint, LinkError};
use super::counters::{BEHIND, ChannelCounters, RelayCounters, add, take};
use super::msg_id::MsgId;
use super::names::SEQ_HEADER;
use super::wire::{self, Digits, Frame, PublishStart, WireError};
use bytes::Bytes;
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

/// The status NATS answers for a subject no stream takes.
const NO_RESPONDERS: u16 = 503;

/// Room left for a message's headers (an id, a sequence, three short
/// snapshot headers) under the server's limit.
const HEADERS_MARGIN: usize = 1024;

/// The sid of the one subscription: every ack.
const ACK_SID: u64 = 1;

/// PINGs that may go unanswered before the connection counts as dead (a
/// server gone without closing the socket); one is sent every
/// [`RelayConfig::ping_interval`](super::RelayConfig::ping_interval).
const PINGS_UNANSWERED: u32 = 2;
const MIN_PING_EVERY: Duration = Duration::from_millis(100);

/// Messages taken from the queue per wake-up at most, so acks are read
/// between batches.
const BATCH: usize = 1024;

/// What a feeder queues for its publisher.
pub(crate) enum Outgoing {
    /// A message for the data stream.
    Item {
        payload: Bytes,
        /// Its `Nats-Msg-Id`.
        id: MsgId,
        kind: ItemKind,
    },
    /// The feeder's book as it stands after every item queued before
    /// this one: kept on the snapshot subject for late consumers.
    Checkpoint(Bytes),
}

impl Outgoing {
    fn is_checkpoint(&self) -> bool {
        matches!(self, Outgoing::Checkpoint(_))
    }

    /// The memory it takes while queued, about: its bytes and its place
    /// in the queues.
    pub(crate) fn size(&self) -> u64 {
        let bytes = match self {
            Outgoing::Item { payload, id, .. } => payload.len() + id.as_bytes().len(),
            Outgoing::Checkpoint(payload) => payload.len(),
        };
        (bytes + std::mem::size_of::<Queued>()) as u64
    }
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

/// What the feeders and the publisher share, one slot per subject, side
/// by side: the publisher touches a subject's slot at every ack, and
/// with one allocation per subject, among hundreds, each touch was a
/// cache miss.
#[derive(Debug)]
pub(crate) struct SharedTable {
    /// Messages queued or in flight, bounded by the relay's buffer.
    held: Box<[AtomicUsize]>,
    /// JetStream refused an update (another relay's message came first):
    /// the feeder's next message must be a snapshot of its book.
    wants_snapshot: Box<[AtomicBool]>,
    /// The bytes held, over all subjects, against the relay's bound.
    budget: BufferBudget,
}

impl SharedTable {
    /// A slot for each of `subjects` subjects: nothing held, no snapshot
    /// wanted.
    pub(crate) fn new(subjects: usize, budget: BufferBudget) -> Arc<Self> {
        Arc::new(SharedTable {
            held: (0..subjects).map(|_| AtomicUsize::new(0)).collect(),
            wants_snapshot: (0..subjects).map(|_| AtomicBool::new(false)).collect(),
            budget,
        })
    }
}

/// One subject's slot of the [`SharedTable`].
#[derive(Debug, Clone)]
pub(crate) struct SubjectShared {
    table: Arc<SharedTable>,
    subject: SubjectId,
}

impl SubjectShared {
    /// The slot of `subject`, which must be below the table's size.
    pub(crate) fn new(table: &Arc<SharedTable>, subject: SubjectId) -> Self {
        debug_assert!(subject < table.held.len());
        SubjectShared {
            table: Arc::clone(table),
            subject,
        }
    }

    /// Messages queued or in flight.
    pub(crate) fn held(&self) -> &AtomicUsize {
        &self.table.held[self.subject]
    }

    /// Set when the feeder's next message must be a snapshot.
    pub(crate) fn wants_snapshot(&self) -> &AtomicBool {
        &self.table.wants_snapshot[self.subject]
    }

    /// The relay's bound on the bytes all subjects hold.
    pub(crate) fn budget(&self) -> &BufferBudget {
        &self.table.budget
    }
}

/// A subject as the relay set it up.
pub(crate) struct SubjectSpec {
    pub(crate) subject: String,
    pub(crate) snapshot_subject: String,
    /// Precision and depth, sent with book snapshots.
    pub(crate) snapshot_headers: Vec<(&'static str, String)>,
    pub(crate) counters: Arc<ChannelCounters>,
    pub(crate) shared: SubjectShared,
    /// The newest trade already stored on the subject. Message ids alone
    /// do not do: a trade snapshot repeats trades older than JetStream's
    /// duplicate window when a relay restarts after it.
    pub(crate) newest_trade: Option<u64>,
}

/// A subject's publishing state.
struct SubjectState {
    subject: String,
    /// `HPUB`, the subject and the reply subject up to the attempt
    /// number, or why the subject cannot be published to.
    start: Result<PublishStart, WireError>,
    snapshot_subject: String,
    snapshot_headers: Vec<(&'static str, String)>,
    counters: Arc<ChannelCounters>,
    shared: SubjectShared,
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

/// The publishing task: the subjects' state, and the bytes for NATS
/// gathered over one wake-up.
pub(crate) struct Publisher {
    endpoint: Endpoint,
    /// For making the streams again when NATS lost them (the publishes
    /// themselves go over the publisher's own connection).
    js: async_nats::jetstream::Context,
    relay_counters: RelayCounters,
    inbox: String,
    subjects: Vec<SubjectState>,
    /// Ack deadlines in the order sent: (deadline, subject, attempt).
    deadlines: VecDeque<(Instant, SubjectId, u32)>,
    /// Subjects waiting to send their front message again.
    retrying: Vec<SubjectId>,
    /// What goes to NATS at the end of this wake-up, in one write.
    out: Vec<u8>,
    /// Whether `out` reaches a server: while away, nothing is sent and
    /// messages wait in their subjects' queues.
    connected: bool,
    /// How often the server is asked for a PONG.
    ping_every: Duration,
    /// PINGs sent since the last PONG.
    pings: u32,
    pinged_at: Instant,
    /// The server's limit on a message's headers and payload.
    max_payload: usize,
    /// When the task woke: the arrival time of every ack read in this
    /// wake-up, one clock read for them all.
    now: Instant,
    /// The acks of one read, parsed: (subject, attempt, status, answer).
    acks: Vec<(SubjectId, u32, Option<u16>, Answer)>,
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

/// The name the publisher's connection gives the server (shown by
/// `nats server report connections`).
pub(crate) const CONNECTION_NAME: &str = "kraki relay";

impl Publisher {
    pub(crate) fn new(
        endpoint: Endpoint,
        js: async_nats::jetstream::Context,
        relay_counters: RelayCounters,
        specs: Vec<SubjectSpec>,
        ping_every: Duration,
    ) -> Self {
        let now = Instant::now();
        let inbox = new_inbox();
        let subjects = specs
            .into_iter()
            .enumerate()
            .map(|(id, s)| SubjectState {
                start: PublishStart::new(
                    s.subject.as_bytes(),
                    &[
                        inbox.as_bytes(),
                        b".",
                        Digits::new(id as u64).as_bytes(),
                        b".",
                    ],
                ),
                subject: s.subject,
                snapshot_subject: s.snapshot_subject,
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
            endpoint,
            js,
            relay_counters,
            inbox,
            subjects,
            deadlines: VecDeque::new(),
            retrying: Vec::new(),
            out: Vec::with_capacity(256 << 10),
            connected: false,
            // At every wake-up a shorter one would ask again before the
            // PONG could come back.
            ping_every: ping_every.max(MIN_PING_EVERY),
            pings: 0,
            pinged_at: now,
            max_payload: usize::MAX,
            now,
            acks: Vec::new(),
        }
    }

    /// Runs on `conn` until every feeder has gone and what they queued
    /// is stored (or, with NATS away, for at most a few seconds more);
    /// a lost connection is made again, with a delay doubling to a
    /// second.
    pub(crate) async fn run(
        mut self,
        conn: Connection,
        mut queue: mpsc::UnboundedReceiver<Queued>,
    ) {
        self.on_connected(&conn);
        let mut conn = Some(conn);
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(BATCH);
        let mut closed_at: Option<Instant> = None;
        let mut backoff = Duration::from_millis(50);
        let mut next_attempt = tokio::time::Instant::now();
        loop {
            match conn.as_mut() {
                Some(c) => {
                    if let Err(e) = self
                        .serve(c, &mut queue, &mut batch, &mut tick, &mut closed_at)
                        .await
                    {
                        self.lost(&e);
                        conn = None;
                        backoff = Duration::from_millis(50);
                        next_attempt = tokio::time::Instant::now() + backoff;
                    }
                }
                None => {
                    tokio::select! {
                        n = queue.recv_many(&mut batch, BATCH), if closed_at.is_none() => {
                            self.now = Instant::now();
                            self.take_queued(n, &mut batch, &mut closed_at);
                        }
                        () = tokio::time::sleep_until(next_attempt) => {
                            match Connection::open(&self.endpoint, CONNECTION_NAME).await {
                                Ok(c) => {
                                    self.relay_counters.nats_reconnected();
                                    self.relay_counters.publisher_back();
                                    tracing::warn!("NATS connection re-established (publisher)");
                                    self.on_connected(&c);
                                    conn = Some(c);
                                }
                                Err(e) => {
                                    tracing::debug!(error = %e, "NATS still away");
                                    backoff = (backoff * 2).min(Duration::from_secs(1));
                                    next_attempt = tokio::time::Instant::now() + backoff;
                                }
                            }
                        }
                    }
                }
            }
            if let Some(closed) = closed_at {
                let drained = self.subjects.iter().all(|s| s.waiting.is_empty());
                if drained || closed.elapsed() > Duration::from_secs(5) {
                    match conn.as_mut() {
                        // What was written is on its way; nothing more
                        // to wait for.
                        Some(c) => {
                            let _ = c.write(&mut self.out).await;
                        }
                        None => self.relay_counters.publisher_back(),
                    }
                    return;
                }
            }
        }
    }

    /// One wake-up on a live connection: whatever woke the task, then
    /// whatever else is ready without waiting (acks read, messages
    /// queued), then everything gathered written at once.
    async fn serve(
        &mut self,
        conn: &mut Connection,
        queue: &mut mpsc::UnboundedReceiver<Queued>,
        batch: &mut Vec<Queued>,
        tick: &mut tokio::time::Interval,
        closed_at: &mut Option<Instant>,
    ) -> Result<(), LinkError> {
        tokio::select! {
            // The tick first: due every 100 ms only, it never keeps the
            // others waiting, and a steady stream of acks and messages
            // cannot keep it (the ack deadlines, the retries, the PINGs)
            // waiting either.
            biased;
            _ = tick.tick() => {
                self.now = Instant::now();
                self.on_tick()?;
            }
            read = conn.read() => {
                read?;
                self.now = Instant::now();
                self.take_frames(conn)?;
            }
            n = queue.recv_many(batch, BATCH), if closed_at.is_none() => {
                self.now = Instant::now();
                self.take_queued(n, batch, closed_at);
            }
        }
        if conn.try_read()? {
            self.take_frames(conn)?;
        }
        if closed_at.is_none() {
            while let Ok(queued) = queue.try_recv() {
                batch.push(queued);
                if batch.len() == BATCH {
                    break;
                }
            }
            if !batch.is_empty() {
                let n = batch.len();
                self.take_queued(n, batch, closed_at);
            }
        }
        if !self.out.is_empty() {
            conn.write(&mut self.out).await?;
        }
        Ok(())
    }

    /// Every whole frame read: acks matched, PINGs answered.
    fn take_frames(&mut self, conn: &mut Connection) -> Result<(), LinkError> {
        let mut acks = std::mem::take(&mut self.acks);
        let read = conn.frames(|frame| {
            match frame {
                Frame::Msg(msg) if msg.sid == ACK_SID => {
                    if let Some((id, attempt)) = ack_target(&self.inbox, msg.subject) {
                        let status = msg.status();
                        acks.push((id, attempt, status, answer(status, msg.payload)));
                    }
                }
                Frame::Msg(_) | Frame::Info(_) | Frame::Ok => {}
                Frame::Ping => wire::pong(&mut self.out),
                Frame::Pong => self.pings = 0,
                // The server closes the connection after the fatal ones;
                // the others (a permission refused) are worth a line.
                Frame::Err(text) => {
                    tracing::warn!(error = %wire::printable(text), "NATS server error");
                }
            }
            true
        });
        // Each ack's subject state and front message are cold among
        // hundreds of subjects. Loading them all first lets the CPU wait
        // for those cache misses together; taken one ack after another,
        // they were most of the time spent on acks.
        for &(id, ..) in &acks {
            if let Some(state) = self.subjects.get(id) {
                std::hint::black_box((
                    state.in_flight,
                    state.waiting.front().map(Outgoing::is_checkpoint),
                ));
            }
        }
        for (id, attempt, status, answer) in acks.drain(..) {
            self.on_ack(id, attempt, status, answer);
        }
        self.acks = acks;
        read
    }

    /// Messages from the feeders into their subjects' queues; `n == 0`
    /// means every feeder has gone.
    fn take_queued(&mut self, n: usize, batch: &mut Vec<Queued>, closed_at: &mut Option<Instant>) {
        if n == 0 && batch.is_empty() {
            *closed_at = Some(Instant::now());
        }
        // As for acks: every subject's state loaded first, so that their
        // cache misses overlap.
        for queued in batch.iter() {
            if let Some(state) = self.subjects.get(queued.subject) {
                std::hint::black_box((state.in_flight, state.waiting.len()));
            }
        }
        for Queued { subject, out } in batch.drain(..) {
            let Some(state) = self.subjects.get_mut(subject) else {
                continue;
            };
            state.waiting.push_back(out);
            if state.waiting.len() == BEHIND + 1 {
                add(&state.counters.behind, 1);
            }
            if state.waiting.len() == 1 {
                self.pump(subject);
            }
        }
    }

    /// A fresh connection: the ack subscription, then every subject's
    /// front message (again, for those whose ack the lost connection
    /// took with it: the same `Nats-Msg-Id`, so JetStream stores it
    /// once).
    fn on_connected(&mut self, conn: &Connection) {
        self.connected = true;
        self.max_payload = conn.max_payload();
        self.pings = 0;
        self.now = Instant::now();
        self.pinged_at = self.now;
        self.out.clear();
        let acks = format!("{}.>", self.inbox);
        if let Err(e) = wire::sub(&mut self.out, &acks, ACK_SID) {
            tracing::error!(error = %e, "cannot subscribe to JetStream's acks");
        }
        for id in 0..self.subjects.len() {
            self.pump(id);
        }
    }

    /// The connection is gone: nothing is in flight any more, and what
    /// was gathered for it is dropped (the next connection starts with
    /// its own handshake).
    fn lost(&mut self, error: &LinkError) {
        tracing::warn!(error = %error, "NATS connection lost; reconnecting (messages wait in the buffer)");
        self.connected = false;
        self.relay_counters.publisher_away();
        self.out.clear();
        for state in &mut self.subjects {
            // Its ack will never come: a failed attempt, sent again on
            // the next connection.
            if state.in_flight.take().is_some() {
                add(&state.counters.publish_errors, 1);
            }
        }
    }

    /// Sends the subject's front message, unless one is in flight or
    /// waits for a retry; what needs no sending is settled on the way.
    fn pump(&mut self, id: SubjectId) {
        if !self.connected {
            return;
        }
        let Some(state) = self.subjects.get_mut(id) else {
            return;
        };
        if state.in_flight.is_some() || state.retry_at.is_some() {
            return;
        }
        while let Some(front) = state.waiting.front() {
            let kind = match front {
                Outgoing::Checkpoint(payload) => {
                    if let Some(seq) = state.last {
                        keep(&mut self.out, self.max_payload, state, payload, seq);
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
                // Counted as stored only once acked: a trade whose ack
                // was lost, or whose connection went, is sent again.
                ItemKind::Trade(_) => None,
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
            // The server would refuse it by closing the connection, and
            // the next connection would send it again: counted and
            // skipped. Our headers stay far below the margin.
            if payload.len().saturating_add(HEADERS_MARGIN) > self.max_payload {
                add(&state.counters.publish_errors, 1);
                tracing::error!(
                    subject = %state.subject,
                    bytes = payload.len(),
                    max = self.max_payload,
                    "message larger than the NATS server takes; skipped"
                );
                settle(state);
                continue;
            }
            state.attempts = state.attempts.wrapping_add(1);
            let attempt = state.attempts;
            let mut more: [(&[u8], &[u8]); 3] = [(b"", b""); 3];
            let mut count = 0;
            if kind == ItemKind::BookSnapshot {
                for (name, value) in state.snapshot_headers.iter().take(more.len()) {
                    more[count] = (name.as_bytes(), value.as_bytes());
                    count += 1;
                }
            }
            let written = state
                .start
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|start| {
                    wire::jetstream_hpub(
                        &mut self.out,
                        start,
                        attempt,
                        msg_id.as_bytes(),
                        expected,
                        &more[..count],
                        payload,
                    )
                });
            if let Err(e) = written {
                // A subject or id that breaks the frame would never go
                // out: counted and skipped, not retried.
                add(&state.counters.publish_errors, 1);
                tracing::error!(subject = %state.subject, error = %e, "message not publishable; skipped");
                settle(state);
                continue;
            }
            // Read at the publish itself, not at the wake-up: the ack
            // deadline counts from here.
            let now = Instant::now();
            state.in_flight = Some(attempt);
            state.sent_at = now;
            self.deadlines.push_back((now + ACK_WAIT, id, attempt));
            return;
        }
    }

    /// An ack (or a failure) from JetStream for a subject's attempt, with
    /// the header block's status.
    fn on_ack(&mut self, id: SubjectId, attempt: u32, status: Option<u16>, answer: Answer) {
        let Some(state) = self.subjects.get_mut(id) else {
            return;
        };
        if state.in_flight != Some(attempt) {
            // The answer to an attempt already given up on.
            return;
        }
        state.in_flight = None;
        match answer {
            Answer::Stored { seq, duplicate } => {
                let waited = self.now.saturating_duration_since(state.sent_at);
                let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
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
                    if let ItemKind::Trade(trade_id) = *kind {
                        state.newest_trade = state.newest_trade.max(Some(trade_id));
                    }
                    if *kind == ItemKind::BookSnapshot && !duplicate {
                        keep(&mut self.out, self.max_payload, state, payload, seq);
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
                state.shared.wants_snapshot().store(true, Relaxed);
                settle(state);
            }
            Answer::Failed(reason) => {
                if status == Some(NO_RESPONDERS) {
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
        self.pump(id);
    }

    /// Gives up on acks past their deadline, sends again what is due,
    /// and checks the server still answers.
    fn on_tick(&mut self) -> Result<(), LinkError> {
        let now = self.now;
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
            self.pump(id);
        }
        if self.connected && now.duration_since(self.pinged_at) >= self.ping_every {
            if self.pings >= PINGS_UNANSWERED {
                return Err(LinkError::Timeout(self.ping_every * PINGS_UNANSWERED));
            }
            wire::ping(&mut self.out);
            self.pings += 1;
            self.pinged_at = now;
        }
        Ok(())
    }
}

/// The front message is done with (stored, a duplicate, or skipped).
fn settle(state: &mut SubjectState) {
    if let Some(out) = state.waiting.pop_front() {
        state.shared.held().fetch_sub(1, Relaxed);
        state.shared.budget().give_back(out.size());
        take(&state.counters.queued, 1);
        if state.waiting.len() == BEHIND {
            take(&state.counters.behind, 1);
        }
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
/// subject's latest snapshot for late consumers. No ack asked: a lost
/// one is replaced by the next checkpoint.
fn keep(out: &mut Vec<u8>, max_payload: usize, state: &SubjectState, snapshot: &[u8], seq: u64) {
    if snapshot.len().saturating_add(HEADERS_MARGIN) > max_payload {
        // Its snapshot message was skipped for the same reason, and
        // logged then.
        return;
    }
    let seq = Digits::new(seq);
    let mut headers: [(&[u8], &[u8]); 4] = [(b"", b""); 4];
    headers[0] = (SEQ_HEADER.as_bytes(), seq.as_bytes());
    let mut count = 1;
    for (name, value) in state.snapshot_headers.iter().take(headers.len() - 1) {
        headers[count] = (name.as_bytes(), value.as_bytes());
        count += 1;
    }
    if let Err(e) = wire::hpub(
        out,
        state.snapshot_subject.as_bytes(),
        &[],
        &headers[..count],
        snapshot,
    ) {
        tracing::error!(subject = %state.snapshot_subject, error = %e, "snapshot not publishable");
    }
}

/// A fresh inbox for this publisher's acks: another relay on the same
/// server must not read them. Random enough from the process's hash
/// seed (std seeds it from the OS), the time and the process id.
fn new_inbox() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let word = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("_INBOX.{:016x}{:016x}", word(1), word(2))
}

/// The subject and attempt an ack answers, from its subject
/// `<inbox>.<subject index>.<attempt>`; `None` for anything else.
/// Read as bytes, one per published message: no UTF-8 check, no
/// string parsing.
fn ack_target(inbox: &str, subject: &[u8]) -> Option<(SubjectId, u32)> {
    let tail = subject.strip_prefix(inbox.as_bytes())?.strip_prefix(b".")?;
    let dot = tail.iter().position(|&b| b == b'.')?;
    let id = wire::number(&tail[..dot])?;
    let attempt = wire::number(&tail[dot + 1..])?;
    Some((id.try_into().ok()?, attempt.try_into().ok()?))
}

/// What JetStream answered: a status other than 200 in the header block
/// (503: no stream takes the subject), or the JSON of a `PubAck`.
fn answer(status: Option<u16>, payload: &[u8]) -> Answer {
    if let Some(status) = status.filter(|&s| s != 200) {
        return Answer::Failed(format!("status {status}"));
    }
    if let Some((seq, duplicate)) = plain_ack(payload) {
        return Answer::Stored { seq, duplicate };
    }
    match serde_json::from_slice::<PubAck>(payload) {
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

/// JetStream's usual ack, `{"stream":"KRAKI","seq":42}`, with
/// `,"duplicate":true` for a repeat, read without a JSON parser: one per
/// published message. Servers differ in the white space they put between
/// the members (2.9 writes `{"stream":"KRAKI", "seq":42,"duplicate": true}`),
/// so any is taken. Anything else (an error, a domain, another order)
/// returns `None`, for `serde_json` to read.
fn plain_ack(payload: &[u8]) -> Option<(u64, bool)> {
    // Our stream's acks as the servers seen write them (2.9 with the
    // space) are taken in one comparison; any other spelling, or
    // another stream taking our subjects, token by token.
    for start in [
        &br#"{"stream":"KRAKI", "seq":"#[..],
        br#"{"stream":"KRAKI","seq":"#,
    ] {
        if let Some(rest) = payload.strip_prefix(start) {
            return seq_to_end(rest);
        }
    }
    let rest = token(payload, b"{")?;
    let rest = token(rest, b"\"stream\"")?;
    let rest = token(rest, b":")?;
    let stream = token(rest, b"\"")?;
    let end = stream.iter().position(|&b| b == b'"' || b == b'\\')?;
    let rest = token(&stream[end..], b"\"")?;
    let rest = token(rest, b",")?;
    let rest = token(rest, b"\"seq\"")?;
    seq_to_end(token(rest, b":")?)
}

/// The rest of a usual ack from the sequence's digits on.
fn seq_to_end(rest: &[u8]) -> Option<(u64, bool)> {
    let rest = rest.trim_ascii_start();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let seq = rest[..digits]
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    let rest = &rest[digits..];
    if let Some(rest) = token(rest, b"}") {
        return rest.trim_ascii().is_empty().then_some((seq, false));
    }
    let rest = token(rest, b",")?;
    let rest = token(rest, b"\"duplicate\"")?;
    let rest = token(rest, b":")?;
    let rest = token(rest, b"true")?;
    let rest = token(rest, b"}")?;
    rest.trim_ascii().is_empty().then_some((seq, true))
}

/// `text` past any white space and then `expected`; `None` when
/// something else comes first.
fn token<'a>(text: &'a [u8], expected: &[u8]) -> Option<&'a [u8]> {
    text.trim_ascii_start().strip_prefix(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(answer: Answer) -> String {
        match answer {
            Answer::Stored { seq, duplicate } => format!("stored {seq} {duplicate}"),
            Answer::Conflict => "conflict".to_owned(),
            Answer::Failed(reason) => format!("failed: {reason}"),
        }
    }

    #[test]
    fn acks_are_read_as_jetstream_writes_them() {
        let read = |payload: &str| shown(answer(None, payload.as_bytes()));
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
            shown(answer(Some(NO_RESPONDERS), b"")),
            "failed: status 503"
        );
        assert_eq!(
            shown(answer(Some(200), br#"{"stream":"KRAKI","seq":1}"#)),
            "stored 1 false"
        );
    }

    #[test]
    fn the_usual_acks_are_read_without_a_parser_and_the_rest_by_serde() {
        assert_eq!(
            plain_ack(br#"{"stream":"KRAKI","seq":42}"#),
            Some((42, false))
        );
        assert_eq!(
            plain_ack(br#"{"stream":"KRAKI","seq":42,"duplicate":true}"#),
            Some((42, true))
        );
        // As nats-server 2.9 writes them.
        assert_eq!(
            plain_ack(br#"{"stream":"KRAKI", "seq":42}"#),
            Some((42, false))
        );
        assert_eq!(
            plain_ack(br#"{"stream":"KRAKI", "seq":42,"duplicate": true}"#),
            Some((42, true))
        );
        // Other spacing, another stream taking our subjects: token by
        // token.
        assert_eq!(
            plain_ack(br#" { "stream" : "MARKET" , "seq" : 7 } "#),
            Some((7, false))
        );
        for other in [
            &br#"{"stream":"KRAKI","domain":"hub","seq":42}"#[..],
            br#"{"stream":"KRAKI","seq":42,"duplicate":false}"#,
            br#"{"stream":"K\"RAKI","seq":42}"#,
            br#"{"stream":"KRAKI","seq":}"#,
            br#"{"stream":"KRAKI","seq":99999999999999999999}"#,
            br#"{"stream":"KRAKI","seq":42"#,
            br#"{"error":{"code":400,"err_code":10071},"stream":"KRAKI","seq":0}"#,
            b"",
        ] {
            assert_eq!(plain_ack(other), None, "{}", other.escape_ascii());
        }
        // Read by serde instead, to the same answer.
        assert_eq!(
            shown(answer(
                None,
                br#"{"stream":"KRAKI","domain":"hub","seq":42}"#
            )),
            "stored 42 false"
        );
    }

    #[test]
    fn only_an_inbox_subject_with_two_numbers_names_an_attempt() {
        assert_eq!(ack_target("_INBOX.x", b"_INBOX.x.3.7"), Some((3, 7)));
        for other in [
            "_INBOX.x",
            "_INBOX.x.3",
            "_INBOX.x.3.7.1",
            "_INBOX.x.a.7",
            "_INBOX.x.3.-1",
            "_INBOX.x.3.99999999999",
            "_INBOX.x.+3.7",
            "_INBOX.x..7",
            "_INBOX.xy.3.7",
            "_INBOX.y.3.7",
            "",
        ] {
            assert_eq!(ack_target("_INBOX.x", other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn inboxes_differ_and_are_one_token() {
        let (a, b) = (new_inbox(), new_inbox());
        assert_ne!(a, b);
        assert!(
            a.starts_with("_INBOX.")
                && a.len() == 39
                && a[7..].bytes().all(|b| b.is_ascii_hexdigit()),
            "{a}"
        );
    }
}
