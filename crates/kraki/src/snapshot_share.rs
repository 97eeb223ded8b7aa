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
//!   as an update; ticker, candles and instruments get nothing, their next
//!   update being complete in itself.

use crate::command::SubId;
use kraki_proto::channels::ExecType;
use kraki_proto::{Channel, ChannelMessage, Inbound, MessageType, SubscribeParams};

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

/// How a snapshot `msg` reaches a subscriber with `view`: `newcomer` when
/// it is one the snapshot was asked for, or when everyone is;
/// `last_trade_id` is the newest trade the others have seen.
pub(crate) fn share<'m>(
    msg: &'m Inbound,
    view: View,
    newcomer: bool,
    last_trade_id: Option<u64>,
) -> Share<'m> {
    if !newcomer {
        match msg {
            Inbound::Trade(m) => {
                let newer: Vec<_> = m
                    .data
                    .iter()
                    .filter(|t| last_trade_id.is_none_or(|last| t.trade_id > last))
                    .cloned()
                    .collect();
                if newer.is_empty() {
                    return Share::Nothing;
                }
                return Share::Changed(Inbound::Trade(ChannelMessage {
                    kind: MessageType::Update,
                    data: newer,
                    sequence: m.sequence,
                    timestamp: m.timestamp,
                }));
            }
            Inbound::Ticker(_) | Inbound::Ohlc(_) | Inbound::Instrument(_) => {
                return Share::Nothing;
            }
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
}
