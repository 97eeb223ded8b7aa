//! The connection core's transitions, driven with made-up time and
//! Kraken's message shapes: no socket, no clock, no runtime.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{Connection, LostReason, Needs, Timer};
use crate::command::{Command, SubId, Subscribed};
use crate::connection_event::ConnectionEvent;
use crate::error::Error;
use crate::settings::Settings;
use crate::sink::{Deliver, Delivered};
use crate::verified_book::WarmStage;
use kraki_proto::channels::Status;
use kraki_proto::{Channel, Inbound, MessageType, Method, SubscribeParams, Token};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

const SECOND: Duration = Duration::from_secs(1);

fn settings() -> Settings {
    let mut settings = crate::ClientBuilder::default().settings;
    // Short enough that a test reads in seconds, unlike Kraken's 10 s.
    settings.request_timeout = Duration::from_secs(2);
    settings.queue_capacity = 16;
    settings
}

/// What a subscriber saw.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Data(Inbound),
    ConnectionEvent(ConnectionEvent),
    Warmed(WarmStage),
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.0.lock().unwrap())
    }

    /// The message types of the data seen, dropping it.
    fn kinds(&self) -> Vec<MessageType> {
        self.take()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Data(m) => m.message_type(),
                Seen::ConnectionEvent(_) | Seen::Warmed(_) => None,
            })
            .collect()
    }

    fn controls(&self) -> Vec<ConnectionEvent> {
        self.take()
            .into_iter()
            .filter_map(|s| match s {
                Seen::ConnectionEvent(c) => Some(c),
                Seen::Data(_) | Seen::Warmed(_) => None,
            })
            .collect()
    }
}

struct Recorder {
    log: Log,
    channel: Channel,
}

impl Deliver for Recorder {
    fn deliver(&mut self, msg: &Inbound, _symbol: Option<&str>) -> Delivered {
        self.log.0.lock().unwrap().push(Seen::Data(msg.clone()));
        Delivered::Done
    }

    fn control(&mut self, control: ConnectionEvent) {
        self.log
            .0
            .lock()
            .unwrap()
            .push(Seen::ConnectionEvent(control));
    }

    fn reads(&self, channel: &Channel) -> bool {
        *channel == self.channel
    }

    fn warm(&self, stage: WarmStage) {
        self.log.0.lock().unwrap().push(Seen::Warmed(stage));
    }
}

/// A core connected at `t0`, with what it sent and what it asked for.
struct Harness {
    core: Connection,
    t0: Instant,
    _status: watch::Receiver<Option<Status>>,
}

impl Harness {
    fn connected() -> Self {
        Self::with(false, None)
    }

    fn with(authenticated: bool, token: Option<&str>) -> Self {
        let t0 = Instant::now();
        let (status, rx) = watch::channel(None);
        let mut core = Connection::new(
            "wss://ws.example/v2".into(),
            settings(),
            authenticated,
            status,
            t0,
        );
        core.handle_connected(t0, token.map(Token::new));
        Harness {
            core,
            t0,
            _status: rx,
        }
    }

    fn at(&self, seconds: f64) -> Instant {
        self.t0 + Duration::from_secs_f64(seconds)
    }

    /// Everything queued to send, as JSON.
    fn sent(&mut self) -> Vec<Value> {
        std::iter::from_fn(|| self.core.poll_transmit())
            .map(|t| serde_json::from_str(&t.text).unwrap())
            .collect()
    }

    fn subscribe(
        &mut self,
        params: SubscribeParams,
        at: Instant,
    ) -> (Log, oneshot::Receiver<Result<Subscribed, Error>>) {
        let log = Log::default();
        let (reply, answer) = oneshot::channel();
        let channel = params.channel.clone();
        self.core.handle_command(
            Command::Subscribe {
                params,
                sink: Box::new(Recorder {
                    log: log.clone(),
                    channel,
                }),
                partial: false,
                reply,
            },
            at,
        );
        (log, answer)
    }

    fn text(&mut self, value: Value, at: Instant) {
        self.core.handle_text(&value.to_string(), at);
    }

    fn lost(&mut self) -> Option<LostReason> {
        std::iter::from_fn(|| self.core.poll_event()).find_map(|e| match e {
            Needs::Reconnect(reason) => Some(reason),
            Needs::Token => None,
        })
    }
}

fn ticker(symbols: &[&str]) -> SubscribeParams {
    SubscribeParams::with_symbols(Channel::Ticker, symbols.iter().copied())
}

