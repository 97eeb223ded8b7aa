//! What the exchange tells an account's private subscriptions: its events
//! as they happen, and the snapshot material a new subscription starts
//! from.

use kraki_proto::channels::{AssetBalance, ExecutionReport, LedgerEntry};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Something that happened to an account, in the order it happened.
#[derive(Debug, Clone)]
pub(crate) enum PrivateEvent {
    /// One execution report (one per message, as live). Both kinds are
    /// boxed: events are shared behind an `Arc` and moved once.
    Execution(Box<ExecutionReport>),
    /// One completed ledger entry (one per message, as documented).
    Ledger(Box<LedgerEntry>),
}

/// A private subscription's snapshot material and its updates, taken in
/// one engine command so that no event falls between them.
pub(crate) struct PrivateAttached {
    /// Open orders, as full reports.
    pub(crate) open_orders: Vec<ExecutionReport>,
    /// The last fills, oldest first.
    pub(crate) recent_fills: Vec<ExecutionReport>,
    pub(crate) balances: Vec<AssetBalance>,
    pub(crate) updates: broadcast::Receiver<Arc<PrivateEvent>>,
}
