//! The connection driver: the one task that owns a socket.
//!
//! Everything else talks to it through commands. It decodes frames, matches
//! acks to requests by req_id, routes channel data to subscribers, keeps
//! the idle watchdog, and reconnects and resubscribes after any loss.

use crate::auth::TokenSource;
use crate::backoff::{Backoff, Pacing};
use crate::config::Settings;
use crate::decoded_readers::DecodedReaders;
use crate::error::{Error, Rejection};
use crate::fast_hash::WordMap;
use crate::sink::{Control, Deliver, Delivered};
use crate::transport::Transport;
use crate::websocket::{Frame, Socket};
use crate::wire_table::{WireKey, WireTable};
use http::Uri;
use kraki_proto::book::{FastFrame, FrameParser};
use kraki_proto::channels::Status;
use kraki_proto::{
    Channel, ChannelMessage, Inbound, Method, ReqId, Request, Response, SubscribeParams, Token,
    decode,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};

/// Identifies one local subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SubId(u64);

/// What the rest of the client asks of the driver.
pub(crate) enum Command {
    Subscribe {
        params: SubscribeParams,
        sink: Box<dyn Deliver>,
        /// Ask Kraken for a fresh snapshot even when the wire subscription
        /// already exists (it is unsubscribed and subscribed again).
        fresh: bool,
        reply: oneshot::Sender<Result<SubId, Error>>,
    },
    Release(SubId),
    /// Unsubscribe and subscribe again every wire subscription of this
    /// subscriber, for a fresh snapshot (a book that lost sync).
    Resync(SubId),
    /// Every message of a type, from every subscription, to a handler.
    AddHandler(Box<dyn Deliver>),
    /// A request (trading) answered by one response, or by `expected`
    /// responses sharing its req_id (`cancel_order`: one per order).
    Call {
        method: Box<Method>,
        expected: usize,
        reply: oneshot::Sender<Result<Vec<Response>, Error>>,
    },
    Close(oneshot::Sender<()>),
}

/// Buffered frames handled in one turn of the connection loop before the
/// commands and the timer are polled again.
const FRAMES_PER_TURN: usize = 32;

/// How Kraken starts `book` and `level3` frames: only such frames are
/// tried in place (others, and book frames written otherwise, are
/// decoded).
const BOOK_FRAME_START: &str = r#"{"channel":"book","#;
const LEVEL3_FRAME_START: &str = r#"{"channel":"level3","#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WireState {
    /// Subscribe sent with this req_id, ack not yet in.
    Pending(ReqId),
    /// Acked; data flows.
    Active,
    /// Waiting for a connection to send the subscribe.
    Unsent,
}

struct Wire {
    /// The params to (re)subscribe this key with, for its one symbol.
    params: SubscribeParams,
    state: WireState,
    subscribers: Vec<SubId>,
    /// Acked with a snapshot due but nothing arrived yet: by when it must.
    first_data_by: Option<Instant>,
    /// Already resubscribed once for silence; next time, reconnect.
    silence_retried: bool,
    /// The token generation the pending subscribe carried, and whether it
    /// was already sent again after a stale-token refusal.
    token_generation: u64,
    token_retried: bool,
    /// Subscribe sent and not acked: by when the ack must come. Data does
    /// not clear it: a server that acts on a subscribe but loses its ack
    /// still sends data.
    ack_by: Option<Instant>,
    /// Already subscribed again once for a missing ack; next time,
    /// reconnect.
    ack_retried: bool,
}

impl Wire {
    /// Channels whose ack is followed by a snapshot unless asked not to.
    fn expects_snapshot(&self) -> bool {
        let channel = self.params.channel.as_str();
        self.params.snapshot != Some(false)
            && matches!(
                channel,
                "book" | "ticker" | "ohlc" | "trade" | "instrument" | "level3"
            )
    }
}

struct Local {
    keys: Vec<WireKey>,
    sink: Box<dyn Deliver>,
    /// Told `Reconnecting` and not yet `Reconnected`.
    reconnecting: bool,
}

/// A subscribe call waiting for its acks.
struct PendingOp {
    id: SubId,
    waiting: HashSet<WireKey>,
    errors: Vec<Rejection>,
    reply: oneshot::Sender<Result<SubId, Error>>,
    deadline: Instant,
}

/// A request waiting for its responses.
struct PendingCall {
    req_id: ReqId,
    method: &'static str,
    /// What was sent, to send again once if Kraken refuses a stale token.
    request: Option<Method>,
    /// The token generation the request carried.
    token_generation: u64,
    expected: usize,
    responses: Vec<Response>,
    reply: oneshot::Sender<Result<Vec<Response>, Error>>,
    deadline: Instant,
}

