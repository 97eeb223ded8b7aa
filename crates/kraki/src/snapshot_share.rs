//! How local subscribers share one wire subscription and still each get
//! what their own params promise.
//!
//! Kraken allows one subscription per channel, symbol and params on a
//! connection, and sends a snapshot only right after a subscribe. So a
//! newcomer that needs a snapshot while the wire subscription exists has
//! it made again (unsubscribe, subscribe) with the union of everyone's
//! params, and the snapshot that follows is shared out:
//!
//! - the newcomers get it, seen through their own params ([`View`]):
//!   `snapshot: false` gets none, `executions` without `snap_trades` gets
//!   no fills, without `snap_orders` no open orders;
//! - the others get only what they missed while the subscription was
//!   down: books, level3, executions and balances hold state that the
//!   missed updates changed, so the snapshot is their resync (through
//!   their view); trades get the trades newer than the last one they saw,
//!   and candles the candles from the last one they saw on (it may have
//!   changed), as an update; a ticker, complete in every message, comes
//!   to them as an update; instruments get nothing (the snapshot would
//!   repeat every pair, and the pairs rarely change).

use crate::command::SubId;
use kraki_proto::channels::ExecType;
use kraki_proto::{Channel, ChannelMessage, Inbound, MessageType, SubscribeParams, Timestamp};

/// Whether a subscriber with `params` expects a snapshot after its ack.
pub(crate) fn asks_for_snapshot(params: &SubscribeParams) -> bool {
    match params.channel {
        Channel::Executions => {
            let view = View::of(params);
            matches!(view, View::Executions { orders, trades } if orders || trades)
        }
        Channel::Book
        | Channel::Ticker
        | Channel::Ohlc
        | Channel::Trade
        | Channel::Instrument
        | Channel::Level3
        | Channel::Balances => params.snapshot != Some(false),
        _ => false,
    }
}

/// Widens `wire` (the params a wire subscription is made with) to give
/// `newcomer` what it asks for. Returns whether anything changed.
pub(crate) fn merge_params(wire: &mut SubscribeParams, newcomer: &SubscribeParams) -> bool {
    let before = wire.clone();
    match (View::of(wire), View::of(newcomer)) {
        (
            View::Executions {
                orders: wire_orders,
                trades: wire_trades,
            },
            View::Executions { orders, trades },
        ) => {
            if (orders && !wire_orders) || (trades && !wire_trades) {
                // Spelled out, without the deprecated `snapshot` that
                // stood for both.
                wire.snapshot = None;
                wire.snap_orders = Some(orders || wire_orders);
                wire.snap_trades = Some(trades || wire_trades);
            }
            if newcomer.ratecounter == Some(true) {
                wire.ratecounter = Some(true);
            }
            if newcomer.order_status == Some(true) {
                wire.order_status = Some(true);
            }
        }
        (View::NoSnapshot, view) if view != View::NoSnapshot => wire.snapshot = None,
        _ => {}
    }
    *wire != before
}

/// What one subscriber takes from a snapshot, by its own params.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Everything,
    /// Asked for `snapshot: false`.
    NoSnapshot,
    /// `executions`: open orders (`snap_orders`), fills (`snap_trades`).
    Executions {
        orders: bool,
        trades: bool,
    },
}

impl View {
    pub(crate) fn of(params: &SubscribeParams) -> View {
        match params.channel {
            Channel::Executions => {
                // `snapshot` is Kraken's deprecated spelling of both.
                let legacy = params.snapshot;
                View::Executions {
                    orders: params.snap_orders.or(legacy).unwrap_or(true),
                    trades: params.snap_trades.or(legacy).unwrap_or(false),
                }
            }
            _ if params.snapshot == Some(false) => View::NoSnapshot,
            _ => View::Everything,
        }
    }
}

/// A message as one subscriber receives it.
pub(crate) enum Share<'m> {
    Same(&'m Inbound),
    Changed(Inbound),
    Nothing,
}