fn trades(symbols: &[&str]) -> SubscribeParams {
    SubscribeParams::with_symbols(Channel::Trade, symbols.iter().copied())
}

fn req_id(sent: &Value) -> u64 {
    sent["req_id"].as_u64().unwrap()
}

/// A successful ack; `symbol` empty for channels without symbols.
fn ack(req_id: u64, channel: &str, symbol: &str) -> Value {
    let mut v = json!({"method":"subscribe","req_id":req_id,"success":true,
        "result":{"channel":channel},
        "time_in":"2025-01-01T00:00:00.000000Z","time_out":"2025-01-01T00:00:00.000001Z"});
    if !symbol.is_empty() {
        v["result"]["symbol"] = json!(symbol);
    }
    v
}

fn refusal(req_id: u64, symbol: Option<&str>, error: &str) -> Value {
    let mut v = json!({"method":"subscribe","req_id":req_id,"success":false,"error":error,
        "time_in":"2025-01-01T00:00:00.000000Z","time_out":"2025-01-01T00:00:00.000001Z"});
    if let Some(symbol) = symbol {
        v["symbol"] = json!(symbol);
    }
    v
}

fn ticker_msg(kind: &str, symbol: &str, last: f64) -> Value {
    json!({"channel":"ticker","type":kind,"data":[{"symbol":symbol,"bid":last,"bid_qty":1.0,
        "ask":last,"ask_qty":1.0,"last":last,"volume":1.0,"vwap":last,"low":last,"high":last,
        "change":0.0,"change_pct":0.0}]})
}

fn trade_msg(kind: &str, ids: &[u64]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({"symbol":"BTC/USD","side":"buy","price":100.0,"qty":1.0,
            "ord_type":"limit","trade_id":id,"timestamp":"2024-05-27T12:43:11.798009Z"})
        })
        .collect();
    json!({"channel":"trade","type":kind,"data":data})
}

fn execution(exec_type: &str, order_id: &str) -> Value {
    json!({"order_id":order_id,"exec_type":exec_type,"order_status":"new","order_userref":0,
        "timestamp":"2023-09-22T10:33:05.709982Z"})
}

fn executions_msg(kind: &str, sequence: u64, reports: Vec<Value>) -> Value {
    json!({"channel":"executions","type":kind,"data":reports,"sequence":sequence})
}

/// Subscribes `params`, acks it `seconds` after the start: the subscribe call is answered.
fn subscribed(h: &mut Harness, params: SubscribeParams, seconds: f64) -> Log {
    let at = h.at(seconds);
    let (log, mut answer) = h.subscribe(params, at);
    let sent = h.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let channel = sent[0]["params"]["channel"].as_str().unwrap().to_owned();
    let symbols: Vec<String> = sent[0]["params"]["symbol"]
        .as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_else(|| vec![String::new()]);
    for symbol in symbols {
        h.text(ack(req_id(&sent[0]), &channel, &symbol), at);
    }
    assert!(answer.try_recv().unwrap().is_ok());
    log
}

#[test]
fn an_ack_completes_the_subscribe_and_data_flows() {
    let mut h = Harness::connected();
    let (log, mut answer) = h.subscribe(ticker(&["BTC/USD", "ETH/USD"]), h.t0);
    let sent = h.sent();
    assert_eq!(sent.len(), 1, "one request for both symbols");
    assert_eq!(sent[0]["method"], "subscribe");
    let mut symbols: Vec<&str> = sent[0]["params"]["symbol"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    symbols.sort_unstable();
    assert_eq!(symbols, ["BTC/USD", "ETH/USD"]);
    let id = req_id(&sent[0]);
    h.text(ack(id, "ticker", "BTC/USD"), h.at(0.1));
    assert!(answer.try_recv().is_err(), "waits for every symbol's ack");
    h.text(ack(id, "ticker", "ETH/USD"), h.at(0.2));
    assert!(answer.try_recv().unwrap().is_ok());
    // The snapshot is due within the request timeout.
    assert_eq!(
        h.core.next_timer(),
        Some((h.at(0.1) + settings().request_timeout, Timer::Subscription))
    );
    h.text(ticker_msg("snapshot", "BTC/USD", 1.0), h.at(0.3));
    h.text(ticker_msg("snapshot", "ETH/USD", 2.0), h.at(0.3));
    assert_eq!(log.kinds(), [MessageType::Snapshot, MessageType::Snapshot]);
    // Fed: the next deadline is the idle watchdog.
    assert_eq!(
        h.core.next_timer(),
        Some((h.at(0.3) + settings().idle_timeout, Timer::Idle))
    );
}

#[test]
fn a_refusal_fails_the_whole_subscribe_and_releases_what_was_accepted() {
    let mut h = Harness::connected();
    let (_log, mut answer) = h.subscribe(ticker(&["BTC/USD", "NOPE/EUR"]), h.t0);
    let id = req_id(&h.sent()[0]);
    h.text(ack(id, "ticker", "BTC/USD"), h.at(0.1));
    h.text(
        refusal(id, Some("NOPE/EUR"), "Currency pair not supported NOPE/EUR"),
        h.at(0.1),
    );
    let Err(Error::Rejected(rejections)) = answer.try_recv().unwrap() else {
        panic!("expected a rejection")
    };
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].symbol.as_deref(), Some("NOPE/EUR"));
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["method"], "unsubscribe");
    assert_eq!(sent[0]["params"]["symbol"], json!(["BTC/USD"]));
}

