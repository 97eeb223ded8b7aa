//! The private channels' frames: `executions` and `balances` messages with
//! their per-subscription `sequence`, and which account events each
//! channel carries.

use crate::private_events::PrivateEvent;
use kraki_proto::channels::{ExecType, ExecutionReport};
use serde::Serialize;

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

/// Which private channel a subscription is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrivateChannel {
    Executions { order_status: bool },
    Balances,
}

/// Whether a subscription to `channel` gets a message for `event`.
pub(crate) fn carries(event: &PrivateEvent, channel: PrivateChannel) -> bool {
    match (event, channel) {
        (PrivateEvent::Execution(report), PrivateChannel::Executions { order_status }) => {
            passes(report, order_status)
        }
        (PrivateEvent::Ledger(_), PrivateChannel::Balances) => true,
        _ => false,
    }
}

/// The update message of an event its channel carries, numbered
/// `sequence`.
pub(crate) fn update(event: &PrivateEvent, sequence: u64) -> String {
    match event {
        PrivateEvent::Execution(report) => frame("executions", "update", [report], sequence),
        PrivateEvent::Ledger(entry) => frame("balances", "update", [entry], sequence),
    }
}