/// The newest data a wire subscription has routed, so that a
/// re-subscribe's snapshot gives the others only what they have not seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    trade_id: Option<u64>,
    candle_begin: Option<Timestamp>,
}

impl Seen {
    /// Takes note of a routed message.
    pub(crate) fn note(&mut self, msg: &Inbound) {
        match msg {
            Inbound::Trade(m) => {
                self.trade_id = self.trade_id.max(m.data.iter().map(|t| t.trade_id).max());
            }
            Inbound::Ohlc(m) => {
                let newest = m.data.iter().map(|c| c.interval_begin).max();
                self.candle_begin = self.candle_begin.max(newest);
            }
            _ => {}
        }
    }
}

/// The items of a snapshot `m` that pass `keep`, as an update; nothing
/// when none does.
fn as_update<'m, T: Clone>(
    m: &ChannelMessage<Vec<T>>,
    keep: impl Fn(&T) -> bool,
    wrap: impl FnOnce(ChannelMessage<Vec<T>>) -> Inbound,
) -> Share<'m> {
    let data: Vec<T> = m.data.iter().filter(|item| keep(item)).cloned().collect();
    if data.is_empty() {
        return Share::Nothing;
    }
    Share::Changed(wrap(ChannelMessage {
        kind: MessageType::Update,
        data,
        sequence: m.sequence,
        timestamp: m.timestamp,
    }))
}

/// How a snapshot `msg` reaches a subscriber with `view`: `newcomer` when
/// it is one the snapshot was asked for, or when everyone is; `seen` is
/// what the others have been given so far.
pub(crate) fn share<'m>(msg: &'m Inbound, view: View, newcomer: bool, seen: Seen) -> Share<'m> {
    if !newcomer {
        match msg {
            Inbound::Trade(m) => {
                let newer = |t: &kraki_proto::channels::Trade| {
                    seen.trade_id.is_none_or(|last| t.trade_id > last)
                };
                return as_update(m, newer, Inbound::Trade);
            }
            Inbound::Ohlc(m) => {
                // With no candle seen yet, only the current one is news.
                let from = seen
                    .candle_begin
                    .or_else(|| m.data.iter().map(|c| c.interval_begin).max());
                let current = |c: &kraki_proto::channels::Candle| {
                    from.is_none_or(|from| c.interval_begin >= from)
                };
                return as_update(m, current, Inbound::Ohlc);
            }
            Inbound::Ticker(m) => return as_update(m, |_| true, Inbound::Ticker),
            Inbound::Instrument(_) => return Share::Nothing,
            _ => {}
        }
    }
    match (view, msg) {
        (View::Everything, _) => Share::Same(msg),
        (View::NoSnapshot, _) => Share::Nothing,
        (View::Executions { orders, trades }, Inbound::Executions(m)) => {
            if orders && trades {
                return Share::Same(msg);
            }
            if !orders && !trades {
                return Share::Nothing;
            }
            let data = m
                .data
                .iter()
                .filter(|r| (r.exec_type == ExecType::Trade) == trades)
                .cloned()
                .collect();
            Share::Changed(Inbound::Executions(ChannelMessage {
                kind: m.kind,
                data,
                sequence: m.sequence,
                timestamp: m.timestamp,
            }))
        }
        (View::Executions { .. }, _) => Share::Same(msg),
    }
}

