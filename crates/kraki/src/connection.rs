//! The connection core: one WebSocket connection's state, without IO and
//! without a clock.
//!
//! The driver ([`crate::driver`]) tells it what happened, with the time it
//! happened: a text frame (`handle_text`), a command from a handle
//! (`handle_command`), a deadline passed (`handle_timeout`), a socket
//! opened or lost (`handle_connected`, `handle_disconnect`), a token
//! fetched (`handle_token`). It answers through what the driver polls:
//! requests to send (`poll_transmit`), the next deadline
//! (`poll_timeout`), and what needs the driver (`poll_event`: a fresh
//! token, a connection to replace). Every transition is a plain function
//! call, so each is tested with made-up time (`connection/tests.rs`).
//!
//! Subscribers' sinks are fed here, synchronously: a frame is decoded (or
//! applied in place) and handed to every subscriber without a task hop.

use crate::backoff::{Backoff, Pacing};
use crate::command::{Command, SubId};
use crate::decoded_readers::DecodedReaders;
use crate::error::{Error, Rejection};
use crate::fast_hash::WordMap;
use crate::pending::{PendingCall, PendingOp};
use crate::settings::Settings;
use crate::sink::{Control, Deliver, Delivered};
use crate::snapshot_share::{self, Share, View};
use crate::wire::{Wire, WireState};
use crate::wire_table::{WireKey, WireTable};
use kraki_proto::book::{FastFrame, FrameParser};
use kraki_proto::channels::Status;
use kraki_proto::{
    Channel, ChannelMessage, Inbound, MessageType, Method, ReqId, Request, Response,
    SubscribeParams, Token, decode,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

/// How Kraken starts `book` and `level3` frames: only such frames are
/// tried in place (others, and book frames written otherwise, are
/// decoded).
const BOOK_FRAME_START: &str = r#"{"channel":"book","#;
const LEVEL3_FRAME_START: &str = r#"{"channel":"level3","#;

/// A request to send, encoded.
#[derive(Debug)]
pub(crate) struct Transmit {
    pub(crate) text: String,
    /// One of several subscribes sent at once (after a reconnect): the
    /// driver spaces them to stay under Kraken's message rate.
    pub(crate) paced: bool,
}

/// What the core needs the driver for, besides sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConnectionEvent {
    /// Kraken refused a stale token: fetch a fresh one and hand it to
    /// [`Connection::handle_token`].
    TokenNeeded,
    /// The connection is broken: close it, tell
    /// [`Connection::handle_disconnect`], reconnect.
    Lost(LostReason),
}

/// Why the core gave a connection up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LostReason {
    /// A request got nothing back, not even another frame, in time.
    NoAnswer { waited: Duration },
    /// Subscribed, and no data or heartbeat for the idle timeout.
    Idle { waited: Duration },
    /// Acked but silent, subscribed again, and silent again.
    Silent {
        channel: String,
        symbol: Option<String>,
    },
    /// Subscribed twice without an ack.
    Unacked {
        channel: String,
        symbol: Option<String>,
    },
    /// A request could not be encoded.
    Unencodable(String),
}

impl std::fmt::Display for LostReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LostReason::NoAnswer { waited } => {
                write!(
                    f,
                    "no answer and nothing else for {waited:?} after a request"
                )
            }
            LostReason::Idle { waited } => write!(f, "no data or heartbeat for {waited:?}"),
            LostReason::Silent { channel, symbol } => write!(
                f,
                "{channel} {} acknowledged but silent after a resubscribe",
                symbol.as_deref().unwrap_or("")
            ),
            LostReason::Unacked { channel, symbol } => write!(
                f,
                "no ack for {channel} {} after subscribing twice",
                symbol.as_deref().unwrap_or("")
            ),
            LostReason::Unencodable(e) => write!(f, "a request could not be encoded: {e}"),
        }
    }
}

/// The deadlines of a connection, by what they watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Nothing sent for the ping interval: time to ping.
    Ping,
    /// Subscribed, and nothing heard for the idle timeout.
    Idle,
    /// A subscribe call or a trading request waits for its answer.
    Request,
    /// A wire subscription waits for its ack or its snapshot.
    Subscription,
}

struct Local {
    keys: Vec<WireKey>,
    sink: Box<dyn Deliver>,
    /// What it takes from snapshots, by its own params.
    view: View,
    /// Told `Reconnecting` and not yet `Reconnected`.
    reconnecting: bool,
}

/// A request refused for a stale token, sent again once a fresh token is
/// in.
struct ParkedCall {
    call: PendingCall,
    request: Method,
}

/// What `expire_ops` gave up on.
struct Expired {
    /// When the latest of the expired requests was sent, if any.
    latest_sent: Option<Instant>,
    /// Wire subscriptions given up while pending, to unsubscribe.
    unsubscribe: Vec<SubscribeParams>,
}

pub(crate) struct Connection {
    /// For messages only.
    url: String,
    settings: Settings,
    /// Whether connections carry a token (authenticated endpoint).
    authenticated: bool,
    token: Option<Token>,
    /// Counts tokens received, so that several requests refused for the
    /// same stale token lead to one refresh.
    token_generation: u64,
    /// A [`ConnectionEvent::TokenNeeded`] is out and not yet answered.
    awaiting_token: bool,
    parked: Vec<ParkedCall>,
    calls: Vec<PendingCall>,
    /// Last `sequence` seen per private channel on this connection.
    sequences: HashMap<&'static str, u64>,
    status: watch::Sender<Option<Status>>,
    wire: WireTable<Wire>,
    locals: WordMap<SubId, Local>,
    /// Handlers registered with `Client::on`; they see every message.
    handlers: Vec<Box<dyn Deliver>>,
    ops: Vec<PendingOp>,
    /// Subscribers that asked for a fresh snapshot while a message was
    /// routed; served once it has been.
    wants_snapshot: Vec<SubId>,
    /// Parses book and level3 frames for [`Self::in_place`].
    frames: FrameParser,
    /// Subscribers and handlers that read book or level3 messages decoded.
    decoded_readers: DecodedReaders,
    next_req_id: u64,
    next_sub_id: u64,
    backoff: Backoff,
    connected: bool,
    /// A `Lost` event is out: nothing more happens on this connection.
    lost: bool,
    closed: bool,
    /// Data or a heartbeat last arrived (the idle watchdog).
    alive_at: Instant,
    /// Any frame at all last arrived, pongs included: proof the socket
    /// still carries answers, for requests that went unanswered.
    heard_at: Instant,
    /// Something was last sent (the ping timer).
    last_sent: Instant,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ConnectionEvent>,
    /// A deadline may have moved earlier since the driver last asked.
    timer_moved: bool,
}

