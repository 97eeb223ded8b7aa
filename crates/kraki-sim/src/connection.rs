//! One client's WebSocket connection: status on connect, requests and their
//! acks, subscriptions fed from the engine, heartbeats and the idle timeout.

use crate::ack;
use crate::engine::{EngineCommand, FeedKey};
use crate::feeds;
use crate::markets::PairSpec;
use futures_util::{SinkExt, StreamExt};
use kraki_proto::{Channel, DecodeErrorKind, Method, SubscribeParams, decode_request};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::AbortHandle;
use tokio::time::{Instant, sleep_until};
use tokio_websockets::{Message, WebSocketStream};

/// What every connection shares.
pub(crate) struct Shared {
    pub(crate) specs: Vec<PairSpec>,
    pub(crate) engine: mpsc::Sender<EngineCommand>,
    pub(crate) idle_timeout: Duration,
    pub(crate) heartbeat: Duration,
    pub(crate) faults: watch::Receiver<Faults>,
}

/// Faults applied to the connections open when they were raised: each
/// counter goes up by one per request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    /// Close with a close frame.
    pub(crate) close: u64,
    /// Drop the TCP connection without a close frame.
    pub(crate) cut: u64,
    /// Stop sending anything, keep the socket open.
    pub(crate) stall: u64,
    /// Send one frame that is not JSON.
    pub(crate) garbage: u64,
    /// While set, new subscriptions are acknowledged but get no data.
    pub(crate) mute: bool,
}

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

