//! The private channels of one connection: `executions` and `balances`
//! frames with their per-subscription `sequence`, rendered from the
//! account's events as they are published by the engine.

use crate::connection::Faults;
use crate::session::FrameSender;
use kraki_proto::channels::{AssetBalance, ExecType, ExecutionReport, LedgerEntry};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

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

#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    channel: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    data: T,
    sequence: u64,
}

/// `{"channel":…,"type":…,"data":…,"sequence":…}`.
pub(crate) fn frame<T: Serialize>(channel: &str, kind: &str, data: T, sequence: u64) -> String {
    let f = Frame {
        channel,
        kind,
        data,
        sequence,
    };
    serde_json::to_string(&f).unwrap_or_else(|_| String::from("{}"))
}

/// Whether a report passes `order_status: false`: only the open and close
/// transitions (`new`, `filled`, `canceled`, `expired`) and the fills
/// themselves.
pub(crate) fn passes(report: &ExecutionReport, order_status: bool) -> bool {
    order_status
        || matches!(
            report.exec_type,
            ExecType::New
                | ExecType::Trade
                | ExecType::Filled
                | ExecType::Canceled
                | ExecType::Expired
        )
}

/// Which channel a forwarder serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrivateChannel {
    Executions { order_status: bool },
    Balances,
}

/// Copies an account's events of one channel into the connection's frame
/// queue, numbering them from `sequence`. The sequence-gap fault skips one
/// number of the next executions message.
pub(crate) async fn forward(
    mut updates: broadcast::Receiver<Arc<PrivateEvent>>,
    frames: FrameSender,
    channel: PrivateChannel,
    mut sequence: u64,
    faults: watch::Receiver<Faults>,
) {
    let mut gaps_seen = faults.borrow().sequence_gap;
    loop {
        let event = match updates.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let _ = frames.send(None).await;
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let text = match (&*event, channel) {
            (PrivateEvent::Execution(report), PrivateChannel::Executions { order_status }) => {
                if !passes(report, order_status) {
                    continue;
                }
                let gaps = faults.borrow().sequence_gap;
                if gaps > gaps_seen {
                    gaps_seen = gaps;
                    sequence += 1;
                }
                frame("executions", "update", [report], sequence)
            }
            (PrivateEvent::Ledger(entry), PrivateChannel::Balances) => {
                frame("balances", "update", [entry], sequence)
            }
            _ => continue,
        };
        sequence += 1;
        if frames.send(Some(Arc::from(text))).await.is_err() {
            return;
        }
    }
}
