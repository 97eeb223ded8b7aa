//! One connection's requests and subscriptions: every request gets its
//! responses (acks, errors, snapshots) in order, and each subscription a
//! task forwarding its feed's updates.

use crate::ack;
use crate::clock;
use crate::endpoint::Endpoint;
use crate::engine::EngineCommand;
use crate::fault_plan::SUBSCRIPTION_REJECTED;
use crate::feed_table::FeedKey;
use crate::feeds;
use crate::forwarders::{forward_feed, forward_private};
use crate::frame_queue::FrameSender;
use crate::history::INTERVALS;
use crate::level3::LEVEL3_DEPTHS;
use crate::private_feeds::{self, PrivateChannel};
use crate::shared::Shared;
use kraki_proto::{Channel, DecodeErrorKind, Method, SubscribeParams, Timestamp, decode_request};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

/// Params Kraken accepts in subscribe and unsubscribe; anything else is
/// answered with `Unsupported field: '<name>'`.
const SUBSCRIBE_FIELDS: &[&str] = &[
    "channel",
    "symbol",
    "depth",
    "interval",
    "event_trigger",
    "snapshot",
    "token",
    "snap_orders",
    "snap_trades",
    "order_status",
    "ratecounter",
    "rebased",
    "users",
    "include_tokenized_assets",
    "execution_venue",
    "snapshot_trades",
];

const BOOK_DEPTHS: [u32; 5] = [10, 25, 100, 500, 1000];

/// Kraken's wording for a bad depth or interval is not known (protocol
/// reference §11.6); these follow its `EGeneral:Invalid arguments:<detail>`
/// pattern, the closest documented analogue.
const BAD_DEPTH: &str = "EGeneral:Invalid arguments:depth";
const BAD_INTERVAL: &str = "EGeneral:Invalid arguments:interval";
const NO_SYMBOL: &str = "EGeneral:Invalid arguments:symbol";

/// What identifies a subscription on a connection. Book depth is not part
/// of it: book data does not say its depth, so a second depth of the same
/// pair could not be told apart and is `Already subscribed`. Candles carry
/// their interval, so each interval is its own subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SubKey {
    channel: Channel,
    symbol: Option<String>,
    interval: Option<u32>,
}

struct Sub {
    forwarder: AbortHandle,
    /// The book depth subscribed, which an unsubscribe must match.
    depth: Option<u32>,
    /// The effective params an unsubscribe ack echoes.
    echo: Value,
}

/// A connection's subscriptions.
pub(crate) struct Session {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    subs: HashMap<SubKey, Sub>,
    frames: FrameSender,
    /// Fault: every subscribe is refused.
    reject_subscriptions: bool,
}

impl Session {
    pub(crate) fn new(shared: Arc<Shared>, endpoint: Endpoint, frames: FrameSender) -> Session {
        Session {
            shared,
            endpoint,
            subs: HashMap::new(),
            frames,
            reject_subscriptions: false,
        }
    }

    /// Fault: while on, every subscribe is refused with
    /// [`SUBSCRIPTION_REJECTED`].
    pub(crate) fn set_reject_subscriptions(&mut self, on: bool) {
        self.reject_subscriptions = on;
    }

    /// Whether heartbeats are due: only once something is subscribed.
    pub(crate) fn has_subscriptions(&self) -> bool {
        !self.subs.is_empty()
    }

    /// Stops every forwarder.
    pub(crate) fn stop(&mut self) {
        for (_, sub) in self.subs.drain() {
            sub.forwarder.abort();
        }
    }