pub(crate) struct Driver {
    url: Uri,
    /// Authenticated connections: where each connection's token comes
    /// from, and the current one.
    token_source: Option<Arc<dyn TokenSource>>,
    token: Option<Token>,
    /// Counts tokens fetched, so that several requests refused for the same
    /// stale token lead to one refresh.
    token_generation: u64,
    calls: Vec<PendingCall>,
    /// Last `sequence` seen per private channel on this connection.
    sequences: HashMap<&'static str, u64>,
    transport: Transport,
    settings: Settings,
    commands: mpsc::UnboundedReceiver<Command>,
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
}

/// What `expire_ops` gave up on.
struct Expired {
    /// When the latest of the expired requests was sent, if any.
    latest_sent: Option<Instant>,
    /// Wire subscriptions given up while pending, to unsubscribe.
    unsubscribe: Vec<SubscribeParams>,
}

/// The messages a frame leaves for the async path, because handling them
/// may need the socket; everything else is routed at once.
enum NeedsSocket {
    /// An answer to a request.
    Response(Box<Response>),
    /// Executions or balances: a gap in their `sequence` resubscribes.
    Sequenced(Inbound),
    /// The engine's status.
    Status(ChannelMessage<Vec<Status>>),
}

/// Why the connected loop ended.
enum Exit {
    Lost(String),
    Closed,
}

impl Driver {
    pub(crate) fn new(
        url: Uri,
        transport: Transport,
        settings: Settings,
        commands: mpsc::UnboundedReceiver<Command>,
        status: watch::Sender<Option<Status>>,
        token_source: Option<Arc<dyn TokenSource>>,
    ) -> Self {
        let backoff = Backoff::new(Pacing {
            initial: settings.backoff_initial,
            max: settings.backoff_max,
            healthy_after: settings.healthy_after,
            window: settings.attempt_window,
            max_in_window: settings.max_attempts_in_window,
        });
        Driver {
            url,
            token_source,
            token: None,
            token_generation: 0,
            calls: Vec::new(),
            sequences: HashMap::new(),
            transport,
            settings,
            commands,
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
        }
    }