#[test]
fn an_ack_timeout_fails_the_call_and_unsubscribes() {
    let mut h = Harness::connected();
    let (_log, mut answer) = h.subscribe(ticker(&["BTC/USD"]), h.t0);
    h.sent();
    assert_eq!(
        h.core.next_timer(),
        Some((h.at(2.0), Timer::Request)),
        "the call's deadline and the ack's are the same; either may name it"
    );
    // A pong keeps the socket proven alive, so this is not a dead socket.
    h.core.handle_other_frame(h.at(1.0));
    h.core.handle_timeout(h.at(2.0));
    assert!(matches!(
        answer.try_recv().unwrap(),
        Err(Error::Timeout {
            method: "subscribe",
            ..
        })
    ));
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["method"], "unsubscribe");
    assert_eq!(h.lost(), None);
}

#[test]
fn a_request_with_nothing_heard_after_it_means_a_dead_socket() {
    let mut h = Harness::connected();
    let (_log, _answer) = h.subscribe(ticker(&["BTC/USD"]), h.at(1.0));
    h.sent();
    h.core.handle_timeout(h.at(3.0));
    assert_eq!(
        h.lost(),
        Some(LostReason::NoAnswer {
            waited: settings().request_timeout
        })
    );
}

/// Healthy (the backoff reset) only once every subscription has been
/// acknowledged for `healthy_after`, however densely frames arrive in
/// between (the connection looks at its subscriptions now and then, not
/// at every frame).
#[test]
fn healthy_only_after_every_subscription_is_acked_for_healthy_after() {
    let mut h = Harness::connected();
    let healthy_after = settings().healthy_after.as_secs_f64();
    let (_log, _answer) = h.subscribe(ticker(&["BTC/USD"]), h.t0);
    let id = req_id(&h.sent()[0]);
    h.text(ack(id, "ticker", "BTC/USD"), h.at(0.01));
    let (_pending_log, _pending_answer) = h.subscribe(ticker(&["ETH/USD"]), h.at(0.02));
    let pending = req_id(&h.sent()[0]);
    // A frame every millisecond while ETH/USD waits for its ack.
    let mut t = 0.03;
    let mut frame_until = |h: &mut Harness, until: f64| {
        while t < until {
            h.text(ticker_msg("update", "BTC/USD", 1.0), h.at(t));
            t += 0.001;
        }
    };
    frame_until(&mut h, 1.5);
    assert!(h.core.backoff.is_proving(), "a subscribe is still pending");
    h.text(ack(pending, "ticker", "ETH/USD"), h.at(1.5));
    frame_until(&mut h, 1.5 + healthy_after - 0.1);
    assert!(
        h.core.backoff.is_proving(),
        "settled for less than healthy_after"
    );
    frame_until(&mut h, 1.5 + healthy_after + 0.1);
    assert!(!h.core.backoff.is_proving(), "settled for healthy_after");
}

#[test]
fn a_late_ack_after_the_timeout_changes_nothing() {
    let mut h = Harness::connected();
    let (log, _answer) = h.subscribe(ticker(&["BTC/USD"]), h.t0);
    let id = req_id(&h.sent()[0]);
    h.core.handle_other_frame(h.at(1.0));
    h.core.handle_timeout(h.at(2.0));
    h.sent();
    h.text(ack(id, "ticker", "BTC/USD"), h.at(2.5));
    assert!(h.sent().is_empty(), "no second unsubscribe");
    h.text(ticker_msg("snapshot", "BTC/USD", 1.0), h.at(2.6));
    assert!(
        log.take().is_empty(),
        "the released subscriber sees nothing"
    );
}

