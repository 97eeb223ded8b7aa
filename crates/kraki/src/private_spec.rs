//! Typed subscriptions for the private channels, served on the
//! authenticated connection ([`crate::ClientBuilder::connect_auth`]); the
//! token is added by the client.

use crate::spec::Subscribe;
use kraki_proto::channels::ExecutionReport;
use kraki_proto::{BalancesData, Channel, Inbound, MessageType, SubscribeParams};

/// One `executions` message: order reports and own fills.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExecutionsUpdate {
    /// Snapshot (open orders, recent fills) or update.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The reports, in Kraken's order.
    pub reports: Vec<ExecutionReport>,
    /// Kraken's sequence number (gaps are detected by the client and
    /// reported as [`crate::Event::Gap`]).
    pub sequence: Option<u64>,
}

/// The `executions` channel.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Executions {
    snap_orders: Option<bool>,
    snap_trades: Option<bool>,
    order_status: Option<bool>,
    ratecounter: Option<bool>,
}

impl Executions {
    /// Own orders and fills, with Kraken's defaults: open orders in the
    /// snapshot, no fills, every status transition.
    pub fn new() -> Self {
        Executions::default()
    }

    /// Whether the snapshot lists open orders. Default is true.
    pub fn snap_orders(mut self, on: bool) -> Self {
        self.snap_orders = Some(on);
        self
    }

    /// Whether the snapshot lists the last 50 fills. Default is false.
    pub fn snap_trades(mut self, on: bool) -> Self {
        self.snap_trades = Some(on);
        self
    }

    /// Every status transition (true) or only open/close ones. Default is
    /// true.
    pub fn order_status(mut self, on: bool) -> Self {
        self.order_status = Some(on);
        self
    }

    /// Whether reports carry Kraken's rate counter. Default is false.
    pub fn ratecounter(mut self, on: bool) -> Self {
        self.ratecounter = Some(on);
        self
    }
}

impl Subscribe for Executions {
    type Item = ExecutionsUpdate;
    const CHANNEL: Channel = Channel::Executions;

    fn params(&self) -> SubscribeParams {
        let mut p = SubscribeParams::new(Self::CHANNEL);
        p.snap_orders = self.snap_orders;
        p.snap_trades = self.snap_trades;
        p.order_status = self.order_status;
        p.ratecounter = self.ratecounter;
        p
    }

    fn extract(msg: &Inbound, _symbol: Option<&str>) -> Option<ExecutionsUpdate> {
        let Inbound::Executions(m) = msg else {
            return None;
        };
        Some(ExecutionsUpdate {
            kind: m.kind,
            reports: m.data.clone(),
            sequence: m.sequence,
        })
    }
}

/// One `balances` message: balances per asset (snapshot) or ledger
/// entries (update; both legs of a trade share a `ref_id`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BalancesUpdate {
    /// Snapshot or update.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The balances or ledger entries.
    pub data: BalancesData,
    /// Kraken's sequence number.
    pub sequence: Option<u64>,
}

/// The `balances` channel.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Balances {
    snapshot: Option<bool>,
}

impl Balances {
    /// Balances with a snapshot.
    pub fn new() -> Self {
        Balances::default()
    }

    /// Whether to start with a snapshot. Default is true.
    pub fn snapshot(mut self, snapshot: bool) -> Self {
        self.snapshot = Some(snapshot);
        self
    }
}

impl Subscribe for Balances {
    type Item = BalancesUpdate;
    const CHANNEL: Channel = Channel::Balances;

    fn params(&self) -> SubscribeParams {
        let mut p = SubscribeParams::new(Self::CHANNEL);
        p.snapshot = self.snapshot;
        p
    }

    fn extract(msg: &Inbound, _symbol: Option<&str>) -> Option<BalancesUpdate> {
        let Inbound::Balances(m) = msg else {
            return None;
        };
        Some(BalancesUpdate {
            kind: m.kind,
            data: m.data.clone(),
            sequence: m.sequence,
        })
    }
}
