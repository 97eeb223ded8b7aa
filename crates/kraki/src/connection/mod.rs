//! The connection core: one WebSocket connection's state, without IO and
//! without a clock.
//!
//! The driver (`driver.rs`) tells it what happened, with the time it
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

mod commands;
mod deadlines;
mod frames;
mod lifecycle;
mod responses;
mod sending;
mod warm;
pub(crate) use warm::WARM_GROUP;

use crate::backoff::{Backoff, Pacing};
use crate::client_metrics::ConnectionMetrics;
use crate::command::SubId;
use crate::decoded_readers::DecodedReaders;
use crate::fast_hash::WordMap;
use crate::pending::{PendingCall, PendingOp};
use crate::settings::Settings;
use crate::sink::Deliver;
use crate::snapshot_share::View;
use crate::wire::Wire;
use crate::wire_table::{WireKey, WireTable};
use kraki_proto::book::FrameParser;
use kraki_proto::channels::Status;
use kraki_proto::{Channel, Method, Token};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A request to send, encoded. No `Debug`: the text may carry the token.
pub(crate) struct Transmit {
    pub(crate) text: String,
    /// One of several subscribes sent at once (after a reconnect): the
    /// driver spaces them to stay under Kraken's message rate.
    pub(crate) paced: bool,
}

/// What the core needs the driver for, besides sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Kraken refused a stale token: fetch a fresh one and hand it to
    /// [`Connection::handle_token`].
    Token,
    /// The connection is broken: close it, tell
    /// [`Connection::handle_disconnect`], reconnect.
    Reconnect(LostReason),
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
        channel: Channel,
        symbol: Option<String>,
    },
    /// Subscribed twice without an ack.
    Unacked {
        channel: Channel,
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
    /// A [`Needs::Token`] is out and not yet answered.
    awaiting_token: bool,
    parked: Vec<ParkedCall>,
    calls: Vec<PendingCall>,
    /// Last `sequence` seen per private channel on this connection.
    sequences: HashMap<&'static str, u64>,
    status: watch::Sender<Option<Status>>,
    wire: WireTable<Wire>,
    locals: WordMap<SubId, Local>,
    /// Handlers registered with `Client::on` (every message of a type)
    /// and `Client::on_connection` (connection events only).
    handlers: Vec<Box<dyn Deliver>>,
    /// Handlers were told `Reconnecting` and not yet `Reconnected` (which
    /// they are told once every wire subscription is acked again).
    handlers_reconnecting: bool,
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
    /// A `Reconnect` is asked for: nothing more happens on this connection.
    lost: bool,
    closed: bool,
    /// Data or a heartbeat last arrived (the idle watchdog).
    alive_at: Instant,
    /// Any frame at all last arrived, pongs included: proof the socket
    /// still carries answers, for requests that went unanswered.
    heard_at: Instant,
    /// Something was last sent (the ping timer).
    last_sent: Instant,
    /// Every subscription's state was last looked at for the backoff
    /// (`check_health`).
    health_sampled_at: Option<Instant>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Needs>,
    /// A deadline may have moved earlier since the driver last asked.
    timer_moved: bool,
    /// Counters for the program's `metrics` recorder (feature `metrics`).
    metrics: ConnectionMetrics,
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
            handlers_reconnecting: false,
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
            health_sampled_at: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            timer_moved: true,
            metrics: ConnectionMetrics::new(),
        }
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub(crate) fn poll_event(&mut self) -> Option<Needs> {
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
}

#[cfg(test)]
mod tests;