/// Serves one WebSocket until it closes, errs or idles out.
pub(crate) async fn serve<S>(mut ws: WebSocketStream<S>, shared: Arc<Shared>, connection_id: u64)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut conn = Connection {
        shared,
        subs: HashMap::new(),
        frames: mpsc::channel(1024),
    };
    let status = feeds::frame(
        "status",
        "update",
        [kraki_proto::channels::Status {
            system: kraki_proto::channels::SystemStatus::Online,
            api_version: Some("v2".to_owned()),
            connection_id: Some(connection_id),
            version: Some("2.0.10".to_owned()),
        }],
    );
    if ws.send(Message::text(status)).await.is_err() {
        return;
    }
    let mut idle_deadline = Instant::now() + conn.shared.idle_timeout;
    let mut last_sent = Instant::now();
    let mut faults = conn.shared.faults.clone();
    let at_start = *faults.borrow_and_update();
    let mut garbage_sent = at_start.garbage;
    let mut stalled = false;
    loop {
        let heartbeat_at = last_sent + conn.shared.heartbeat;
        let outgoing: Vec<String> = tokio::select! {
            incoming = ws.next() => {
                let msg = match incoming {
                    Some(Ok(msg)) => msg,
                    _ => break,
                };
                if msg.is_close() {
                    break;
                }
                // Requests in binary frames are read like text ones.
                let text = match msg.as_text() {
                    Some(t) => t.to_owned(),
                    None if msg.is_binary() => String::from_utf8_lossy(msg.as_payload()).into_owned(),
                    None => continue,
                };
                idle_deadline = Instant::now() + conn.shared.idle_timeout;
                conn.on_request(&text).await
            }
            frame = conn.frames.1.recv() => match frame {
                Some(Some(frame)) => vec![frame.to_string()],
                // A feed fell too far behind: drop the client, as a real
                // exchange drops a consumer that cannot keep up.
                Some(None) | None => break,
            },
            changed = faults.changed() => {
                let now = *faults.borrow_and_update();
                if changed.is_err() {
                    break;
                }
                if now.cut > at_start.cut {
                    // Dropped without a close frame, like a network failure.
                    conn.stop();
                    return;
                }
                if now.close > at_start.close {
                    break;
                }
                stalled |= now.stall > at_start.stall;
                if now.garbage > garbage_sent {
                    garbage_sent = now.garbage;
                    vec![String::from("CloudFlare WebSocket proxy restarting")]
                } else {
                    continue;
                }
            }
            () = sleep_until(heartbeat_at), if !conn.subs.is_empty() => {
                vec![String::from(r#"{"channel":"heartbeat"}"#)]
            }
            () = sleep_until(idle_deadline) => {
                tracing::debug!(connection_id, "idle connection closed");
                break;
            }
        };
        if stalled {
            continue;
        }
        for text in outgoing {
            if ws.send(Message::text(text)).await.is_err() {
                return;
            }
            last_sent = Instant::now();
        }
    }
    conn.stop();
    let _ = ws.close().await;
}

struct Connection {
    shared: Arc<Shared>,
    /// (channel, symbol) → the task forwarding that feed.
    subs: HashMap<(String, Option<String>), AbortHandle>,
    /// Frames from feed forwarders; `None` means a feed lagged.
    frames: (FrameSender, mpsc::Receiver<Option<Arc<str>>>),
}

type FrameSender = mpsc::Sender<Option<Arc<str>>>;

impl Connection {
    fn stop(&mut self) {
        for (_, handle) in self.subs.drain() {
            handle.abort();
        }
    }

    /// The frames to send in answer to one request, in order.
    async fn on_request(&mut self, text: &str) -> Vec<String> {
        let time_in = feeds::now(6);
        let request = match decode_request(text) {
            Ok(r) => r,
            Err(e) => {
                let raw: Option<serde_json::Value> = serde_json::from_str(text).ok();
                let method = raw
                    .as_ref()
                    .and_then(|v| v.get("method")?.as_str().map(str::to_owned));
                let req_id = raw.as_ref().and_then(|v| v.get("req_id")?.as_u64());
                let message = match e.kind() {
                    DecodeErrorKind::ParamsNotAllowed => e.message().to_owned(),
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
            let name = request.method.name();
            return vec![ack::error(
                Some(name),
                req_id,
                &format!("Unsupported field: '{field}'"),
                None,
                time_in,
            )];
        }
        match request.method {
            Method::Ping => vec![ack::pong(req_id, time_in)],
            Method::Subscribe(params) => self.subscribe(params, req_id, time_in).await,
            Method::Unsubscribe(params) => self.unsubscribe(params, req_id, time_in),
            other => {
                // Trading needs the authenticated endpoint and a token.
                let token = match &other {
                    Method::AddOrder(p) => p.token.is_some(),
                    Method::AmendOrder(p) => p.token.is_some(),
                    Method::EditOrder(p) => p.token.is_some(),
                    Method::CancelOrder(p) => p.token.is_some(),
                    Method::CancelAll(p) => p.token.is_some(),
                    Method::CancelAllOrdersAfter(p) => p.token.is_some(),
                    Method::BatchAdd(p) => p.token.is_some(),
                    Method::BatchCancel(p) => p.token.is_some(),
                    _ => false,
                };
                let error = if token {
                    "ESession:Invalid session"
                } else {
                    "Token(s) not found"
                };
                vec![ack::error(Some(other.name()), req_id, error, None, time_in)]
            }
        }
    }

    async fn subscribe(
        &mut self,
        params: SubscribeParams,
        req_id: Option<u64>,
        time_in: kraki_proto::Timestamp,
    ) -> Vec<String> {
        let err = |e: &str, symbol: Option<&str>| {
            ack::error(Some("subscribe"), req_id, e, symbol, time_in)
        };
        let channel = params.channel.clone();
        match channel {
            Channel::Book
            | Channel::Ticker
            | Channel::Trade
            | Channel::Ohlc
            | Channel::Instrument => {}
            Channel::Level3 | Channel::Executions | Channel::Balances => {
                // Private channels come with the authenticated endpoints.
                let e = if params.token.is_some() {
                    "ESession:Invalid session"
                } else {
                    "Token(s) not found"
                };
                return vec![err(e, None)];
            }
            Channel::Status => return vec![err("Symbol(s) not found", None)],
            _ => return vec![err("Subscription name invalid", None)],
        }
        if channel == Channel::Book {
            if let Some(depth) = params.depth {
                if !BOOK_DEPTHS.contains(&depth) {
                    return vec![err("EGeneral:Invalid arguments:depth", None)];
                }
            }
        }
        if channel == Channel::Ohlc {
            match params.interval {
                Some(i) if crate::market::INTERVALS.contains(&i) => {}
                _ => return vec![err("EGeneral:Invalid arguments:interval", None)],
            }
        }
        let symbols: Vec<Option<String>> = if channel == Channel::Instrument {
            vec![None]
        } else {
            match &params.symbol {
                Some(list) if !list.is_empty() => {
                    list.iter().map(|s| Some(s.as_str().to_owned())).collect()
                }
                _ => return vec![err("EGeneral:Invalid arguments:symbol", None)],
            }
        };
        let mut out = Vec::new();
        for symbol in symbols {
            let market = match &symbol {
                Some(s) => match self.shared.specs.iter().position(|p| &p.symbol == s) {
                    Some(i) => Some(i),
                    None => {
                        out.push(err(&format!("Currency pair not supported {s}"), Some(s)));
                        continue;
                    }
                },
                None => None,
            };
            let sub_key = (channel.as_str().to_owned(), symbol.clone());
            if self.subs.contains_key(&sub_key) {
                out.push(err("Already subscribed", symbol.as_deref()));
                continue;
            }
            let (key, result) = self.feed_for(&params, market, symbol.as_deref());
            // Trade snapshots default to true, as the live server does.
            let snapshot = params.snapshot.unwrap_or(true);
            let (reply, attached) = oneshot::channel();
            let sent = self
                .shared
                .engine
                .send(EngineCommand::Attach {
                    key,
                    snapshot,
                    reply,
                })
                .await;
            let Ok(attached) = (if sent.is_ok() {
                attached.await
            } else {
                return out;
            }) else {
                return out;
            };
            out.push(ack::ok("subscribe", req_id, result, time_in));
            if self.shared.faults.borrow().mute {
                // Fault: acknowledged, then silent.
                let handle = tokio::spawn(std::future::pending::<()>());
                self.subs.insert(sub_key, handle.abort_handle());
                continue;
            }
            out.extend(attached.snapshot);
            let handle = tokio::spawn(forward(attached.updates, self.frames.0.clone()));
            self.subs.insert(sub_key, handle.abort_handle());
        }
        out
    }

    /// The engine feed and the ack's `result` for one symbol.
    fn feed_for(
        &self,
        params: &SubscribeParams,
        market: Option<usize>,
        symbol: Option<&str>,
    ) -> (FeedKey, serde_json::Value) {
        let market = market.unwrap_or(0);
        let snapshot = params.snapshot.unwrap_or(true);
        let mut result = serde_json::json!({"channel": params.channel.as_str()});
        if let Some(s) = symbol {
            result["symbol"] = s.into();
        }
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
                let interval = params.interval.unwrap_or(1);
                result["interval"] = interval.into();
                result["warnings"] =
                    serde_json::json!(["timestamp is deprecated, use interval_begin"]);
                FeedKey::Ohlc { market, interval }
            }
            Channel::Instrument => {
                result["warnings"] =
                    serde_json::json!(["tick_size is deprecated, use price_increment"]);
                FeedKey::Instrument
            }
            _ => FeedKey::Trade { market },
        };
        result["snapshot"] = snapshot.into();
        (key, result)
    }

    fn unsubscribe(
        &mut self,
        params: SubscribeParams,
        req_id: Option<u64>,
        time_in: kraki_proto::Timestamp,
    ) -> Vec<String> {
        let symbols: Vec<Option<String>> = match &params.symbol {
            Some(list) => list.iter().map(|s| Some(s.as_str().to_owned())).collect(),
            None => vec![None],
        };
        let mut out = Vec::new();
        for symbol in symbols {
            let key = (params.channel.as_str().to_owned(), symbol.clone());
            match self.subs.remove(&key) {
                Some(handle) => {
                    handle.abort();
                    let mut result = serde_json::json!({"channel": params.channel.as_str()});
                    if let Some(s) = &symbol {
                        result["symbol"] = s.as_str().into();
                    }
                    if let Some(d) = params.depth {
                        result["depth"] = d.into();
                    }
                    if let Some(i) = params.interval {
                        result["interval"] = i.into();
                    }
                    out.push(ack::ok("unsubscribe", req_id, result, time_in));
                }
                None => out.push(ack::error(
                    Some("unsubscribe"),
                    req_id,
                    "Subscription Not Found",
                    symbol.as_deref(),
                    time_in,
                )),
            }
        }
        out
    }
}

/// Copies a feed into the connection's frame queue; tells the connection
/// when the feed lagged.
async fn forward(mut updates: broadcast::Receiver<Arc<str>>, frames: FrameSender) {
    loop {
        match updates.recv().await {
            Ok(frame) => {
                if frames.send(Some(frame)).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let _ = frames.send(None).await;
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// The first key of `params` that subscribe/unsubscribe does not know.
fn unsupported_field(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
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
