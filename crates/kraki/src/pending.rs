//! Requests waiting for Kraken's answer: subscribe calls waiting for their
//! acks, and trading calls waiting for their responses.

use crate::command::{SubId, Subscribed};
use crate::error::{Error, Rejection};
use crate::wire_table::WireKey;
use kraki_proto::{Method, ReqId, Response};
use std::collections::HashSet;
use std::time::Instant;
use tokio::sync::oneshot;

/// A subscribe call waiting for the acks of its wire subscriptions.
pub(crate) struct PendingOp {
    pub(crate) id: SubId,
    pub(crate) waiting: HashSet<WireKey>,
    pub(crate) errors: Vec<Rejection>,
    /// Keeps the accepted symbols when some are refused.
    pub(crate) partial: bool,
    pub(crate) reply: oneshot::Sender<Result<Subscribed, Error>>,
    pub(crate) deadline: Instant,
}

/// A request waiting for its responses.
pub(crate) struct PendingCall {
    pub(crate) req_id: ReqId,
    pub(crate) method: &'static str,
    /// What was sent, to send again once if Kraken refuses a stale token
    /// (kept on authenticated connections only).
    pub(crate) request: Option<Method>,
    /// The token generation the request carried.
    pub(crate) token_generation: u64,
    pub(crate) expected: usize,
    pub(crate) responses: Vec<Response>,
    pub(crate) reply: oneshot::Sender<Result<Vec<Response>, Error>>,
    pub(crate) deadline: Instant,
}

impl PendingCall {
    /// Answers the caller that the outcome is unknown, for `reason`.
    pub(crate) fn outcome_unknown(self, reason: String) {
        let _ = self.reply.send(Err(Error::OutcomeUnknown {
            method: self.method,
            reason,
            cl_ord_id: None,
        }));
    }
}