impl Connection {
    pub(crate) fn new(
        url: String,
        settings: Settings,
        authenticated: bool,
        status: watch::Sender<Option<Status>>,
        now: Instant,
    ) -> Self {
        let backoff = Backoff::new(Pacing {
            initial: settings.backoff_initial,
            max: settings.backoff_max,
            healthy_after: settings.healthy_after,
            window: settings.attempt_window,
            max_in_window: settings.max_attempts_in_window,
        });
        Connection {
            url,
            settings,
            authenticated,
            token: None,
            token_generation: 0,
            awaiting_token: false,
            parked: Vec::new(),
            calls: Vec::new(),
            sequences: HashMap::new(),
            status,
            wire: WireTable::default(),
            locals: WordMap::default(),
            handlers: Vec::new(),
            ops: Vec::new(),
            wants_snapshot: Vec::new(),
            frames: FrameParser::new(),
            decoded_readers: DecodedReaders::default(),
            next_req_id: 1,
            next_sub_id: 1,
            backoff,
            connected: false,
            lost: false,
            closed: false,
            alive_at: now,
            heard_at: now,
            last_sent: now,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            timer_moved: true,
        }
    }

    // What the driver polls.

    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub(crate) fn poll_event(&mut self) -> Option<ConnectionEvent> {
        self.events.pop_front()
    }

    /// Whether a transmit or an event waits: one check per frame on the
    /// hot path.
    pub(crate) fn has_output(&self) -> bool {
        !self.transmits.is_empty() || !self.events.is_empty()
    }