    /// The frames to send in answer to one request, in order.
    pub(crate) async fn on_request(&mut self, text: &str) -> Vec<String> {
        let time_in = clock::now(6);
        let request = match decode_request(text) {
            Ok(r) => r,
            Err(e) => {
                let raw: Option<Value> = serde_json::from_str(text).ok();
                let method = raw
                    .as_ref()
                    .and_then(|v| v.get("method")?.as_str().map(str::to_owned));
                let req_id = raw.as_ref().and_then(|v| v.get("req_id")?.as_u64());
                let message = match e.kind() {
                    DecodeErrorKind::ParamsNotAllowed => e.message().to_owned(),
                    _ if symbol_not_array(raw.as_ref(), method.as_deref()) => {
                        "Symbol field must be an array".to_owned()
                    }
                    _ => "Unsupported event".to_owned(),
                };
                return vec![ack::error(
                    method.as_deref(),
                    req_id,
                    &message,
                    None,
                    time_in,
                )];
            }
        };
        let req_id = request.req_id.map(|r| r.0);
        if let Some(field) = unsupported_field(text) {
            return vec![ack::error(
                Some(request.method.name()),
                req_id,
                &format!("Unsupported field: '{field}'"),
                None,
                time_in,
            )];
        }
        match request.method {
            Method::Ping => vec![ack::pong(req_id, time_in)],
            Method::Subscribe(params) => self.subscribe(params, req_id, time_in).await,
            Method::Unsubscribe(params) => self.unsubscribe(&params, req_id, time_in),
            other => self.trade(other, text, req_id, time_in).await,
        }
    }