/// A resubscribe nobody awaits (after a reconnect) that gets no ack is
/// sent once more, then the connection is replaced.
#[test]
fn an_unacked_resubscribe_is_sent_again_once_then_the_connection_goes() {
    let mut h = Harness::connected();
    let log = subscribed(&mut h, ticker(&["BTC/USD"]), 0.0);
    h.core.handle_disconnect(h.at(1.0), "test");
    assert_eq!(log.controls(), [ConnectionEvent::Reconnecting]);
    h.core.handle_connected(h.at(2.0), None);
    let resubscribe = h.sent();
    assert_eq!(resubscribe.len(), 1);
    assert_eq!(resubscribe[0]["method"], "subscribe");
    h.core.handle_other_frame(h.at(3.0));
    h.core.handle_timeout(h.at(4.0));
    let again = h.sent();
    assert_eq!(
        again
            .iter()
            .map(|v| v["method"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["unsubscribe", "subscribe"],
        "undone first: the lost ack's subscribe may have taken effect"
    );
    assert_eq!(h.lost(), None);
    h.core.handle_other_frame(h.at(5.0));
    h.core.handle_timeout(h.at(6.0));
    assert_eq!(
        h.lost(),
        Some(LostReason::Unacked {
            channel: Channel::Ticker,
            symbol: Some("BTC/USD".into())
        })
    );
}

#[test]
fn an_acked_but_silent_subscription_is_made_again_once_then_the_connection_goes() {
    let mut h = Harness::connected();
    let _log = subscribed(&mut h, ticker(&["BTC/USD"]), 0.0);
    h.core.handle_timeout(h.at(2.0));
    let again = h.sent();
    assert_eq!(again.len(), 2, "{again:?}");
    assert_eq!(again[1]["method"], "subscribe");
    h.text(ack(req_id(&again[1]), "ticker", "BTC/USD"), h.at(2.5));
    h.core.handle_timeout(h.at(4.5));
    assert_eq!(
        h.lost(),
        Some(LostReason::Silent {
            channel: Channel::Ticker,
            symbol: Some("BTC/USD".into())
        })
    );
}

#[test]
fn data_restores_the_second_chance_for_silence() {
    let mut h = Harness::connected();
    let _log = subscribed(&mut h, ticker(&["BTC/USD"]), 0.0);
    h.core.handle_timeout(h.at(2.0));
    let again = h.sent();
    h.text(ack(req_id(&again[1]), "ticker", "BTC/USD"), h.at(2.5));
    h.text(ticker_msg("snapshot", "BTC/USD", 1.0), h.at(3.0));
    // Silent again later, after a resync: one more second chance.
    h.core.handle_command(Command::Resync(SubId(1)), h.at(4.0));
    let resync = h.sent();
    h.text(ack(req_id(&resync[1]), "ticker", "BTC/USD"), h.at(4.1));
    h.core.handle_timeout(h.at(6.1));
    assert_eq!(h.lost(), None);
    assert_eq!(h.sent()[1]["method"], "subscribe");
}

#[test]
fn the_idle_watchdog_and_the_ping() {
    let mut h = Harness::connected();
    // Without subscriptions only the ping is due.
    assert_eq!(h.core.next_timer(), Some((h.at(30.0), Timer::Ping)));
    h.core.handle_timeout(h.at(30.0));
    let ping = h.sent();
    assert_eq!(ping[0]["method"], "ping");
    assert_eq!(h.core.next_timer(), Some((h.at(60.0), Timer::Ping)));
    let _log = subscribed(&mut h, ticker(&["BTC/USD"]), 31.0);
    h.text(ticker_msg("snapshot", "BTC/USD", 1.0), h.at(32.0));
    // A pong is not data.
    h.text(
        json!({"method":"pong","req_id":1,"time_in":"2025-01-01T00:00:00.000000Z","time_out":"2025-01-01T00:00:00.000001Z"}),
        h.at(40.0),
    );
    assert_eq!(h.core.next_timer(), Some((h.at(42.0), Timer::Idle)));
    h.core.handle_timeout(h.at(42.0));
    assert_eq!(
        h.lost(),
        Some(LostReason::Idle {
            waited: 10 * SECOND
        })
    );
}

#[test]
fn a_stale_token_is_refreshed_once_and_the_subscribe_sent_again() {
    let mut h = Harness::with(true, Some("old"));
    let (_log, mut answer) = h.subscribe(SubscribeParams::new(Channel::Executions), h.t0);
    let sent = h.sent();
    assert_eq!(sent[0]["params"]["token"], "old");
    h.text(
        refusal(req_id(&sent[0]), None, "ESession:Invalid session"),
        h.at(0.1),
    );
    assert_eq!(h.core.poll_event(), Some(Needs::Token));
    assert!(h.sent().is_empty(), "nothing goes before the new token");
    h.core.handle_token(Ok(Token::new("new")), h.at(0.2));
    let again = h.sent();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["params"]["token"], "new");
    // Refused again: no third try, the call fails with Kraken's error.
    h.text(
        refusal(req_id(&again[0]), None, "ESession:Invalid session"),
        h.at(0.3),
    );
    assert_eq!(h.core.poll_event(), None);
    let Err(Error::Rejected(r)) = answer.try_recv().unwrap() else {
        panic!("expected a rejection")
    };
    assert_eq!(r[0].error, "ESession:Invalid session");
}

#[test]
fn a_trading_call_refused_for_a_stale_token_goes_again_with_a_fresh_one() {
    let mut h = Harness::with(true, Some("old"));
    let (reply, mut answer) = oneshot::channel();
    h.core.handle_command(
        Command::Call {
            method: Box::new(Method::CancelAll(Default::default())),
            expected: 1,
            reply,
        },
        h.t0,
    );
    let sent = h.sent();
    assert_eq!(sent[0]["params"]["token"], "old");
    let stale = json!({"method":"cancel_all","req_id":req_id(&sent[0]),"success":false,
        "error":"EAPI:Invalid token","time_in":"2025-01-01T00:00:00.000000Z","time_out":"2025-01-01T00:00:00.000001Z"});
    h.text(stale, h.at(0.1));
    assert_eq!(h.core.poll_event(), Some(Needs::Token));
    h.core.handle_token(Ok(Token::new("new")), h.at(0.2));
    let again = h.sent();
    assert_eq!(again[0]["params"]["token"], "new");
    let done = json!({"method":"cancel_all","req_id":req_id(&again[0]),"success":true,
        "result":{"count":0},"time_in":"2025-01-01T00:00:00.000000Z","time_out":"2025-01-01T00:00:00.000001Z"});
    h.text(done, h.at(0.3));
    let responses = answer.try_recv().unwrap().unwrap();
    assert!(responses[0].success());
}

#[test]
fn a_reconnect_resubscribes_everything_and_announces_it_once_acked() {
    let mut h = Harness::connected();
    let btc = subscribed(&mut h, ticker(&["BTC/USD"]), 0.0);
    let eth = subscribed(&mut h, trades(&["ETH/USD"]), 0.0);
    let (reply, mut call) = oneshot::channel();
    h.core.handle_command(
        Command::Call {
            method: Box::new(Method::Ping),
            expected: 1,
            reply,
        },
        h.at(0.5),
    );
    h.sent();
    h.core.handle_disconnect(h.at(1.0), "cut");
    assert!(matches!(
        call.try_recv().unwrap(),
        Err(Error::OutcomeUnknown { .. })
    ));
    assert!(
        h.core.poll_timeout().is_none(),
        "no deadlines without a socket"
    );
    h.core.handle_connected(h.at(2.0), None);
    let sent = h.sent();
    assert_eq!(sent.len(), 2, "one subscribe per channel: {sent:?}");
    for s in &sent {
        let channel = s["params"]["channel"].as_str().unwrap();
        let symbol = s["params"]["symbol"][0].as_str().unwrap();
        h.text(ack(req_id(s), channel, symbol), h.at(2.1));
    }
    assert_eq!(
        btc.controls(),
        [ConnectionEvent::Reconnecting, ConnectionEvent::Reconnected]
    );
    assert_eq!(
        eth.controls(),
        [ConnectionEvent::Reconnecting, ConnectionEvent::Reconnected]
    );
}

#[test]
fn a_resync_remakes_only_that_subscribers_symbol() {
    let mut h = Harness::connected();
    let _btc = subscribed(&mut h, ticker(&["BTC/USD"]), 0.0);
    let _eth = subscribed(&mut h, ticker(&["ETH/USD"]), 0.0);
    h.core.handle_command(Command::Resync(SubId(2)), h.at(1.0));
    let sent = h.sent();
    assert_eq!(
        sent.iter()
            .map(|v| (
                v["method"].as_str().unwrap(),
                v["params"]["symbol"][0].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [("unsubscribe", "ETH/USD"), ("subscribe", "ETH/USD")]
    );
}

#[test]
fn releasing_while_pending_unsubscribes_and_a_late_ack_is_ignored() {
    let mut h = Harness::connected();
    let (_log, mut answer) = h.subscribe(ticker(&["BTC/USD"]), h.t0);
    let id = req_id(&h.sent()[0]);
    h.core.handle_command(Command::Release(SubId(1)), h.at(0.1));
    assert!(
        answer.try_recv().is_err(),
        "the dropped call gets no answer"
    );
    let sent = h.sent();
    assert_eq!(sent[0]["method"], "unsubscribe");
    h.text(ack(id, "ticker", "BTC/USD"), h.at(0.2));
    assert!(h.sent().is_empty());
}

#[test]
fn a_subscriber_joining_a_pending_subscription_waits_for_the_same_ack() {
    let mut h = Harness::connected();
    let (a, mut first) = h.subscribe(ticker(&["BTC/USD"]), h.t0);
    let id = req_id(&h.sent()[0]);
    let (b, mut second) = h.subscribe(ticker(&["BTC/USD"]), h.at(0.1));
    assert!(h.sent().is_empty(), "one wire subscription");
    h.text(ack(id, "ticker", "BTC/USD"), h.at(0.2));
    assert!(first.try_recv().unwrap().is_ok());
    assert!(second.try_recv().unwrap().is_ok());
    h.text(ticker_msg("snapshot", "BTC/USD", 1.0), h.at(0.3));
    assert_eq!(a.kinds(), [MessageType::Snapshot]);
    assert_eq!(b.kinds(), [MessageType::Snapshot]);
}

#[test]
fn a_subscriber_joining_an_active_subscription_gets_its_own_snapshot_only() {
    let mut h = Harness::connected();
    let a = subscribed(&mut h, ticker(&["BTC/USD"]), 0.0);
    h.text(ticker_msg("snapshot", "BTC/USD", 1.0), h.at(0.1));
    h.text(ticker_msg("update", "BTC/USD", 2.0), h.at(0.2));
    assert_eq!(a.kinds(), [MessageType::Snapshot, MessageType::Update]);
    let (b, mut answer) = h.subscribe(ticker(&["BTC/USD"]), h.at(1.0));
    let sent = h.sent();
    assert_eq!(
        sent.iter()
            .map(|v| v["method"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["unsubscribe", "subscribe"]
    );
    // An update still in flight from before the re-subscribe reaches the
    // first subscriber only: the newcomer's snapshot covers it.
    h.text(ticker_msg("update", "BTC/USD", 2.5), h.at(1.05));
    assert_eq!(a.kinds(), [MessageType::Update]);
    h.text(ack(req_id(&sent[1]), "ticker", "BTC/USD"), h.at(1.1));
    assert!(answer.try_recv().unwrap().is_ok());
    h.text(ticker_msg("snapshot", "BTC/USD", 3.0), h.at(1.2));
    h.text(ticker_msg("update", "BTC/USD", 4.0), h.at(1.3));
    assert_eq!(b.kinds(), [MessageType::Snapshot, MessageType::Update]);
    assert_eq!(
        a.kinds(),
        [MessageType::Update, MessageType::Update],
        "the newcomer's snapshot reaches the first subscriber as an update \
         (a ticker is complete in every message), not as a snapshot"
    );
    // A later snapshot (a resync) goes to everyone again.
    h.core.handle_command(Command::Resync(SubId(1)), h.at(2.0));
    let resync = h.sent();
    h.text(ack(req_id(&resync[1]), "ticker", "BTC/USD"), h.at(2.1));
    h.text(ticker_msg("snapshot", "BTC/USD", 5.0), h.at(2.2));
    assert_eq!(a.kinds(), [MessageType::Snapshot]);
    assert_eq!(b.kinds(), [MessageType::Snapshot]);
}

#[test]
fn trades_missed_during_a_newcomers_resubscribe_reach_the_others_once() {
    let mut h = Harness::connected();
    let a = subscribed(&mut h, trades(&["BTC/USD"]), 0.0);
    h.text(trade_msg("snapshot", &[1, 2, 3]), h.at(0.1));
    h.text(trade_msg("update", &[4]), h.at(0.2));
    a.take();
    let (b, _answer) = h.subscribe(trades(&["BTC/USD"]), h.at(1.0));
    let sent = h.sent();
    h.text(ack(req_id(&sent[1]), "trade", "BTC/USD"), h.at(1.1));
    // Trade 5 happened while unsubscribed: it is in the new snapshot.
    h.text(trade_msg("snapshot", &[2, 3, 4, 5]), h.at(1.2));
    let Seen::Data(Inbound::Trade(catch_up)) = &a.take()[0] else {
        panic!("expected a trade message")
    };
    assert_eq!(catch_up.kind, MessageType::Update);
    assert_eq!(
        catch_up.data.iter().map(|t| t.trade_id).collect::<Vec<_>>(),
        [5]
    );
    assert_eq!(b.kinds(), [MessageType::Snapshot]);
}

#[test]
fn find_order_while_the_account_is_open_gets_fills_and_the_account_no_phantoms() {
    let mut h = Harness::with(true, Some("t"));
    // The account view: open orders only (Kraken's default).
    let account = subscribed(&mut h, SubscribeParams::new(Channel::Executions), 0.0);
    h.text(
        executions_msg("snapshot", 1, vec![execution("new", "OPEN-1")]),
        h.at(0.1),
    );
    account.take();
    // find_order: open orders and the last fills.
    let mut lookup = SubscribeParams::new(Channel::Executions);
    lookup.snap_orders = Some(true);
    lookup.snap_trades = Some(true);
    let (found, mut answer) = h.subscribe(lookup, h.at(1.0));
    let sent = h.sent();
    assert_eq!(sent[0]["method"], "unsubscribe");
    assert_eq!(sent[1]["params"]["snap_trades"], true, "{:?}", sent[1]);
    h.text(ack(req_id(&sent[1]), "executions", ""), h.at(1.1));
    assert!(answer.try_recv().unwrap().is_ok());
    h.text(
        executions_msg(
            "snapshot",
            1,
            vec![execution("new", "OPEN-1"), execution("trade", "FILLED-2")],
        ),
        h.at(1.2),
    );
    let reports = |log: &Log| -> Vec<String> {
        log.take()
            .into_iter()
            .flat_map(|s| match s {
                Seen::Data(Inbound::Executions(m)) => {
                    m.data.into_iter().map(|r| r.order_id.to_string()).collect()
                }
                _ => Vec::new(),
            })
            .collect()
    };
    assert_eq!(reports(&found), ["OPEN-1", "FILLED-2"]);
    assert_eq!(
        reports(&account),
        ["OPEN-1"],
        "its resync, without fills it did not ask for"
    );
}

#[test]
fn a_sequence_gap_tells_the_subscriber_and_asks_for_a_fresh_snapshot() {
    let mut h = Harness::with(true, Some("t"));
    let account = subscribed(&mut h, SubscribeParams::new(Channel::Executions), 0.0);
    h.text(executions_msg("snapshot", 1, vec![]), h.at(0.1));
    h.text(
        executions_msg("update", 2, vec![execution("new", "A")]),
        h.at(0.2),
    );
    h.text(
        executions_msg("update", 5, vec![execution("new", "B")]),
        h.at(0.3),
    );
    let seen = account.take();
    assert!(
        seen.contains(&Seen::ConnectionEvent(ConnectionEvent::Gap {
            channel: Channel::Executions,
            expected: 3,
            received: 5
        })),
        "{seen:?}"
    );
    let sent = h.sent();
    assert_eq!(
        sent.iter()
            .map(|v| v["method"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["unsubscribe", "subscribe"]
    );
}

#[test]
fn subscribes_wait_for_a_connection_and_fail_when_none_comes() {
    let t0 = Instant::now();
    let (status, _rx) = watch::channel(None);
    let mut core = Connection::new("wss://ws.example/v2".into(), settings(), false, status, t0);
    let log = Log::default();
    let (reply, mut answer) = oneshot::channel();
    core.handle_command(
        Command::Subscribe {
            params: ticker(&["BTC/USD"]),
            sink: Box::new(Recorder {
                log,
                channel: Channel::Ticker,
            }),
            partial: false,
            reply,
        },
        t0,
    );
    assert!(
        core.poll_transmit().is_none(),
        "nothing sent without a socket"
    );
    assert!(!core.handle_connect_failed("refused"));
    assert!(!core.handle_connect_failed("refused"));
    assert!(answer.try_recv().is_err());
    assert!(core.handle_connect_failed("refused"));
    let Err(Error::Connect { attempts, last, .. }) = answer.try_recv().unwrap() else {
        panic!("expected a connect error")
    };
    assert_eq!((attempts, last.as_str()), (3, "refused"));
}

#[test]
fn a_newcomer_that_only_widens_the_params_gets_updates_at_once() {
    let mut h = Harness::with(true, Some("t"));
    let mut quiet = SubscribeParams::new(Channel::Executions);
    quiet.snap_orders = Some(false);
    let first = subscribed(&mut h, quiet.clone(), 0.0);
    // Also no snapshot, but with the rate counter: the subscription is
    // made again for it, and no snapshot will follow.
    let mut counted = quiet;
    counted.ratecounter = Some(true);
    let (second, _answer) = h.subscribe(counted, h.at(1.0));
    let sent = h.sent();
    assert_eq!(sent[1]["params"]["ratecounter"], true, "{:?}", sent[1]);
    h.text(ack(req_id(&sent[1]), "executions", ""), h.at(1.1));
    h.text(
        executions_msg("update", 1, vec![execution("new", "A")]),
        h.at(1.2),
    );
    assert_eq!(second.kinds(), [MessageType::Update]);
    assert_eq!(first.kinds(), [MessageType::Update]);
}

#[test]
fn when_no_fresh_token_comes_what_waited_for_one_fails_with_the_reason() {
    let mut h = Harness::with(true, Some("old"));
    let (_log, mut subscribed_answer) = h.subscribe(SubscribeParams::new(Channel::Balances), h.t0);
    let subscribe = h.sent();
    let (reply, mut call_answer) = oneshot::channel();
    h.core.handle_command(
        Command::Call {
            method: Box::new(Method::CancelAll(Default::default())),
            expected: 1,
            reply,
        },
        h.at(0.1),
    );
    let call = h.sent();
    h.text(
        refusal(req_id(&subscribe[0]), None, "EAPI:Invalid token"),
        h.at(0.2),
    );
    let stale = json!({"method":"cancel_all","req_id":req_id(&call[0]),"success":false,
        "error":"EAPI:Invalid token","time_in":"2025-01-01T00:00:00.000000Z","time_out":"2025-01-01T00:00:00.000001Z"});
    h.text(stale, h.at(0.3));
    // One refresh for both.
    assert_eq!(h.core.poll_event(), Some(Needs::Token));
    assert_eq!(h.core.poll_event(), None);
    h.core.handle_token(
        Err(Error::Credentials("the key was revoked".into())),
        h.at(0.4),
    );
    let Err(Error::Credentials(reason)) = call_answer.try_recv().unwrap() else {
        panic!("expected the token error")
    };
    assert_eq!(reason, "the key was revoked");
    let Err(Error::Rejected(r)) = subscribed_answer.try_recv().unwrap() else {
        panic!("expected Kraken's refusal")
    };
    assert_eq!(r[0].error, "EAPI:Invalid token");
    assert!(h.sent().is_empty(), "nothing sent again");
}

/// Warming the frames ahead reaches the subscribers of the book updates
/// among them, each in both stages, and no other.
#[test]
fn warming_reaches_the_books_of_the_frames_ahead_and_nothing_else() {
    let mut h = Harness::connected();
    let book = |symbol| SubscribeParams::with_symbols(Channel::Book, [symbol]);
    let btc = subscribed(&mut h, book("BTC/USD"), 0.0);
    let eth = subscribed(&mut h, book("ETH/USD"), 0.0);
    let btc_ticker = subscribed(&mut h, ticker(&["BTC/USD"]), 0.0);
    // Written in Kraken's member order, which `json!` would sort.
    let update = |symbol: &str| {
        format!(
            r#"{{"channel":"book","type":"update","data":[{{"symbol":"{symbol}","bids":[],"asks":[],"checksum":0,"timestamp":"2025-01-01T00:00:00.000000Z"}}]}}"#
        )
    };
    let frames = [
        update("BTC/USD"),
        ticker_msg("update", "BTC/USD", 1.0).to_string(),
        update("XRP/USD"),
        update("ETH/USD"),
    ];
    h.core.warm(frames.iter().map(|f| f.as_bytes()));
    let warmed = |log: &Log| -> Vec<WarmStage> {
        log.take()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Warmed(stage) => Some(stage),
                _ => None,
            })
            .collect()
    };
    assert_eq!(warmed(&btc), [WarmStage::Near, WarmStage::Far]);
    assert_eq!(warmed(&eth), [WarmStage::Near, WarmStage::Far]);
    assert_eq!(warmed(&btc_ticker), []);
}