    /// The earliest deadline, while connected.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(at, _)| at)
    }

    /// Whether a deadline may have moved earlier since the last call: the
    /// driver re-arms its timer only then, not per data frame (a deadline
    /// that moved later just wakes the timer early once).
    pub(crate) fn timer_moved(&mut self) -> bool {
        std::mem::take(&mut self.timer_moved)
    }

    /// The earliest deadline and the timer it belongs to.
    pub(crate) fn next_timer(&self) -> Option<(Instant, Timer)> {
        if !self.connected || self.lost {
            return None;
        }
        let requests = self
            .ops
            .iter()
            .map(|o| o.deadline)
            .chain(self.calls.iter().map(|c| c.deadline))
            .min()
            .map(|at| (at, Timer::Request));
        let subscriptions = self
            .wire
            .values()
            .filter_map(Wire::deadline)
            .min()
            .map(|at| (at, Timer::Subscription));
        let idle = self
            .has_subscriptions()
            .then(|| (self.alive_at + self.settings.idle_timeout, Timer::Idle));
        let ping = (self.last_sent + self.settings.ping_interval, Timer::Ping);
        [Some(ping), requests, subscriptions, idle]
            .into_iter()
            .flatten()
            .min_by_key(|(at, _)| *at)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    // Connecting.

    /// When the next connection attempt may start.
    pub(crate) fn next_attempt(&mut self, now: Instant) -> Instant {
        self.backoff.next_attempt(now)
    }

    /// An attempt to connect failed with `cause`. Returns whether the
    /// configured attempts in a row have now come to nothing; the
    /// subscribes waiting for a connection are failed then.
    pub(crate) fn handle_connect_failed(&mut self, cause: &str) -> bool {
        self.backoff.failed();
        self.fail_waiting_if_exhausted(cause);
        self.backoff.exhausted(self.settings.connect_attempts)
    }

    /// The error for a client that never got a healthy connection in the
    /// configured attempts.
    pub(crate) fn connect_error(&self, last: String) -> Error {
        Error::Connect {
            url: self.url.clone(),
            attempts: self.settings.connect_attempts.max(1),
            last,
        }
    }

    /// A socket is open (with `token`, on the authenticated endpoint):
    /// everything waiting is subscribed.
    pub(crate) fn handle_connected(&mut self, now: Instant, token: Option<Token>) {
        self.backoff.opened();
        if let Some(token) = token {
            self.token = Some(token);
            self.token_generation += 1;
        }
        self.connected = true;
        self.lost = false;
        self.alive_at = now;
        self.heard_at = now;
        self.last_sent = now;
        self.timer_moved = true;
        self.send_unsent(now);
    }

    /// The socket is gone, for `reason`: answers what can no longer be
    /// answered, tells every stream, and marks every wire subscription
    /// for the next connection.
    pub(crate) fn handle_disconnect(&mut self, now: Instant, reason: &str) {
        let proving = self.backoff.is_proving();
        self.backoff.lost(now);
        self.connected = false;
        self.lost = false;
        self.awaiting_token = false;
        self.transmits.clear();
        self.events.clear();
        for call in self.calls.drain(..) {
            call.outcome_unknown("the connection was lost before the answer".to_owned());
        }
        // Refused for a stale token: certainly not executed.
        for parked in self.parked.drain(..) {
            let _ = parked.call.reply.send(Ok(parked.call.responses));
        }
        // Sequence numbers are per connection.
        self.sequences.clear();
        for wire in self.wire.values_mut() {
            wire.connection_lost();
        }
        for local in self.locals.values_mut() {
            if !local.reconnecting {
                local.reconnecting = true;
                local.sink.control(Control::Reconnecting);
            }
        }
        for handler in &mut self.handlers {
            handler.control(Control::Reconnecting);
        }
        if proving {
            tracing::warn!(url = %self.url, %reason, "connection lost before it was healthy; reconnecting after a backoff");
            self.fail_waiting_if_exhausted(&format!(
                "connected, but lost the connection before it was healthy: {reason}"
            ));
        } else {
            tracing::warn!(url = %self.url, %reason, "connection lost; reconnecting");
        }
    }

    /// The answer to [`ConnectionEvent::TokenNeeded`]: what was refused
    /// for the stale token goes again with the fresh one, or fails with
    /// the reason none came.
    pub(crate) fn handle_token(&mut self, token: Result<Token, Error>, now: Instant) {
        self.awaiting_token = false;
        self.timer_moved = true;
        let parked = std::mem::take(&mut self.parked);
        let waiting = self.wire_keys(|_, w| matches!(w.state, WireState::AwaitingToken { .. }));
        match token {
            Ok(token) => {
                self.token = Some(token);
                self.token_generation += 1;
                tracing::info!("token refused as stale; sending again with a fresh one");
                for ParkedCall { mut call, request } in parked {
                    let Some(req_id) = self.send_method(request, now) else {
                        return;
                    };
                    call.req_id = req_id;
                    call.token_generation = self.token_generation;
                    call.responses.clear();
                    call.deadline = now + self.settings.request_timeout;
                    self.calls.push(call);
                }
                for key in &waiting {
                    if let Some(wire) = self.wire.get_mut(key) {
                        wire.state = WireState::Unsent;
                    }
                }
                self.send_unsent(now);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not refresh the token");
                let described = e.to_string();
                let mut first = Some(e);
                for ParkedCall { call, .. } in parked {
                    let error = first.take().unwrap_or_else(|| {
                        Error::Credentials(format!("could not refresh the token: {described}"))
                    });
                    let _ = call.reply.send(Err(error));
                }
                for key in waiting {
                    let refusal = match self.wire.get(&key).map(|w| &w.state) {
                        Some(WireState::AwaitingToken { refusal }) => refusal.clone(),
                        _ => continue,
                    };
                    let rejection = Rejection {
                        symbol: key.symbol.clone(),
                        error: refusal,
                    };
                    self.reject(&[key], &rejection, now);
                }
            }
        }
    }

    // Commands.

    pub(crate) fn handle_command(&mut self, command: Command, now: Instant) {
        let watched = self.has_subscriptions();
        self.timer_moved = true;
        match command {
            Command::Subscribe {
                params,
                sink,
                reply,
            } => self.subscribe(params, sink, reply, now),
            Command::Release(id) => {
                let gone = self.detach(id);
                self.unsubscribe(gone, now);
            }
            Command::Resync(id) => {
                let keys = self.keys_of(id);
                self.resubscribe(&keys, now);
            }
            Command::Call {
                method,
                expected,
                reply,
            } => self.call(*method, expected, reply, now),
            Command::AddHandler(sink) => {
                for channel in ["book", "level3"] {
                    if sink.reads(channel) {
                        self.decoded_readers.add(channel);
                    }
                }
                self.handlers.push(sink);
            }
            Command::Close(done) => {
                self.shutdown();
                let _ = done.send(());
            }
        }
        // The watchdog starts counting when there is something to watch,
        // not from the last frame of a quiet connection.
        if !watched && self.has_subscriptions() {
            self.alive_at = now;
        }
    }

    fn subscribe(
        &mut self,
        params: SubscribeParams,
        sink: Box<dyn Deliver>,
        reply: oneshot::Sender<Result<SubId, Error>>,
        now: Instant,
    ) {
        let id = SubId(self.next_sub_id);
        self.next_sub_id += 1;
        let keys = WireKey::split(&params);
        let wants_snapshot = snapshot_share::asks_for_snapshot(&params);
        let mut waiting = HashSet::new();
        // Wire subscriptions to make again: for this newcomer's snapshot
        // (`for_newcomer`), or because a subscribe still pending lacks
        // what it asks for.
        let mut for_newcomer = Vec::new();
        let mut widened_pending = Vec::new();
        for key in &keys {
            let mine = single_symbol(&params, key);
            let wire = self
                .wire
                .get_or_insert_with(key, || Wire::new(mine.clone()));
            let joining = !wire.subscribers.is_empty();
            wire.subscribers.push(id);
            let widened = joining && snapshot_share::merge_params(&mut wire.params, &mine);
            if !wire.is_acked() {
                // Its snapshot is still to come, to every subscriber but
                // those the others' re-subscribe is not for.
                if let Some(ids) = &mut wire.snapshot_for {
                    ids.push(id);
                }
                if widened && wire.maybe_on_server() {
                    widened_pending.push(key.clone());
                }
                waiting.insert(key.clone());
                continue;
            }
            if !joining || !(wants_snapshot || widened) {
                continue;
            }
            let snapshot_coming = matches!(wire.state, WireState::AwaitingSnapshot { .. });
            if snapshot_coming && !widened {
                if let Some(ids) = &mut wire.snapshot_for {
                    ids.push(id);
                }
                continue;
            }
            wire.snapshot_for.get_or_insert_with(Vec::new).push(id);
            for_newcomer.push(key.clone());
            waiting.insert(key.clone());
        }
        if let Some(channel) = decoded_channel(&keys, sink.as_ref()) {
            self.decoded_readers.add(channel);
        }
        self.locals.insert(
            id,
            Local {
                keys,
                sink,
                view: View::of(&params),
                reconnecting: false,
            },
        );
        if waiting.is_empty() {
            let _ = reply.send(Ok(id));
        } else {
            self.ops.push(PendingOp {
                id,
                waiting,
                errors: Vec::new(),
                reply,
                deadline: now + self.settings.request_timeout,
            });
        }
        for_newcomer.extend(widened_pending);
        self.make_again(&for_newcomer, now);
    }

    fn call(
        &mut self,
        method: Method,
        expected: usize,
        reply: oneshot::Sender<Result<Vec<Response>, Error>>,
        now: Instant,
    ) {
        let name = method.name();
        if !self.connected {
            let _ = reply.send(Err(Error::NotConnected(name)));
            return;
        }
        // Kept only where a stale-token refusal can make it worth sending
        // again.
        let request = self.authenticated.then(|| method.clone());
        let Some(req_id) = self.send_method(method, now) else {
            let _ = reply.send(Err(Error::NotConnected(name)));
            return;
        };
        self.calls.push(PendingCall {
            req_id,
            method: name,
            request,
            token_generation: self.token_generation,
            expected: expected.max(1),
            responses: Vec::new(),
            reply,
            deadline: now + self.settings.request_timeout,
        });
    }

    // Frames.

    /// One text frame, read at `now`: decoded (or applied in place) and
    /// routed at once.
    pub(crate) fn handle_text(&mut self, text: &str, now: Instant) {
        self.heard_at = now;
        if self.on_text(text, now) {
            self.alive_at = now;
        }
        if !self.wants_snapshot.is_empty() {
            self.resubscribe_wanting(now);
        }
        if self.backoff.is_proving() {
            self.check_health(now);
        }
    }

    /// A frame that is not text (a ping, a pong): proof the socket carries
    /// answers, not that the feed is alive.
    pub(crate) fn handle_other_frame(&mut self, now: Instant) {
        self.heard_at = now;
    }

    /// Reports a frame read at `now` to the backoff while the connection
    /// proves itself. With subscriptions, only data and heartbeats show
    /// the feed alive; without, any frame does.
    fn check_health(&mut self, now: Instant) {
        let subscribed = self.wire.values().next().is_some();
        if subscribed && self.alive_at != now {
            return;
        }
        let settled = self.wire.values().all(Wire::is_acked);
        if self.backoff.frame(now, settled) {
            tracing::debug!(url = %self.url, "connection healthy; backoff reset");
        }
    }

    /// Returns whether the frame shows the feed alive (anything but a
    /// pong).
    fn on_text(&mut self, text: &str, now: Instant) -> bool {
        if self.in_place(text) {
            return true;
        }
        let inbound = match decode(text) {
            Ok(inbound) => inbound,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable frame ignored");
                return true;
            }
        };
        match inbound {
            Inbound::Response(r) => {
                let pong = r.method() == "pong";
                self.on_response(&r, now);
                !pong
            }
            Inbound::Executions(_) | Inbound::Balances(_) => {
                self.on_sequenced(&inbound, now);
                true
            }
            Inbound::Status(m) => {
                self.on_status(&m);
                true
            }
            Inbound::Heartbeat | Inbound::Unknown(_) => true,
            data => {
                self.route(&data);
                // Every sink has read it (those keeping it cloned it): its
                // buffers go back to the decoder for the next frame.
                kraki_proto::recycle(data);
                true
            }
        }
    }

    /// Applies a `book` or `level3` frame from its text straight to the
    /// verified books it goes to, when nothing reads that channel decoded:
    /// no owned message is built, nothing is allocated. `false` when the
    /// frame must be decoded instead: it is of another channel, a handler
    /// or a subscription wants the message itself, or the in-place parser
    /// does not recognise the frame (decode then gives the proper error).
    fn in_place(&mut self, text: &str) -> bool {
        let channel = if text.starts_with(BOOK_FRAME_START) {
            "book"
        } else if text.starts_with(LEVEL3_FRAME_START) {
            "level3"
        } else {
            return false;
        };
        if !self.decoded_readers.none_for(channel) {
            return false;
        }
        let Some(frame) = self.frames.parse(text) else {
            return false;
        };
        let (wire, locals, wants_snapshot) =
            (&mut self.wire, &mut self.locals, &mut self.wants_snapshot);
        // Books take every snapshot (see `snapshot_share`): it is their
        // resync when a newcomer's re-subscribe left a gap.
        let snapshot = frame_kind(&frame) == MessageType::Snapshot;
        let mut deliver = |symbol: &str, apply: &mut dyn FnMut(&mut dyn Deliver) -> Delivered| {
            for w in wire.routed_mut(channel, Some(symbol)) {
                w.fed();
                if snapshot {
                    w.snapshot_for = None;
                }
                for id in &w.subscribers {
                    if let Some(local) = locals.get_mut(id) {
                        if apply(local.sink.as_mut()) == Delivered::WantsSnapshot {
                            wants_snapshot.push(*id);
                        }
                    }
                }
            }
        };
        match frame {
            FastFrame::Book(frame) => {
                for update in frame.updates() {
                    deliver(update.symbol, &mut |sink| {
                        sink.deliver_book(frame.kind(), &update)
                    });
                }
            }
            FastFrame::Level3(frame) => {
                for update in frame.updates() {
                    deliver(update.symbol, &mut |sink| {
                        sink.deliver_level3(frame.kind(), &update)
                    });
                }
            }
        }
        true
    }

    fn route(&mut self, msg: &Inbound) {
        let Some(channel) = msg.channel() else { return };
        let symbol = msg.symbol().map(|s| s.as_str());
        for handler in &mut self.handlers {
            handler.deliver(msg, symbol);
        }
        let snapshot = msg.message_type() == Some(MessageType::Snapshot);
        let newest_trade = match msg {
            Inbound::Trade(m) => m.data.iter().map(|t| t.trade_id).max(),
            _ => None,
        };
        for wire in self.wire.routed_mut(channel, symbol) {
            wire.fed();
            let audience = if snapshot {
                wire.snapshot_for.take()
            } else {
                None
            };
            for id in &wire.subscribers {
                let Some(local) = self.locals.get_mut(id) else {
                    continue;
                };
                let delivered = if snapshot {
                    let newcomer = snapshot_share::is_newcomer(audience.as_deref(), *id);
                    match snapshot_share::share(msg, local.view, newcomer, wire.last_trade_id) {
                        Share::Same(msg) => local.sink.deliver(msg, symbol),
                        Share::Changed(own) => local.sink.deliver(&own, symbol),
                        Share::Nothing => Delivered::Done,
                    }
                } else {
                    local.sink.deliver(msg, symbol)
                };
                if delivered == Delivered::WantsSnapshot {
                    self.wants_snapshot.push(*id);
                }
            }
            if newest_trade > wire.last_trade_id {
                wire.last_trade_id = newest_trade;
            }
        }
    }

    fn on_status(&mut self, m: &ChannelMessage<Vec<Status>>) {
        let Some(status) = m.data.last() else { return };
        tracing::info!(system = %status.system, "exchange status");
        // The first status of a client is its starting point, not a
        // change.
        let changed = self
            .status
            .borrow()
            .as_ref()
            .is_some_and(|old| old.system != status.system);
        self.status.send_replace(Some(status.clone()));
        // Every stream and handler hears of a change of the engine's state
        // (maintenance, cancel_only, …), in order with its data.
        if changed {
            for local in self.locals.values_mut() {
                local.sink.control(Control::Status(status.system.clone()));
            }
            for handler in &mut self.handlers {
                handler.control(Control::Status(status.system.clone()));
            }
        }
    }

    /// Executions or balances: a gap in their `sequence` asks for a fresh
    /// snapshot.
    fn on_sequenced(&mut self, inbound: &Inbound, now: Instant) {
        let Some((channel, expected, received)) = self.sequence_gap(inbound) else {
            self.route(inbound);
            return;
        };
        tracing::warn!(
            channel,
            expected,
            received,
            "sequence gap; asking for a fresh snapshot"
        );
        let keys = self.wire_keys(|k, _| k.channel == channel);
        for local in self.locals.values_mut() {
            if local.keys.iter().any(|k| k.channel == channel) {
                local.sink.control(Control::Gap { expected, received });
            }
        }
        for handler in &mut self.handlers {
            if handler.reads(channel) {
                handler.control(Control::Gap { expected, received });
            }
        }
        self.route(inbound);
        self.sequences.remove(channel);
        self.resubscribe(&keys, now);
    }

    /// Checks the `sequence` of an executions or balances message: a
    /// snapshot starts the count, each update must be the next number.
    /// Returns the channel, the number expected and the one received on a
    /// gap.
    fn sequence_gap(&mut self, inbound: &Inbound) -> Option<(&'static str, u64, u64)> {
        let channel = inbound.channel()?;
        let (kind, sequence) = match inbound {
            Inbound::Executions(m) => (m.kind, m.sequence?),
            Inbound::Balances(m) => (m.kind, m.sequence?),
            _ => return None,
        };
        let last = self.sequences.insert(channel, sequence);
        let gap = crate::sequence::check(kind, last, sequence)?;
        Some((channel, gap.expected, gap.received))
    }

    // Responses.

    fn on_response(&mut self, r: &Response, now: Instant) {
        self.timer_moved = true;
        match r {
            Response::Subscribe(_) => self.on_subscribe_ack(r, now),
            Response::Pong(_) | Response::Unsubscribe(_) => {}
            _ => self.on_call_response(r, now),
        }
    }

    fn on_subscribe_ack(&mut self, r: &Response, now: Instant) {
        let Some(req_id) = r.req_id() else {
            return;
        };
        let symbol = r.symbol().map(|s| s.as_str().to_owned());
        // An error without a symbol (e.g. an unknown channel) concerns every
        // key of the request.
        let mut keys = self.wire_keys(|k, w| {
            w.pending_req() == Some(req_id) && (symbol.is_none() || k.symbol == symbol)
        });
        if keys.is_empty() {
            // A late ack for a subscribe given up while pending: the
            // unsubscribe sent then already undid it on the server, and
            // another one now could end a newer subscription of the same
            // key.
            return;
        }
        let error = r.error().unwrap_or("unknown error");
        if !r.success() && is_stale_token(error) && self.authenticated {
            let (retry, refused): (Vec<WireKey>, Vec<WireKey>) = keys
                .into_iter()
                .partition(|k| self.wire.get(k).is_some_and(|w| !w.retried.token));
            keys = refused;
            self.retry_with_fresh_token(&retry, error, now);
            if keys.is_empty() {
                return;
            }
        }
        if r.success() {
            for key in &keys {
                if let Some(wire) = self.wire.get_mut(key) {
                    wire.acked(now, self.settings.request_timeout);
                }
            }
            let unused = self.settle_ops(&keys, None);
            self.announce_reconnected(&keys);
            self.unsubscribe(unused, now);
        } else {
            let rejection = Rejection {
                symbol,
                error: error.to_owned(),
            };
            self.reject(&keys, &rejection, now);
        }
    }

    /// Subscribes `keys` again, refused for a stale token: at once when a
    /// newer token is already in, else once a fresh one is.
    fn retry_with_fresh_token(&mut self, keys: &[WireKey], refusal: &str, now: Instant) {
        if keys.is_empty() {
            return;
        }
        let used = keys
            .iter()
            .filter_map(|k| match self.wire.get(k)?.state {
                WireState::Pending {
                    token_generation, ..
                } => Some(token_generation),
                _ => None,
            })
            .min()
            .unwrap_or(self.token_generation);
        let fresh_in = used != self.token_generation;
        for key in keys {
            if let Some(wire) = self.wire.get_mut(key) {
                wire.retried.token = true;
                wire.state = if fresh_in {
                    WireState::Unsent
                } else {
                    WireState::AwaitingToken {
                        refusal: refusal.to_owned(),
                    }
                };
            }
        }
        if fresh_in {
            self.send_unsent(now);
        } else {
            self.need_token();
        }
    }

    fn need_token(&mut self) {
        if !self.awaiting_token {
            self.awaiting_token = true;
            self.events.push_back(ConnectionEvent::TokenNeeded);
        }
    }

    /// Kraken refused `keys`: they are forgotten, and the subscribe calls
    /// waiting for them fail.
    fn reject(&mut self, keys: &[WireKey], rejection: &Rejection, now: Instant) {
        for key in keys {
            self.wire.remove(key);
        }
        // A refused subscription is not on the server: nothing to undo
        // there, but what the failed calls did subscribe is released.
        let unused = self.settle_ops(keys, Some(rejection));
        self.unsubscribe(unused, now);
    }

    /// Hands a trading response to the call that sent its req_id. A call
    /// refused for a stale token was not executed, so it is sent once more
    /// with a fresh token.
    fn on_call_response(&mut self, r: &Response, now: Instant) {
        let Some(req_id) = r.req_id() else {
            tracing::debug!(method = r.method(), "response without req_id ignored");
            return;
        };
        let Some(i) = self.calls.iter().position(|c| c.req_id == req_id) else {
            return;
        };
        if r.error().is_some_and(is_stale_token) && self.calls[i].request.is_some() {
            let mut call = self.calls.swap_remove(i);
            let Some(request) = call.request.take() else {
                return;
            };
            if call.token_generation != self.token_generation {
                // A fresh token came since this was sent.
                let Some(req_id) = self.send_method(request, now) else {
                    return;
                };
                call.req_id = req_id;
                call.token_generation = self.token_generation;
                call.responses.clear();
                self.calls.push(call);
            } else {
                // Kept so that, if no token comes, the caller learns what
                // Kraken said.
                call.responses = vec![r.clone()];
                self.parked.push(ParkedCall { call, request });
                self.need_token();
            }
            return;
        }
        self.calls[i].responses.push(r.clone());
        if self.calls[i].responses.len() >= self.calls[i].expected {
            let call = self.calls.swap_remove(i);
            let _ = call.reply.send(Ok(call.responses));
        }
    }

    /// Marks `keys` resolved in every waiting op; completes the ops that
    /// have nothing left to wait for. Returns wire subscriptions left
    /// without subscribers by a failed op, to unsubscribe.
    fn settle_ops(
        &mut self,
        keys: &[WireKey],
        rejection: Option<&Rejection>,
    ) -> Vec<SubscribeParams> {
        let mut unused = Vec::new();
        let mut done = Vec::new();
        for (i, op) in self.ops.iter_mut().enumerate() {
            let mut touched = false;
            for key in keys {
                if op.waiting.remove(key) {
                    touched = true;
                }
            }
            if touched {
                if let Some(r) = rejection {
                    if !op.errors.contains(r) {
                        op.errors.push(r.clone());
                    }
                }
            }
            if op.waiting.is_empty() {
                done.push(i);
            }
        }
        for i in done.into_iter().rev() {
            let op = self.ops.swap_remove(i);
            if op.errors.is_empty() {
                let _ = op.reply.send(Ok(op.id));
            } else {
                // All or nothing: a partly failed subscribe releases what
                // did succeed.
                unused.extend(self.detach(op.id));
                let _ = op.reply.send(Err(Error::Rejected(op.errors)));
            }
        }
        unused
    }

    /// Tells subscribers whose every key is active again that the
    /// connection is back.
    fn announce_reconnected(&mut self, keys: &[WireKey]) {
        let wire = &self.wire;
        for local in self.locals.values_mut() {
            if !local.reconnecting || !local.keys.iter().any(|k| keys.contains(k)) {
                continue;
            }
            let all_acked = local
                .keys
                .iter()
                .all(|k| wire.get(k).is_some_and(Wire::is_acked));
            if all_acked {
                local.reconnecting = false;
                local.sink.control(Control::Reconnected);
            }
        }
        if self.wire.values().all(Wire::is_acked) {
            for handler in &mut self.handlers {
                handler.control(Control::Reconnected);
            }
        }
    }

    // Deadlines.

    /// Everything due by `now`: requests that went unanswered, wire
    /// subscriptions silent or unacked, the idle watchdog, the ping.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if !self.connected || self.lost {
            return;
        }
        self.timer_moved = true;
        let expired = self.expire_ops(now);
        self.unsubscribe(expired.unsubscribe, now);
        // Kraken answers every request: one that got no frame at all back
        // within the timeout means a dead socket.
        if expired
            .latest_sent
            .is_some_and(|sent| sent >= self.heard_at)
        {
            self.lose(LostReason::NoAnswer {
                waited: self.settings.request_timeout,
            });
            return;
        }
        if !self.check_subscriptions(now) {
            return;
        }
        if self.has_subscriptions() && now >= self.alive_at + self.settings.idle_timeout {
            self.lose(LostReason::Idle {
                waited: self.settings.idle_timeout,
            });
            return;
        }
        if now >= self.last_sent + self.settings.ping_interval {
            let req_id = self.req_id();
            self.queue(&Request::new(Method::Ping, req_id), false, now);
        }
    }

    fn lose(&mut self, reason: LostReason) {
        if !self.lost {
            self.lost = true;
            self.events.push_back(ConnectionEvent::Lost(reason));
        }
    }

    /// A subscription acked but silent is subscribed again once; silent
    /// again, the connection is taken for broken. The same for a
    /// subscribe without an ack (those of a subscribe call have already
    /// failed it in `expire_ops`; these are resubscribes after a reconnect
    /// or a resync, which nobody awaits), so a stream is never left
    /// waiting for `Reconnected` forever. Returns `false` when the
    /// connection is lost.
    fn check_subscriptions(&mut self, now: Instant) -> bool {
        let due = self.wire_keys(|_, w| w.deadline().is_some_and(|by| by <= now));
        for key in due {
            let Some(wire) = self.wire.get_mut(&key) else {
                continue;
            };
            let silent = matches!(wire.state, WireState::AwaitingSnapshot { .. });
            let retried = if silent {
                &mut wire.retried.silence
            } else {
                &mut wire.retried.ack
            };
            if *retried {
                let (channel, symbol) = (key.channel.clone(), key.symbol.clone());
                self.lose(if silent {
                    LostReason::Silent { channel, symbol }
                } else {
                    LostReason::Unacked { channel, symbol }
                });
                return false;
            }
            *retried = true;
            if silent {
                tracing::warn!(channel = %key.channel, symbol = ?key.symbol, "acknowledged but silent; resubscribing");
            } else {
                tracing::warn!(channel = %key.channel, symbol = ?key.symbol, "no subscribe ack in time; subscribing again");
            }
            self.make_again(std::slice::from_ref(&key), now);
        }
        true
    }

    /// Fails the calls and subscribes past their deadline.
    fn expire_ops(&mut self, now: Instant) -> Expired {
        let timeout = self.settings.request_timeout;
        let (expired, kept): (Vec<PendingCall>, Vec<PendingCall>) =
            self.calls.drain(..).partition(|c| c.deadline <= now);
        self.calls = kept;
        let deadlines = expired.iter().map(|c| c.deadline).chain(
            self.ops
                .iter()
                .filter(|o| o.deadline <= now)
                .map(|o| o.deadline),
        );
        let latest_sent = deadlines.max().map(|d| d - timeout);
        for call in expired {
            call.outcome_unknown(format!("no answer within {} ms", timeout.as_millis()));
        }
        let (expired, kept): (Vec<PendingOp>, Vec<PendingOp>) =
            self.ops.drain(..).partition(|op| op.deadline <= now);
        self.ops = kept;
        let mut gone = Vec::new();
        for op in expired {
            gone.extend(self.detach(op.id));
            let _ = op.reply.send(Err(Error::Timeout {
                method: "subscribe",
                timeout_ms: timeout.as_millis() as u64,
            }));
        }
        Expired {
            latest_sent,
            unsubscribe: gone,
        }
    }

    /// After the configured attempts in a row came to nothing, fails the
    /// subscribes waiting for a connection with the cause, rather than let
    /// them wait for a server that may never work. The client goes on
    /// reconnecting, on the backoff schedule; subscriptions already made
    /// come back with it.
    fn fail_waiting_if_exhausted(&mut self, last: &str) {
        if self.ops.is_empty() || !self.backoff.exhausted(self.settings.connect_attempts) {
            return;
        }
        tracing::warn!(url = %self.url, cause = %last, "no healthy connection; failing the subscribes waiting for one");
        for op in std::mem::take(&mut self.ops) {
            // Without a socket there is nothing to unsubscribe on the
            // server: the reconnect would only have sent the subscribes.
            let _ = self.detach(op.id);
            let _ = op.reply.send(Err(self.connect_error(last.to_owned())));
        }
    }

    // Subscribing.

    /// Unsubscribes and subscribes `keys` again, for a fresh snapshot for
    /// every subscriber.
    fn resubscribe(&mut self, keys: &[WireKey], now: Instant) {
        for key in keys {
            if let Some(wire) = self.wire.get_mut(key) {
                wire.snapshot_for = None;
            }
        }
        self.make_again(keys, now);
    }

    /// Subscribes `keys` afresh, unsubscribing first those that may be on
    /// the server: without that, Kraken would answer `Already
    /// subscribed`. Without a connection they wait for the next one.
    fn make_again(&mut self, keys: &[WireKey], now: Instant) {
        let mut unsubscribes = Vec::new();
        for key in keys {
            if let Some(wire) = self.wire.get_mut(key) {
                if wire.maybe_on_server() {
                    unsubscribes.push(unsubscribe_params(wire.params.clone()));
                }
                wire.state = WireState::Unsent;
            }
        }
        self.unsubscribe(unsubscribes, now);
        self.send_unsent(now);
    }

    /// Resubscribes those that lost sync while a message was routed.
    fn resubscribe_wanting(&mut self, now: Instant) {
        for id in std::mem::take(&mut self.wants_snapshot) {
            let keys = self.keys_of(id);
            self.resubscribe(&keys, now);
        }
    }

    fn unsubscribe(&mut self, params: Vec<SubscribeParams>, now: Instant) {
        for params in params {
            self.send_method(Method::Unsubscribe(params), now);
        }
    }

    /// Sends one subscribe per group of unsent keys that share params.
    fn send_unsent(&mut self, now: Instant) {
        if !self.connected || self.awaiting_token {
            return;
        }
        let mut groups: Vec<(SubscribeParams, Vec<WireKey>)> = Vec::new();
        for (key, wire) in self.wire.iter() {
            if wire.state != WireState::Unsent {
                continue;
            }
            let mut without_symbol = wire.params.clone();
            without_symbol.symbol = None;
            match groups.iter_mut().find(|(p, _)| {
                let mut q = p.clone();
                q.symbol = None;
                q == without_symbol
            }) {
                Some((p, keys)) => {
                    if let (Some(all), Some(mine)) = (&mut p.symbol, &wire.params.symbol) {
                        all.extend(mine.iter().cloned());
                    }
                    keys.push(key.clone());
                }
                None => groups.push((wire.params.clone(), vec![key.clone()])),
            }
        }
        let paced = groups.len() > 1;
        let ack_by = now + self.settings.request_timeout;
        for (params, keys) in groups {
            let Some(req_id) = self.send_method_paced(Method::Subscribe(params), paced, now) else {
                return;
            };
            let token_generation = self.token_generation;
            for key in &keys {
                if let Some(wire) = self.wire.get_mut(key) {
                    wire.state = WireState::Pending {
                        req_id,
                        ack_by,
                        token_generation,
                    };
                }
            }
        }
    }

    /// Removes a local subscriber; returns the params of wire
    /// subscriptions nobody uses any more and that must be unsubscribed.
    fn detach(&mut self, id: SubId) -> Vec<SubscribeParams> {
        let mut gone = Vec::new();
        let Some(local) = self.locals.remove(&id) else {
            return gone;
        };
        if let Some(channel) = decoded_channel(&local.keys, local.sink.as_ref()) {
            self.decoded_readers.remove(channel);
        }
        self.ops.retain(|op| op.id != id);
        for key in local.keys {
            let Some(wire) = self.wire.get_mut(&key) else {
                continue;
            };
            wire.subscribers.retain(|s| *s != id);
            if let Some(ids) = &mut wire.snapshot_for {
                ids.retain(|s| *s != id);
            }
            if wire.subscribers.is_empty() {
                if let Some(wire) = self.wire.remove(&key) {
                    // A pending subscribe may have taken effect even if its
                    // ack never comes (a timeout): unsubscribing now leaves
                    // the server as the client believes it, whatever a
                    // late ack says.
                    if wire.maybe_on_server() {
                        gone.push(unsubscribe_params(wire.params));
                    }
                }
            }
        }
        gone
    }

    // Sending.

    fn send_method(&mut self, method: Method, now: Instant) -> Option<ReqId> {
        self.send_method_paced(method, false, now)
    }

    /// Queues `method` with a new req_id and, on an authenticated
    /// connection, the current token where Kraken wants one. `None`
    /// without a connection to send on.
    fn send_method_paced(
        &mut self,
        mut method: Method,
        paced: bool,
        now: Instant,
    ) -> Option<ReqId> {
        if !self.connected || self.lost {
            return None;
        }
        if let Some(token) = &self.token {
            authorize(&mut method, token);
        }
        let req_id = self.req_id();
        self.queue(&Request::new(method, req_id), paced, now)
            .then_some(req_id)
    }

    fn queue(&mut self, request: &Request, paced: bool, now: Instant) -> bool {
        match request.encode() {
            Ok(text) => {
                tracing::trace!(method = request.method.name(), "send");
                self.transmits.push_back(Transmit { text, paced });
                self.last_sent = now;
                self.timer_moved = true;
                true
            }
            Err(e) => {
                self.lose(LostReason::Unencodable(e.to_string()));
                false
            }
        }
    }

    fn req_id(&mut self) -> ReqId {
        let id = ReqId(self.next_req_id);
        self.next_req_id += 1;
        id
    }

    // Lookups.

    /// The keys of the wire subscriptions `pick` selects.
    fn wire_keys(&self, pick: impl Fn(&WireKey, &Wire) -> bool) -> Vec<WireKey> {
        self.wire
            .iter()
            .filter(|(k, w)| pick(k, w))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn keys_of(&self, id: SubId) -> Vec<WireKey> {
        self.locals
            .get(&id)
            .map(|l| l.keys.clone())
            .unwrap_or_default()
    }

    /// Whether the idle watchdog has something to watch: subscriptions
    /// acked (data or heartbeats are due) or waiting for their ack.
    fn has_subscriptions(&self) -> bool {
        self.wire
            .values()
            .any(|w| w.is_acked() || w.pending_req().is_some())
    }

    /// Ends every stream: dropping the sinks disconnects their receivers.
    fn shutdown(&mut self) {
        self.closed = true;
        for op in self.ops.drain(..) {
            let _ = op.reply.send(Err(Error::Closed));
        }
        for call in self.calls.drain(..) {
            call.outcome_unknown("the client was closed before the answer".to_owned());
        }
        for parked in self.parked.drain(..) {
            let _ = parked.call.reply.send(Ok(parked.call.responses));
        }
        self.locals.clear();
        self.handlers.clear();
        self.decoded_readers.clear();
        self.wire.clear();
    }
}