/// Whether `id` is one the coming snapshot was asked for (every
/// subscriber is, when nobody in particular asked).
pub(crate) fn is_newcomer(snapshot_for: Option<&[SubId]>, id: SubId) -> bool {
    snapshot_for.is_none_or(|ids| ids.contains(&id))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn executions(orders: Option<bool>, trades: Option<bool>) -> SubscribeParams {
        let mut p = SubscribeParams::new(Channel::Executions);
        p.snap_orders = orders;
        p.snap_trades = trades;
        p
    }

    #[test]
    fn merged_params_ask_for_what_either_subscriber_wants() {
        let mut wire = executions(None, None);
        assert!(merge_params(&mut wire, &executions(Some(true), Some(true))));
        assert_eq!(wire.snap_trades, Some(true));
        assert_eq!(wire.snap_orders, Some(true));
        // Asking for less changes nothing.
        assert!(!merge_params(
            &mut wire,
            &executions(Some(false), Some(false))
        ));

        let mut quiet = executions(Some(false), None);
        assert!(merge_params(&mut quiet, &executions(None, None)));
        assert_eq!(quiet.snap_orders, Some(true));

        let mut book = SubscribeParams::with_symbols(Channel::Book, ["BTC/USD"]);
        book.snapshot = Some(false);
        assert!(merge_params(
            &mut book,
            &SubscribeParams::with_symbols(Channel::Book, ["BTC/USD"])
        ));
        assert_eq!(book.snapshot, None);
    }

    #[test]
    fn views_follow_each_subscribers_params() {
        assert_eq!(
            View::of(&executions(None, None)),
            View::Executions {
                orders: true,
                trades: false
            }
        );
        let mut legacy = executions(None, None);
        legacy.snapshot = Some(false);
        assert_eq!(
            View::of(&legacy),
            View::Executions {
                orders: false,
                trades: false
            }
        );
        assert!(!asks_for_snapshot(&legacy));
        assert!(asks_for_snapshot(&executions(Some(false), Some(true))));
        let mut ticker = SubscribeParams::with_symbols(Channel::Ticker, ["BTC/USD"]);
        assert!(asks_for_snapshot(&ticker));
        ticker.snapshot = Some(false);
        assert_eq!(View::of(&ticker), View::NoSnapshot);
        assert!(!asks_for_snapshot(&ticker));
    }

    fn candles(kind: &str, begins: &[&str]) -> Inbound {
        let data: Vec<String> = begins
            .iter()
            .map(|b| {
                format!(
                    r#"{{"symbol":"BTC/USD","open":1,"high":1,"low":1,"close":1,"vwap":1,"trades":1,"volume":1,"interval_begin":"{b}","interval":1,"timestamp":"{b}"}}"#
                )
            })
            .collect();
        let text = format!(
            r#"{{"channel":"ohlc","type":"{kind}","timestamp":"2026-01-01T00:03:00.000000Z","data":[{}]}}"#,
            data.join(",")
        );
        kraki_proto::decode(&text).unwrap()
    }

    fn begins(share: Share<'_>) -> Vec<String> {
        match share {
            Share::Changed(Inbound::Ohlc(m)) => {
                assert_eq!(m.kind, MessageType::Update);
                m.data
                    .iter()
                    .map(|c| c.interval_begin.to_string())
                    .collect()
            }
            Share::Nothing => Vec::new(),
            _ => panic!("a candle snapshot reaches the others as an update or not at all"),
        }
    }

    /// The others get the candles from the last one they saw on (it may
    /// have changed since), as an update; the newcomer gets the snapshot.
    #[test]
    fn a_candle_snapshot_gives_the_others_what_they_missed() {
        let (t0, t1, t2) = (
            "2026-01-01T00:00:00.000000Z",
            "2026-01-01T00:01:00.000000Z",
            "2026-01-01T00:02:00.000000Z",
        );
        let mut seen = Seen::default();
        seen.note(&candles("update", &[t1]));
        let snapshot = candles("snapshot", &[t0, t1, t2]);
        assert_eq!(
            begins(share(&snapshot, View::Everything, false, seen)),
            [t1, t2]
        );
        assert!(matches!(
            share(&snapshot, View::Everything, true, seen),
            Share::Same(_)
        ));
        // Nothing seen yet: only the current candle is news.
        assert_eq!(
            begins(share(&snapshot, View::Everything, false, Seen::default())),
            [t2]
        );
        seen.note(&candles("update", &[t2]));
        assert_eq!(
            begins(share(
                &candles("snapshot", &[t0, t1]),
                View::Everything,
                false,
                seen
            )),
            Vec::<String>::new()
        );
    }
}
