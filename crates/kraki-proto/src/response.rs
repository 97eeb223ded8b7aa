//! Method responses ("acks"): success with a typed result, or Kraken's
//! error string verbatim.

use crate::trading::{
    AddOrderResult, AmendOrderResult, BatchAddRow, BatchCancelResult, CancelAfterResult,
    CancelAllResult, CancelOrderResult, EditOrderResult,
};
use crate::{ReqId, SubscriptionResult, Symbol, Timestamp};

/// A response to a request. On success `result` holds the typed result; on
/// failure `error` holds Kraken's error string exactly as sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MethodResponse<T> {
    /// The method answered, as echoed.
    pub method: String,
    /// The request id, when the request carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req_id: Option<ReqId>,
    /// Whether the request succeeded.
    pub success: bool,
    /// The result; present on success, usually absent on failure.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// Kraken's error string, verbatim (e.g. `EOrder:Insufficient funds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The symbol a per-symbol subscribe error is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// `"error"` in some older error acks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When the server received the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_in: Option<Timestamp>,
    /// When the server answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_out: Option<Timestamp>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> MethodResponse<T> {
    /// The result on success, or Kraken's error string on failure (an
    /// empty-handed failure reads as `"unknown error"`).
    pub fn outcome(&self) -> Result<Option<&T>, &str> {
        if self.success {
            Ok(self.result.as_ref())
        } else {
            Err(self.error.as_deref().unwrap_or("unknown error"))
        }
    }
}

/// The answer to `ping`: no `success`, no `result` in live traffic.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pong {
    /// Always `pong`.
    pub method: String,
    /// The ping's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req_id: Option<ReqId>,
    /// Documented but not sent live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// Documented but not sent live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the server received the ping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_in: Option<Timestamp>,
    /// When the server answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_out: Option<Timestamp>,
}

/// A response to any known method.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Response {
    /// `pong`.
    Pong(Pong),
    /// One ack per symbol.
    Subscribe(MethodResponse<SubscriptionResult>),
    /// One ack per symbol.
    Unsubscribe(MethodResponse<SubscriptionResult>),
    /// `add_order`.
    AddOrder(MethodResponse<AddOrderResult>),
    /// `amend_order`.
    AmendOrder(MethodResponse<AmendOrderResult>),
    /// `edit_order`.
    EditOrder(MethodResponse<EditOrderResult>),
    /// One per canceled order.
    CancelOrder(MethodResponse<CancelOrderResult>),
    /// `cancel_all`.
    CancelAll(MethodResponse<CancelAllResult>),
    /// `cancel_all_orders_after` (camelCase result keys on the wire).
    CancelAllOrdersAfter(MethodResponse<CancelAfterResult>),
    /// Rows in request order.
    BatchAdd(MethodResponse<Vec<BatchAddRow>>),
    /// The count comes from `result.count` or the live top-level
    /// `orders_cancelled`.
    BatchCancel(MethodResponse<BatchCancelResult>),
}

/// Applies `$body` to the `MethodResponse` inside any non-pong variant.
macro_rules! each_response {
    ($self:expr, $r:ident => $body:expr, pong $p:ident => $pong:expr) => {
        match $self {
            Response::Pong($p) => $pong,
            Response::Subscribe($r) | Response::Unsubscribe($r) => $body,
            Response::AddOrder($r) => $body,
            Response::AmendOrder($r) => $body,
            Response::EditOrder($r) => $body,
            Response::CancelOrder($r) => $body,
            Response::CancelAll($r) => $body,
            Response::CancelAllOrdersAfter($r) => $body,
            Response::BatchAdd($r) => $body,
            Response::BatchCancel($r) => $body,
        }
    };
}

impl Response {
    /// The method name as on the wire (`pong` for a pong).
    pub fn method(&self) -> &str {
        each_response!(self, r => &r.method, pong p => &p.method)
    }

    /// The echoed request id.
    pub fn req_id(&self) -> Option<ReqId> {
        each_response!(self, r => r.req_id, pong p => p.req_id)
    }

    /// Whether the request succeeded (a pong without `success` did).
    pub fn success(&self) -> bool {
        each_response!(self, r => r.success, pong p => p.success.unwrap_or(true))
    }

    /// Kraken's error string, if the request failed.
    pub fn error(&self) -> Option<&str> {
        each_response!(self, r => r.error.as_deref(), pong p => p.error.as_deref())
    }

    /// The symbol of a per-symbol subscribe ack or error.
    pub fn symbol(&self) -> Option<&Symbol> {
        match self {
            Response::Subscribe(r) | Response::Unsubscribe(r) => r
                .symbol
                .as_ref()
                .or_else(|| r.result.as_ref().and_then(|x| x.symbol.as_ref())),
            other => each_response!(other, r => r.symbol.as_ref(), pong _p => None),
        }
    }
}