    /// A trading method: Kraken's session errors, its type errors on
    /// numbers sent as strings, then the engine's answer. Trading is
    /// served on `/auth/v2` only; elsewhere it is an unknown session.
    async fn trade(
        &mut self,
        method: Method,
        text: &str,
        req_id: Option<u64>,
        time_in: Timestamp,
    ) -> Vec<String> {
        let name = method.name();
        let account = match method_token(&method) {
            None => {
                return vec![ack::error(
                    Some(name),
                    req_id,
                    "Token(s) not found",
                    None,
                    time_in,
                )];
            }
            Some(t) => match self.shared.auth.account_of(t) {
                Some(account) if self.endpoint == Endpoint::Private => account,
                _ => return vec![ack::invalid_session(name, req_id, time_in)],
            },
        };
        if let Some(error) = crate::trading_checks::wire_error(text) {
            return vec![ack::error(Some(name), req_id, &error, None, time_in)];
        }
        let (reply, answer) = oneshot::channel();
        let command = EngineCommand::Trade {
            account,
            method: Box::new(method),
            req_id,
            time_in,
            reply,
        };
        if self.shared.engine.send(command).await.is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    /// A private subscribe on `/auth/v2`: the token names the account; the
    /// ack, the snapshot (sequence 1) and a forwarder numbering updates.
    async fn subscribe_private(
        &mut self,
        params: &SubscribeParams,
        req_id: Option<u64>,
        time_in: Timestamp,
    ) -> Vec<String> {
        let err = |e: &str| ack::error(Some("subscribe"), req_id, e, None, time_in);
        let Some(token) = params.token.as_ref().map(|t| t.expose()) else {
            return vec![err("Token(s) not found")];
        };
        let Some(account) = self.shared.auth.account_of(token) else {
            return vec![ack::invalid_session("subscribe", req_id, time_in)];
        };
        let key = sub_key(params, None);
        if self.subs.contains_key(&key) {
            return vec![err("Already subscribed")];
        }
        let (reply, attached) = oneshot::channel();
        let attach = EngineCommand::AttachPrivate { account, reply };
        if self.shared.engine.send(attach).await.is_err() {
            return Vec::new();
        }
        let Ok(attached) = attached.await else {
            return Vec::new();
        };
        self.shared.auth.keep_alive(token);
        let mut out = Vec::new();
        let echo = json!({"channel": params.channel.as_str()});
        let (snapshot, channel) = if params.channel == Channel::Executions {
            let snap_orders = params.snap_orders.or(params.snapshot).unwrap_or(true);
            let snap_trades = params
                .snap_trades
                .or(params.snapshot_trades)
                .unwrap_or(false);
            let order_status = params.order_status.unwrap_or(true);
            let result = json!({
                "channel": "executions",
                "maxratecount": self.shared.max_rate_count,
                "snap_orders": snap_orders,
                "snap_trades": snap_trades,
            });
            out.push(ack::ok("subscribe", req_id, result, time_in));
            let mut data = Vec::new();
            if snap_orders {
                data.extend(attached.open_orders);
            }
            if snap_trades {
                data.extend(attached.recent_fills);
            }
            let snapshot = (snap_orders || snap_trades)
                .then(|| private_feeds::frame("executions", "snapshot", data, 1));
            (snapshot, PrivateChannel::Executions { order_status })
        } else {
            let snapshot = params.snapshot.unwrap_or(true);
            let result = json!({"channel": "balances", "snapshot": snapshot});
            out.push(ack::ok("subscribe", req_id, result, time_in));
            let frame = snapshot
                .then(|| private_feeds::frame("balances", "snapshot", attached.balances, 1));
            (frame, PrivateChannel::Balances)
        };
        let first = if snapshot.is_some() { 2 } else { 1 };
        let forwarder = if self.shared.faults.borrow().mute {
            tokio::spawn(std::future::pending::<()>())
        } else {
            out.extend(snapshot);
            tokio::spawn(forward_private(
                attached.updates,
                self.frames.clone(),
                channel,
                first,
                self.shared.faults.clone(),
            ))
        };
        let sub = Sub {
            forwarder: forwarder.abort_handle(),
            depth: None,
            echo,
        };
        self.subs.insert(key, sub);
        out
    }

    async fn subscribe(
        &mut self,
        params: SubscribeParams,
        req_id: Option<u64>,
        time_in: Timestamp,
    ) -> Vec<String> {
        let err = |e: &str, symbol: Option<&str>| {
            ack::error(Some("subscribe"), req_id, e, symbol, time_in)
        };
        if self.reject_subscriptions {
            // One error per symbol, as Kraken's per-symbol errors come, so a
            // client waiting on each symbol's ack hears about every one.
            let symbols = symbols_of(&params).unwrap_or_else(|| vec![None]);
            return symbols
                .iter()
                .map(|s| err(SUBSCRIPTION_REJECTED, s.as_deref()))
                .collect();
        }
        let channel = params.channel.clone();
        match channel {
            Channel::Book
            | Channel::Ticker
            | Channel::Trade
            | Channel::Ohlc
            | Channel::Instrument => {}
            // Served on its own endpoint since December 2025 (§1).
            Channel::Level3 if self.endpoint == Endpoint::Level3 => {
                match params.token.as_ref().map(|t| t.expose()) {
                    None => return vec![err("Token(s) not found", None)],
                    Some(t) if !self.shared.auth.token_is_valid(t) => {
                        return vec![err("ESession:Invalid session", None)];
                    }
                    Some(_) => {}
                }
                if params.depth.is_some_and(|d| !LEVEL3_DEPTHS.contains(&d)) {
                    return vec![err(BAD_DEPTH, None)];
                }
            }
            Channel::Executions | Channel::Balances if self.endpoint == Endpoint::Private => {
                return self.subscribe_private(&params, req_id, time_in).await;
            }
            Channel::Level3 | Channel::Executions | Channel::Balances => {
                // Served on another endpoint: Kraken's answer to a token
                // that is no session here.
                return match params.token {
                    None => vec![err("Token(s) not found", None)],
                    Some(_) => vec![ack::invalid_session("subscribe", req_id, time_in)],
                };
            }
            Channel::Status => {
                // Kraken answers with the status payload and an error.
                let system = self.shared.system.borrow().clone();
                return vec![status_frame(system, None), err("Symbol(s) not found", None)];
            }
            _ => return vec![err("Subscription name invalid", None)],
        }
        if channel == Channel::Book && params.depth.is_some_and(|d| !BOOK_DEPTHS.contains(&d)) {
            return vec![err(BAD_DEPTH, None)];
        }
        if channel == Channel::Ohlc && !INTERVALS.contains(&interval_of(&params)) {
            return vec![err(BAD_INTERVAL, None)];
        }
        let Some(symbols) = symbols_of(&params) else {
            return vec![err(NO_SYMBOL, None)];
        };
        let mut out = Vec::new();
        for symbol in symbols {
            let market = match &symbol {
                Some(s) => match self.shared.specs.iter().position(|p| &p.symbol == s) {
                    Some(i) => i,
                    None => {
                        out.push(err(&format!("Currency pair not supported {s}"), Some(s)));
                        continue;
                    }
                },
                None => 0,
            };
            let key = sub_key(&params, symbol.clone());
            if self.subs.contains_key(&key) {
                out.push(err("Already subscribed", symbol.as_deref()));
                continue;
            }
            let (feed, result, echo) = feed_for(&params, market, symbol.as_deref());
            // Trade snapshots default to true too, as the live server does.
            let snapshot = params.snapshot.unwrap_or(true);
            let (reply, attached) = oneshot::channel();
            let attach = EngineCommand::Attach {
                key: feed,
                snapshot,
                reply,
            };
            if self.shared.engine.send(attach).await.is_err() {
                return out;
            }
            let Ok(attached) = attached.await else {
                return out;
            };
            out.push(ack::ok("subscribe", req_id, result, time_in));
            let forwarder = if self.shared.faults.borrow().mute {
                // Fault: acknowledged, then silent.
                tokio::spawn(std::future::pending::<()>())
            } else {
                out.extend(attached.snapshot);
                tokio::spawn(forward_feed(attached.updates, self.frames.clone()))
            };
            let sub = Sub {
                forwarder: forwarder.abort_handle(),
                depth: params
                    .depth
                    .or(matches!(channel, Channel::Book | Channel::Level3).then_some(10)),
                echo,
            };
            self.subs.insert(key, sub);
        }
        out
    }

    fn unsubscribe(
        &mut self,
        params: &SubscribeParams,
        req_id: Option<u64>,
        time_in: Timestamp,
    ) -> Vec<String> {
        let err = |e: &str, symbol: Option<&str>| {
            ack::error(Some("unsubscribe"), req_id, e, symbol, time_in)
        };
        match params.channel {
            Channel::Book
            | Channel::Ticker
            | Channel::Trade
            | Channel::Ohlc
            | Channel::Instrument
            | Channel::Level3
            | Channel::Executions
            | Channel::Balances => {}
            _ => return vec![err("Subscription name invalid", None)],
        }
        if matches!(params.channel, Channel::Executions | Channel::Balances) {
            return match self.subs.remove(&sub_key(params, None)) {
                Some(sub) => {
                    sub.forwarder.abort();
                    vec![ack::ok("unsubscribe", req_id, sub.echo, time_in)]
                }
                None => vec![err("Subscription Not Found", None)],
            };
        }
        let Some(symbols) = symbols_of(params) else {
            return vec![err(NO_SYMBOL, None)];
        };
        let mut out = Vec::new();
        for symbol in symbols {
            let key = sub_key(params, symbol.clone());
            // A book or level3 unsubscribe names the subscribed depth (10
            // if omitted).
            let depth_matches = |sub: &Sub| {
                !matches!(params.channel, Channel::Book | Channel::Level3)
                    || params.depth.unwrap_or(10) == sub.depth.unwrap_or(10)
            };
            match self.subs.get(&key) {
                Some(sub) if depth_matches(sub) => {
                    sub.forwarder.abort();
                    out.push(ack::ok("unsubscribe", req_id, sub.echo.clone(), time_in));
                    self.subs.remove(&key);
                }
                _ => out.push(err("Subscription Not Found", symbol.as_deref())),
            }
        }
        out
    }
}

/// The token of a trading request.
fn method_token(method: &Method) -> Option<&str> {
    let token = match method {
        Method::AddOrder(p) => p.token.as_ref(),
        Method::AmendOrder(p) => p.token.as_ref(),
        Method::EditOrder(p) => p.token.as_ref(),
        Method::CancelOrder(p) => p.token.as_ref(),
        Method::CancelAll(p) => p.token.as_ref(),
        Method::CancelAllOrdersAfter(p) => p.token.as_ref(),
        Method::BatchAdd(p) => p.token.as_ref(),
        Method::BatchCancel(p) => p.token.as_ref(),
        _ => None,
    };
    token.map(|t| t.expose())
}

/// The `status` message sent on connect (and with a status subscribe).
pub(crate) fn status_frame(
    system: kraki_proto::channels::SystemStatus,
    connection_id: Option<u64>,
) -> String {
    feeds::frame(
        "status",
        "update",
        [kraki_proto::channels::Status {
            system,
            api_version: Some("v2".to_owned()),
            connection_id,
            version: Some("2.0.10".to_owned()),
        }],
    )
}

/// The symbols a request is about: `[None]` for `instrument`, which has
/// none; `None` when a channel that needs symbols got none.
fn symbols_of(params: &SubscribeParams) -> Option<Vec<Option<String>>> {
    if params.channel == Channel::Instrument {
        return Some(vec![None]);
    }
    match &params.symbol {
        Some(list) if !list.is_empty() => {
            Some(list.iter().map(|s| Some(s.as_str().to_owned())).collect())
        }
        _ => None,
    }
}

/// The ohlc interval asked for. v2 documents no default; 1 minute (v1's
/// default) is taken and echoed in the ack, so the client sees it.
fn interval_of(params: &SubscribeParams) -> u32 {
    params.interval.unwrap_or(1)
}

fn sub_key(params: &SubscribeParams, symbol: Option<String>) -> SubKey {
    SubKey {
        channel: params.channel.clone(),
        symbol,
        interval: (params.channel == Channel::Ohlc).then(|| interval_of(params)),
    }
}

/// The engine feed, the subscribe ack's `result` and the unsubscribe
/// ack's `result` for one symbol.
fn feed_for(
    params: &SubscribeParams,
    market: usize,
    symbol: Option<&str>,
) -> (FeedKey, Value, Value) {
    let mut result = json!({"channel": params.channel.as_str()});
    if let Some(s) = symbol {
        result["symbol"] = s.into();
    }
    let mut warnings = None;
    let key = match params.channel {
        Channel::Book => {
            let depth = params.depth.unwrap_or(10);
            result["depth"] = depth.into();
            FeedKey::Book {
                market,
                depth: depth as usize,
            }
        }
        Channel::Ticker => {
            let bbo = params
                .event_trigger
                .as_ref()
                .is_some_and(|t| t.as_str() == "bbo");
            result["event_trigger"] = if bbo { "bbo" } else { "trades" }.into();
            FeedKey::Ticker { market, bbo }
        }
        Channel::Ohlc => {
            let interval = interval_of(params);
            result["interval"] = interval.into();
            warnings = Some(json!(["timestamp is deprecated, use interval_begin"]));
            FeedKey::Ohlc { market, interval }
        }
        Channel::Instrument => {
            warnings = Some(json!(["tick_size is deprecated, use price_increment"]));
            FeedKey::Instrument
        }
        Channel::Level3 => {
            // The live ack names the depth only when it was asked for.
            if let Some(depth) = params.depth {
                result["depth"] = depth.into();
            }
            FeedKey::Level3 {
                market,
                depth: params.depth.unwrap_or(10) as usize,
            }
        }
        _ => FeedKey::Trade { market },
    };
    // Unsubscribe acks echo the identity (channel, symbol, depth, interval,
    // event_trigger) but not `snapshot` or `warnings`.
    let echo = result.clone();
    result["snapshot"] = params.snapshot.unwrap_or(true).into();
    if let Some(w) = warnings {
        result["warnings"] = w;
    }
    (key, result, echo)
}

/// The first key of `params` that subscribe/unsubscribe does not know.
fn unsupported_field(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    let method = value.get("method")?.as_str()?;
    if method != "subscribe" && method != "unsubscribe" {
        return None;
    }
    let params = value.get("params")?.as_object()?;
    params
        .keys()
        .find(|k| !SUBSCRIBE_FIELDS.contains(&k.as_str()))
        .cloned()
}

/// A (un)subscribe whose `symbol` is a single string: Kraken names the
/// field in its error (`Symbol field must be an array`), and clients that
/// resubscribe from the acks they kept (which carry `symbol` as a string)
/// need that answer to tell what went wrong.
fn symbol_not_array(raw: Option<&Value>, method: Option<&str>) -> bool {
    matches!(method, Some("subscribe" | "unsubscribe"))
        && raw
            .and_then(|v| v.get("params")?.get("symbol"))
            .is_some_and(|symbol| !symbol.is_array())
}