    /// Makes the first connection, failing fast after the configured
    /// attempts.
    pub(crate) async fn first_connect(&mut self) -> Result<Socket, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let at = self.backoff.next_attempt(Instant::now().into_std());
            sleep_until(at.into()).await;
            match self.open().await {
                Ok(socket) => {
                    self.backoff.opened();
                    return Ok(socket);
                }
                // Kraken refused the credentials: trying again cannot help.
                Err(e @ (Error::Rest(_) | Error::Credentials(_))) => return Err(e),
                Err(e) => {
                    tracing::debug!(url = %self.url, attempt, error = %e, "connect failed");
                    self.backoff.failed();
                    if self.backoff.exhausted(self.settings.connect_attempts) {
                        return Err(self.connect_error(e.to_string()));
                    }
                }
            }
        }
    }

    /// The error for a client that never got a healthy connection in the
    /// configured attempts.
    fn connect_error(&self, last: String) -> Error {
        Error::Connect {
            url: self.url.to_string(),
            attempts: self.settings.connect_attempts.max(1),
            last,
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

    /// Fetches a token for an authenticated connection, then opens the
    /// socket.
    async fn open(&mut self) -> Result<Socket, Error> {
        if let Some(source) = &self.token_source {
            self.token = Some(source.token().await?);
            self.token_generation += 1;
        }
        // A server (or proxy) that accepts and then says nothing would
        // otherwise hold the attempt, and every later one, forever.
        let limit = self.settings.connect_timeout;
        tokio::time::timeout(limit, self.transport.connect(&self.url))
            .await
            .map_err(|_| Error::WebSocket(format!("no answer from {} within {limit:?}", self.url)))?
            .map_err(Error::WebSocket)
    }

    /// Runs until the client is closed, reconnecting for as long as it lives.
    pub(crate) async fn run(mut self, mut socket: Socket) {
        loop {
            match self.connected(&mut socket).await {
                Exit::Closed => {
                    socket.close().await;
                    return;
                }
                Exit::Lost(reason) => {
                    let proving = self.backoff.is_proving();
                    self.backoff.lost(Instant::now().into_std());
                    self.on_disconnect();
                    if proving {
                        tracing::warn!(url = %self.url, %reason, "connection lost before it was healthy; reconnecting after a backoff");
                        self.fail_waiting_if_exhausted(&format!(
                            "connected, but lost the connection before it was healthy: {reason}"
                        ));
                    } else {
                        tracing::warn!(url = %self.url, %reason, "connection lost; reconnecting");
                    }
                    match self.reconnect().await {
                        Some(s) => socket = s,
                        None => return,
                    }
                }
            }
        }
    }

    /// The loop while a socket is up.
    async fn connected(&mut self, socket: &mut Socket) -> Exit {
        if let Err(e) = self.send_unsent(socket).await {
            return Exit::Lost(e);
        }
        let mut alive_at = Instant::now();
        // Any frame at all, pongs included: proof the socket still carries
        // answers, for requests that went unanswered.
        let mut heard_at = Instant::now();
        let mut last_sent = Instant::now();
        // One timer for every deadline, re-armed only when something can
        // have moved the next one earlier (a command, a response, the timer
        // itself), not per data frame: a deadline that moved later (the
        // idle watchdog after data) just makes the timer wake early once.
        let timer = sleep_until(self.next_deadline(alive_at, last_sent));
        tokio::pin!(timer);
        loop {
            let idle_deadline = alive_at + self.settings.idle_timeout;
            let ping_deadline = last_sent + self.settings.ping_interval;
            tokio::select! {
                // Commands and the timer first: they are rare and cheap to
                // poll, and a socket that always has frames buffered must
                // not starve them. Fixed order also spares a random draw
                // per frame.
                biased;
                command = self.commands.recv() => {
                    match command {
                        None => return Exit::Closed,
                        Some(Command::Close(done)) => {
                            self.shutdown();
                            let _ = done.send(());
                            return Exit::Closed;
                        }
                        Some(command) => {
                            let watched = self.has_subscriptions();
                            if let Err(e) = self.on_command(command, Some(socket)).await {
                                return Exit::Lost(e);
                            }
                            // The watchdog starts counting when there is
                            // something to watch, not from the last frame
                            // of a quiet connection.
                            if !watched && self.has_subscriptions() {
                                alive_at = Instant::now();
                            }
                            last_sent = Instant::now();
                            self.rearm_if_earlier(timer.as_mut(), alive_at, last_sent);
                        }
                    }
                }
                () = &mut timer => {
                    let now = Instant::now();
                    let expired = self.expire_ops(now);
                    for params in expired.unsubscribe {
                        if let Err(e) = self.send_method(socket, Method::Unsubscribe(params)).await {
                            return Exit::Lost(e);
                        }
                    }
                    // Kraken answers every request: one that got no frame
                    // at all back within the timeout means a dead socket.
                    if expired.latest_sent.is_some_and(|sent| sent >= heard_at) {
                        return Exit::Lost(format!(
                            "no answer and nothing else for {:?} after a request",
                            self.settings.request_timeout
                        ));
                    }
                    if let Err(e) = self.check_silence(now, socket).await {
                        return Exit::Lost(e);
                    }
                    if self.has_subscriptions() && now >= idle_deadline {
                        return Exit::Lost(format!(
                            "no data or heartbeat for {:?}",
                            self.settings.idle_timeout
                        ));
                    }
                    if now >= ping_deadline {
                        let ping = Request::new(Method::Ping, self.req_id());
                        if let Err(e) = send(socket, &ping).await {
                            return Exit::Lost(e);
                        }
                        last_sent = now;
                    }
                    let next = self.next_deadline(alive_at, last_sent);
                    timer.as_mut().reset(next);
                }
                ready = socket.ready() => {
                    if let Err(e) = ready {
                        return Exit::Lost(e);
                    }
                    // The frames already buffered are handled in one turn
                    // (up to FRAMES_PER_TURN): commands and the timer are
                    // polled once per turn, not once per frame.
                    //
                    // One clock read per turn: the frames of a turn arrive
                    // within microseconds, the watchdogs count seconds.
                    let now = Instant::now();
                    let heard_before = heard_at;
                    for _ in 0..FRAMES_PER_TURN {
                        let frame = match socket.next_buffered() {
                            Ok(Some(frame)) => frame,
                            Ok(None) => break,
                            Err(e) => return Exit::Lost(e),
                        };
                        // Any frame at all, pongs included.
                        heard_at = now;
                        let rest = match frame {
                            Frame::Text(text) => self.on_text(text, now, &mut alive_at),
                            Frame::Ping => {
                                if let Err(e) = socket.answer_ping().await {
                                    return Exit::Lost(e);
                                }
                                None
                            }
                            Frame::Other => None,
                            Frame::Close(why) => {
                                socket.close().await;
                                return Exit::Lost(format!("closed by the server: {why}"));
                            }
                        };
                        // Only what needs the socket (responses, sequence
                        // checks, status, resubscribes) takes the async path.
                        if let Some(inbound) = rest {
                            let response = matches!(inbound, NeedsSocket::Response(_));
                            if let Err(e) = self.on_inbound(inbound, socket).await {
                                return Exit::Lost(e);
                            }
                            if response {
                                self.rearm_if_earlier(timer.as_mut(), alive_at, last_sent);
                            }
                        } else if !self.wants_snapshot.is_empty() {
                            if let Err(e) = self.resubscribe_wanting(socket).await {
                                return Exit::Lost(e);
                            }
                        }
                        // Without this the reader could run through
                        // thousands of buffered frames before the tasks
                        // consuming its queues (on the same worker) get a
                        // turn, and they would lag for no reason.
                        tokio::task::consume_budget().await;
                    }
                    if heard_at != heard_before && self.backoff.is_proving() {
                        self.check_health(now, alive_at == now);
                    }
                }
            }
        }
    }

    /// Reports a turn of frames read at `now` to the backoff while the
    /// connection proves itself. With subscriptions, only data and
    /// heartbeats (`fed`) show the feed alive; without, any frame does.
    fn check_health(&mut self, now: Instant, fed: bool) {
        let subscribed = self.wire.values().next().is_some();
        if subscribed && !fed {
            return;
        }
        let settled = self.wire.values().all(|w| w.state == WireState::Active);
        if self.backoff.frame(now.into_std(), settled) {
            tracing::debug!(url = %self.url, "connection healthy; backoff reset");
        }
    }

    /// Takes one text message read at `now`: decodes it, marks the
    /// connection alive (unless it is a pong), and routes channel data at
    /// once, without an await: the bulk of traffic costs no future.
    /// Returns what needs the async path (see [`Self::on_inbound`]).
    fn on_text(&mut self, text: &str, now: Instant, alive_at: &mut Instant) -> Option<NeedsSocket> {
        if self.in_place(text) {
            *alive_at = now;
            return None;
        }
        let inbound = match decode(text) {
            Ok(inbound) => inbound,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable frame ignored");
                return None;
            }
        };
        // Answers to our own pings do not prove the feed is alive.
        if !matches!(&inbound, Inbound::Response(r) if r.method() == "pong") {
            *alive_at = now;
        }
        match inbound {
            Inbound::Response(r) => Some(NeedsSocket::Response(r)),
            Inbound::Executions(_) | Inbound::Balances(_) => Some(NeedsSocket::Sequenced(inbound)),
            Inbound::Status(m) => Some(NeedsSocket::Status(m)),
            Inbound::Heartbeat | Inbound::Unknown(_) => None,
            data => {
                self.route(&data);
                // Every sink has read it (those keeping it cloned it): its
                // buffers go back to the decoder for the next frame.
                kraki_proto::recycle(data);
                None
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
        let mut deliver = |symbol: &str, apply: &mut dyn FnMut(&mut dyn Deliver) -> Delivered| {
            for w in wire.routed_mut(channel, Some(symbol)) {
                w.first_data_by = None;
                w.silence_retried = false;
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

    /// The earliest of every deadline: ping, pending requests, snapshot
    /// silence, and (with subscriptions) the idle watchdog.
    fn next_deadline(&self, alive_at: Instant, last_sent: Instant) -> Instant {
        let ping_deadline = last_sent + self.settings.ping_interval;
        let op_deadline = self
            .ops
            .iter()
            .map(|o| o.deadline)
            .chain(self.calls.iter().map(|c| c.deadline))
            .min();
        let silence_deadline = self
            .wire
            .values()
            .flat_map(|w| [w.first_data_by, w.ack_by])
            .flatten()
            .min();
        let idle_deadline = alive_at + self.settings.idle_timeout;
        [Some(ping_deadline), op_deadline, silence_deadline]
            .into_iter()
            .flatten()
            .chain(self.has_subscriptions().then_some(idle_deadline))
            .min()
            .unwrap_or(ping_deadline)
    }

    fn rearm_if_earlier(
        &self,
        timer: std::pin::Pin<&mut tokio::time::Sleep>,
        alive_at: Instant,
        last_sent: Instant,
    ) {
        let next = self.next_deadline(alive_at, last_sent);
        if next < timer.deadline() {
            timer.reset(next);
        }
    }

    /// A subscription acked but silent is resubscribed once; silent again,
    /// the connection is taken for broken and replaced.
    async fn check_silence(&mut self, now: Instant, socket: &mut Socket) -> Result<(), String> {
        let silent = self.wire_keys(|_, w| w.first_data_by.is_some_and(|by| by <= now));
        for key in silent {
            let Some(wire) = self.wire.get_mut(&key) else {
                continue;
            };
            if wire.silence_retried {
                return Err(format!(
                    "{} {} acknowledged but silent after a resubscribe",
                    key.channel,
                    key.symbol.as_deref().unwrap_or("")
                ));
            }
            tracing::warn!(channel = %key.channel, symbol = ?key.symbol, "acknowledged but silent; resubscribing");
            wire.silence_retried = true;
            wire.first_data_by = None;
            self.subscribe_again(&key, socket).await?;
        }
        // Subscribes sent without an ack in time (those of a subscribe
        // call have already failed it in `expire_ops`; these are
        // resubscribes after a reconnect or a resync, which nobody awaits):
        // subscribed again once, then the connection is replaced, so a
        // stream is never left waiting for `Reconnected` forever.
        let unacked = self.wire_keys(|_, w| {
            matches!(w.state, WireState::Pending(_)) && w.ack_by.is_some_and(|by| by <= now)
        });
        for key in unacked {
            let Some(wire) = self.wire.get_mut(&key) else {
                continue;
            };
            if wire.ack_retried {
                return Err(format!(
                    "no ack for {} {} after subscribing twice",
                    key.channel,
                    key.symbol.as_deref().unwrap_or("")
                ));
            }
            tracing::warn!(channel = %key.channel, symbol = ?key.symbol, "no subscribe ack in time; subscribing again");
            wire.ack_retried = true;
            wire.ack_by = None;
            self.subscribe_again(&key, socket).await?;
        }
        self.send_unsent(socket).await
    }

    /// The keys of the wire subscriptions `pick` selects.
    fn wire_keys(&self, pick: impl Fn(&WireKey, &Wire) -> bool) -> Vec<WireKey> {
        self.wire
            .iter()
            .filter(|(k, w)| pick(k, w))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Marks a wire subscription to be subscribed afresh (by
    /// `send_unsent`), unsubscribing it first: it may have taken effect
    /// without our hearing of it.
    async fn subscribe_again(&mut self, key: &WireKey, socket: &mut Socket) -> Result<(), String> {
        let Some(wire) = self.wire.get_mut(key) else {
            return Ok(());
        };
        wire.state = WireState::Unsent;
        let params = unsubscribe_params(wire.params.clone());
        let req = Request::new(Method::Unsubscribe(params), self.req_id());
        send(socket, &req).await
    }

    /// Whether the idle watchdog has something to watch: subscriptions
    /// acked (data or heartbeats are due) or waiting for their ack.
    fn has_subscriptions(&self) -> bool {
        self.wire
            .values()
            .any(|w| matches!(w.state, WireState::Active | WireState::Pending(_)))
    }

    fn req_id(&mut self) -> ReqId {
        let id = ReqId(self.next_req_id);
        self.next_req_id += 1;
        id
    }

    async fn on_command(
        &mut self,
        command: Command,
        mut socket: Option<&mut Socket>,
    ) -> Result<(), String> {
        match command {
            Command::Subscribe {
                params,
                sink,
                fresh,
                reply,
            } => {
                let id = SubId(self.next_sub_id);
                self.next_sub_id += 1;
                let keys = WireKey::split(&params);
                let mut waiting = HashSet::new();
                for key in &keys {
                    let wire = self.wire.get_or_insert_with(key, || Wire {
                        params: single_symbol(&params, key),
                        state: WireState::Unsent,
                        subscribers: Vec::new(),
                        first_data_by: None,
                        silence_retried: false,
                        token_generation: 0,
                        token_retried: false,
                        ack_by: None,
                        ack_retried: false,
                    });
                    wire.subscribers.push(id);
                    if wire.state != WireState::Active {
                        waiting.insert(key.clone());
                    }
                }
                if fresh {
                    let active: Vec<WireKey> = keys
                        .iter()
                        .filter(|k| {
                            self.wire
                                .get(k)
                                .is_some_and(|w| w.state == WireState::Active)
                        })
                        .cloned()
                        .collect();
                    waiting.extend(active.iter().cloned());
                    if socket.is_some() {
                        // Marked unsent here; sent below with the others.
                        let mut unsubscribes = Vec::new();
                        for key in &active {
                            if let Some(wire) = self.wire.get_mut(key) {
                                unsubscribes.push(unsubscribe_params(wire.params.clone()));
                                wire.state = WireState::Unsent;
                            }
                        }
                        if let Some(socket) = socket.as_deref_mut() {
                            for params in unsubscribes {
                                self.send_method(socket, Method::Unsubscribe(params))
                                    .await?;
                            }
                        }
                    }
                }
                if let Some(channel) = decoded_channel(&keys, sink.as_ref()) {
                    self.decoded_readers.add(channel);
                }
                self.locals.insert(
                    id,
                    Local {
                        keys,
                        sink,
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
                        deadline: Instant::now() + self.settings.request_timeout,
                    });
                }
                if let Some(socket) = socket {
                    self.send_unsent(socket).await?;
                }
            }
            Command::Release(id) => {
                let gone = self.detach(id);
                if let Some(socket) = socket {
                    for params in gone {
                        self.send_method(socket, Method::Unsubscribe(params))
                            .await?;
                    }
                }
            }
            Command::Resync(id) => {
                let keys = self
                    .locals
                    .get(&id)
                    .map(|l| l.keys.clone())
                    .unwrap_or_default();
                self.resubscribe(&keys, socket).await?;
            }
            Command::Call {
                method,
                expected,
                reply,
            } => {
                let name = method.name();
                let Some(socket) = socket else {
                    let _ = reply.send(Err(Error::NotConnected(name)));
                    return Ok(());
                };
                // Kept only where a stale-token refusal can make it worth
                // sending again.
                let request = self.token_source.is_some().then(|| (*method).clone());
                let req_id = self.send_method(socket, *method).await?;
                self.calls.push(PendingCall {
                    req_id,
                    method: name,
                    request,
                    token_generation: self.token_generation,
                    expected: expected.max(1),
                    responses: Vec::new(),
                    reply,
                    deadline: Instant::now() + self.settings.request_timeout,
                });
            }
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
        Ok(())
    }

    /// Unsubscribes and subscribes `keys` again, for a fresh snapshot.
    /// Without a socket they are marked for the reconnect to resubscribe.
    async fn resubscribe(
        &mut self,
        keys: &[WireKey],
        socket: Option<&mut Socket>,
    ) -> Result<(), String> {
        let mut unsubscribes = Vec::new();
        for key in keys {
            if let Some(wire) = self.wire.get_mut(key) {
                // A pending subscribe may have taken effect: without an
                // unsubscribe first, the new one would be `Already
                // subscribed`.
                if wire.state != WireState::Unsent {
                    unsubscribes.push(unsubscribe_params(wire.params.clone()));
                }
                wire.state = WireState::Unsent;
            }
        }
        if let Some(socket) = socket {
            for params in unsubscribes {
                self.send_method(socket, Method::Unsubscribe(params))
                    .await?;
            }
            self.send_unsent(socket).await?;
        }
        Ok(())
    }

    /// Sends `method` with a new req_id and, on an authenticated
    /// connection, the current token where Kraken wants one.
    async fn send_method(
        &mut self,
        socket: &mut Socket,
        mut method: Method,
    ) -> Result<ReqId, String> {
        if let Some(token) = &self.token {
            authorize(&mut method, token);
        }
        let req_id = self.req_id();
        send(socket, &Request::new(method, req_id)).await?;
        Ok(req_id)
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
            if wire.subscribers.is_empty() {
                if let Some(wire) = self.wire.remove(&key) {
                    // A pending subscribe may have taken effect even if its
                    // ack never comes (a timeout): unsubscribing now leaves
                    // the server as the client believes it, whatever a
                    // late ack says. An unsent one has nothing to undo.
                    if wire.state != WireState::Unsent {
                        gone.push(unsubscribe_params(wire.params));
                    }
                }
            }
        }
        gone
    }

    /// Sends one subscribe per group of unsent keys that share params.
    async fn send_unsent(&mut self, socket: &mut Socket) -> Result<(), String> {
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
        for (params, keys) in groups {
            if paced {
                // After a reconnect many requests go out at once; a short
                // gap keeps them under Kraken's message rate.
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let req_id = self.send_method(socket, Method::Subscribe(params)).await?;
            let ack_by = Instant::now() + self.settings.request_timeout;
            for key in &keys {
                if let Some(wire) = self.wire.get_mut(key) {
                    wire.state = WireState::Pending(req_id);
                    wire.token_generation = self.token_generation;
                    wire.ack_by = Some(ack_by);
                }
            }
        }
        Ok(())
    }

    /// A message that may need the socket: responses (acks, trading
    /// answers), private channels (sequence checks, resnapshots), status.
    async fn on_inbound(
        &mut self,
        inbound: NeedsSocket,
        socket: &mut Socket,
    ) -> Result<(), String> {
        match inbound {
            NeedsSocket::Response(r) => match *r {
                Response::Subscribe(_) => self.on_subscribe_ack(&r, socket).await?,
                Response::Pong(_) | Response::Unsubscribe(_) => {}
                _ => self.on_call_response(&r, socket).await?,
            },
            NeedsSocket::Sequenced(inbound) => {
                if let Some((channel, expected, received)) = self.sequence_gap(&inbound) {
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
                    self.route(&inbound);
                    self.sequences.remove(channel);
                    self.resubscribe(&keys, Some(socket)).await?;
                } else {
                    self.route(&inbound);
                }
            }
            NeedsSocket::Status(m) => {
                if let Some(status) = m.data.last() {
                    tracing::info!(system = %status.system, "exchange status");
                    // The first status of a client is its starting point, not
                    // a change.
                    let changed = self
                        .status
                        .borrow()
                        .as_ref()
                        .is_some_and(|old| old.system != status.system);
                    self.status.send_replace(Some(status.clone()));
                    // Every stream hears of a change of the engine's state
                    // (maintenance, cancel_only, …), in order with its data.
                    if changed {
                        for local in self.locals.values_mut() {
                            local.sink.control(Control::Status(status.system.clone()));
                        }
                    }
                }
            }
        }
        self.resubscribe_wanting(socket).await
    }

    /// Resubscribes those that lost sync while a message was routed.
    async fn resubscribe_wanting(&mut self, socket: &mut Socket) -> Result<(), String> {
        for id in std::mem::take(&mut self.wants_snapshot) {
            let keys = self
                .locals
                .get(&id)
                .map(|l| l.keys.clone())
                .unwrap_or_default();
            self.resubscribe(&keys, Some(socket)).await?;
        }
        Ok(())
    }

    fn route(&mut self, msg: &Inbound) {
        let Some(channel) = msg.channel() else { return };
        let symbol = msg.symbol().map(|s| s.as_str());
        for handler in &mut self.handlers {
            handler.deliver(msg, symbol);
        }
        for wire in self.wire.routed_mut(channel, symbol) {
            wire.first_data_by = None;
            wire.silence_retried = false;
            for id in &wire.subscribers {
                if let Some(local) = self.locals.get_mut(id) {
                    if local.sink.deliver(msg, symbol) == Delivered::WantsSnapshot {
                        self.wants_snapshot.push(*id);
                    }
                }
            }
        }
    }

    /// Hands a trading response to the call that sent its req_id. A call
    /// refused for a stale token was not executed, so it is sent once more
    /// with a fresh token.
    async fn on_call_response(&mut self, r: &Response, socket: &mut Socket) -> Result<(), String> {
        let Some(req_id) = r.req_id() else {
            tracing::debug!(method = r.method(), "response without req_id ignored");
            return Ok(());
        };
        let Some(i) = self.calls.iter().position(|c| c.req_id == req_id) else {
            return Ok(());
        };
        if r.error().is_some_and(is_stale_token) && self.calls[i].request.is_some() {
            let mut call = self.calls.swap_remove(i);
            let used = call.token_generation;
            if let Err(e) = self.refresh_token(used).await {
                let _ = call.reply.send(Err(e));
                return Ok(());
            }
            let Some(request) = call.request.take() else {
                return Ok(());
            };
            tracing::info!(
                method = call.method,
                "token refused as stale; sending again with a fresh one"
            );
            call.req_id = self.send_method(socket, request).await?;
            call.token_generation = self.token_generation;
            call.responses.clear();
            self.calls.push(call);
            return Ok(());
        }
        self.calls[i].responses.push(r.clone());
        if self.calls[i].responses.len() >= self.calls[i].expected {
            let call = self.calls.swap_remove(i);
            let _ = call.reply.send(Ok(call.responses));
        }
        Ok(())
    }

    /// Fetches a new token unless one was fetched since generation `used`
    /// (several requests refused for the same stale token, one refresh).
    async fn refresh_token(&mut self, used: u64) -> Result<(), Error> {
        if used != self.token_generation {
            return Ok(());
        }
        let Some(source) = &self.token_source else {
            return Ok(());
        };
        self.token = Some(source.token().await?);
        self.token_generation += 1;
        Ok(())
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

    async fn on_subscribe_ack(&mut self, r: &Response, socket: &mut Socket) -> Result<(), String> {
        let Some(req_id) = r.req_id() else {
            return Ok(());
        };
        let symbol = r.symbol().map(|s| s.as_str().to_owned());
        // An error without a symbol (e.g. an unknown channel) concerns every
        // key of the request.
        let keys: Vec<WireKey> = self
            .wire
            .iter()
            .filter(|(k, w)| {
                w.state == WireState::Pending(req_id) && (symbol.is_none() || k.symbol == symbol)
            })
            .map(|(k, _)| k.clone())
            .collect();
        if keys.is_empty() {
            // A late ack for a subscribe given up while pending: the
            // unsubscribe sent then already undid it on the server, and
            // another one now could end a newer subscription of the same
            // key.
            return Ok(());
        }
        if r.error().is_some_and(is_stale_token) && self.token_source.is_some() {
            let retry: Vec<WireKey> = keys
                .iter()
                .filter(|k| self.wire.get(k).is_some_and(|w| !w.token_retried))
                .cloned()
                .collect();
            if !retry.is_empty() {
                let used = retry
                    .iter()
                    .filter_map(|k| self.wire.get(k))
                    .map(|w| w.token_generation)
                    .min()
                    .unwrap_or(self.token_generation);
                match self.refresh_token(used).await {
                    Ok(()) => {
                        tracing::info!(
                            "subscription refused for a stale token; subscribing again with a fresh one"
                        );
                        for key in &retry {
                            if let Some(wire) = self.wire.get_mut(key) {
                                wire.state = WireState::Unsent;
                                wire.token_retried = true;
                            }
                        }
                        return self.send_unsent(socket).await;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not refresh the token"),
                }
            }
        }
        let rejection = (!r.success()).then(|| Rejection {
            symbol: symbol.clone(),
            error: r.error().unwrap_or("unknown error").to_owned(),
        });
        for key in &keys {
            match &rejection {
                None => {
                    let silence = self.settings.request_timeout;
                    if let Some(wire) = self.wire.get_mut(key) {
                        wire.state = WireState::Active;
                        wire.token_retried = false;
                        wire.ack_by = None;
                        wire.ack_retried = false;
                        if wire.expects_snapshot() {
                            wire.first_data_by = Some(Instant::now() + silence);
                        }
                    }
                }
                Some(_) => {
                    self.wire.remove(key);
                }
            }
        }
        let unused = self.settle_ops(&keys, rejection.as_ref());
        self.announce_reconnected(&keys);
        for params in unused {
            self.send_method(socket, Method::Unsubscribe(params))
                .await?;
        }
        Ok(())
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

    /// Fails the calls and subscribes past their deadline.
    fn expire_ops(&mut self, now: Instant) -> Expired {
        let timeout = self.settings.request_timeout;
        let timeout_ms = timeout.as_millis();
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
            let _ = call.reply.send(Err(Error::OutcomeUnknown {
                method: call.method,
                reason: format!("no answer within {timeout_ms} ms"),
                cl_ord_id: None,
            }));
        }
        let (expired, kept): (Vec<PendingOp>, Vec<PendingOp>) =
            self.ops.drain(..).partition(|op| op.deadline <= now);
        self.ops = kept;
        let mut gone = Vec::new();
        for op in expired {
            gone.extend(self.detach(op.id));
            let _ = op.reply.send(Err(Error::Timeout {
                method: "subscribe",
                timeout_ms: self.settings.request_timeout.as_millis() as u64,
            }));
        }
        Expired {
            latest_sent,
            unsubscribe: gone,
        }
    }

    /// Tells subscribers whose every key is active again that the
    /// connection is back.
    fn announce_reconnected(&mut self, keys: &[WireKey]) {
        let wire = &self.wire;
        for local in self.locals.values_mut() {
            if !local.reconnecting || !local.keys.iter().any(|k| keys.contains(k)) {
                continue;
            }
            let all_active = local
                .keys
                .iter()
                .all(|k| wire.get(k).is_some_and(|w| w.state == WireState::Active));
            if all_active {
                local.reconnecting = false;
                local.sink.control(Control::Reconnected);
            }
        }
    }

    fn on_disconnect(&mut self) {
        for call in self.calls.drain(..) {
            let _ = call.reply.send(Err(Error::OutcomeUnknown {
                method: call.method,
                reason: "the connection was lost before the answer".to_owned(),
                cl_ord_id: None,
            }));
        }
        // Sequence numbers are per connection.
        self.sequences.clear();
        for wire in self.wire.values_mut() {
            wire.state = WireState::Unsent;
            // A new connection starts the silence and ack checks afresh.
            wire.first_data_by = None;
            wire.silence_retried = false;
            wire.ack_by = None;
            wire.ack_retried = false;
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
    }

    /// Reconnects with backoff, serving commands meanwhile. `None` when the
    /// client was closed.
    async fn reconnect(&mut self) -> Option<Socket> {
        loop {
            let at: Instant = self.backoff.next_attempt(Instant::now().into_std()).into();
            loop {
                tokio::select! {
                    () = sleep_until(at) => break,
                    command = self.commands.recv() => match command {
                        None => return None,
                        Some(Command::Close(done)) => {
                            self.shutdown();
                            let _ = done.send(());
                            return None;
                        }
                        // Queued until the connection is back: the command
                        // changes state only; nothing is sent without a socket.
                        Some(command) => { let _ = self.on_command(command, None).await; }
                    },
                }
            }
            match self.open().await {
                Ok(socket) => {
                    tracing::info!(url = %self.url, "reconnected");
                    self.backoff.opened();
                    return Some(socket);
                }
                Err(e) => {
                    tracing::warn!(url = %self.url, error = %e, "reconnect failed");
                    self.backoff.failed();
                    self.fail_waiting_if_exhausted(&e.to_string());
                }
            }
        }
    }

    /// Ends every stream: dropping the sinks disconnects their receivers.
    fn shutdown(&mut self) {
        for op in self.ops.drain(..) {
            let _ = op.reply.send(Err(Error::Closed));
        }
        for call in self.calls.drain(..) {
            let _ = call.reply.send(Err(Error::OutcomeUnknown {
                method: call.method,
                reason: "the client was closed before the answer".to_owned(),
                cl_ord_id: None,
            }));
        }
        self.locals.clear();
        self.handlers.clear();
        self.decoded_readers.clear();
        self.wire.clear();
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
/// is one that could be applied in place (see [`Driver::in_place`]). A
/// subscription is of one channel.
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

async fn send(socket: &mut Socket, request: &Request) -> Result<(), String> {
    let text = request.encode().map_err(|e| e.to_string())?;
    tracing::trace!(method = request.method.name(), "send");
    socket.send_text(&text).await
}
