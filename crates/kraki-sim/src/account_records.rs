//! What an account's REST history reads: its closed orders, its fills and
//! its ledger entries, newest last, recorded by the engine as they happen
//! (the same events the WebSocket side publishes). Bounded per account;
//! the oldest records go first.

use crate::orders::UserOrder;
use kraki_proto::Decimal;
use kraki_proto::channels::LedgerEntry;
use kraki_proto::{OrderType, Side};
use std::collections::{HashMap, VecDeque};

/// Records of each kind kept per account.
pub(crate) const MAX_RECORDS: usize = 10_000;

/// An order once closed (filled, canceled or expired).
#[derive(Debug, Clone)]
pub(crate) struct ClosedOrder {
    /// The order as it stood when it closed (its status says how).
    pub(crate) order: UserOrder,
    /// Nanoseconds since the Unix epoch.
    pub(crate) closed_ns: i128,
    /// Why it closed, for a cancel or an expiry.
    pub(crate) reason: Option<String>,
}

/// One fill of a user order.
#[derive(Debug, Clone)]
pub(crate) struct TradeRecord {
    /// The trade's id (the execution id; ledger entries' `refid`).
    pub(crate) txid: String,
    /// Kraken's position id of the fill (`postxid`).
    pub(crate) postxid: String,
    pub(crate) order_id: String,
    /// The v2 pair.
    pub(crate) symbol: String,
    pub(crate) time_ns: i128,
    pub(crate) side: Side,
    pub(crate) order_type: OrderType,
    pub(crate) price: Decimal,
    pub(crate) cost: Decimal,
    pub(crate) fee: Decimal,
    pub(crate) vol: Decimal,
    pub(crate) maker: bool,
    pub(crate) trade_id: u64,
    /// The cost in USD at 4 places, for `TradeVolume`.
    pub(crate) usd_volume: i128,
}

/// One account's history.
#[derive(Debug, Default)]
pub(crate) struct AccountRecords {
    pub(crate) closed: VecDeque<ClosedOrder>,
    pub(crate) trades: VecDeque<TradeRecord>,
    pub(crate) ledgers: VecDeque<LedgerEntry>,
    /// The trade ids of each order, for `trades=true`.
    pub(crate) order_trades: HashMap<String, Vec<String>>,
}

impl AccountRecords {
    pub(crate) fn close(&mut self, closed: ClosedOrder) {
        push_bounded(&mut self.closed, closed);
    }

    pub(crate) fn trade(&mut self, trade: TradeRecord) {
        self.order_trades
            .entry(trade.order_id.clone())
            .or_default()
            .push(trade.txid.clone());
        push_bounded(&mut self.trades, trade);
        if self.order_trades.len() > MAX_RECORDS {
            // The lists of orders whose fills are all gone go with them.
            let kept: std::collections::HashSet<&str> =
                self.trades.iter().map(|t| t.order_id.as_str()).collect();
            self.order_trades.retain(|id, _| kept.contains(id.as_str()));
        }
    }

    pub(crate) fn ledger(&mut self, entry: LedgerEntry) {
        push_bounded(&mut self.ledgers, entry);
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() == MAX_RECORDS {
        queue.pop_front();
    }
    queue.push_back(item);
}