fn frame_kind(frame: &FastFrame<'_>) -> MessageType {
    match frame {
        FastFrame::Book(f) => f.kind(),
        FastFrame::Level3(f) => f.kind(),
    }
}

fn single_symbol(params: &SubscribeParams, key: &WireKey) -> SubscribeParams {
    let mut p = params.clone();
    p.symbol = key
        .symbol
        .as_ref()
        .map(|s| vec![kraki_proto::Symbol::from(s.as_str())]);
    p
}

/// The channel a subscriber with `keys` reads decoded messages of, if it
/// is one that could be applied in place (see [`Connection::in_place`]).
/// A subscription is of one channel.
fn decoded_channel<'k>(keys: &'k [WireKey], sink: &dyn Deliver) -> Option<&'k str> {
    if sink.takes_in_place() {
        return None;
    }
    keys.first().map(|k| k.channel.as_str())
}

/// Unsubscribe echoes the identifying params only (`snapshot` is
/// subscribe-only).
fn unsubscribe_params(mut params: SubscribeParams) -> SubscribeParams {
    params.snapshot = None;
    params
}

/// Kraken's answers to a request that carried a stale token (§8.4): the
/// request was not executed, and a fresh token cures it.
fn is_stale_token(error: &str) -> bool {
    matches!(error, "ESession:Invalid session" | "EAPI:Invalid token")
}

/// Puts the token where Kraken wants one: private and level3
/// subscriptions and every trading method.
fn authorize(method: &mut Method, token: &Token) {
    let slot = match method {
        Method::Subscribe(p) | Method::Unsubscribe(p) => {
            if !matches!(
                p.channel,
                Channel::Executions | Channel::Balances | Channel::Level3
            ) {
                return;
            }
            &mut p.token
        }
        Method::AddOrder(p) => &mut p.token,
        Method::AmendOrder(p) => &mut p.token,
        Method::EditOrder(p) => &mut p.token,
        Method::CancelOrder(p) => &mut p.token,
        Method::CancelAll(p) => &mut p.token,
        Method::CancelAllOrdersAfter(p) => &mut p.token,
        Method::BatchAdd(p) => &mut p.token,
        Method::BatchCancel(p) => &mut p.token,
        _ => return,
    };
    if slot.is_none() {
        *slot = Some(token.clone());
    }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;
