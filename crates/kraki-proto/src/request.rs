//! Client → server requests: `{"method":…,"params":{…},"req_id":…}`.

use crate::trading::{
    AddOrderParams, AmendOrderParams, BatchAddParams, BatchCancelParams, CancelAfterParams,
    CancelAllParams, CancelOrderParams, EditOrderParams,
};
use crate::{ReqId, SubscribeParams};
use serde::ser::SerializeMap;

/// A method with its params.
// A request is built once and encoded at once; boxing the large order
// params would only add noise at every construction site.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Method {
    /// Application-level ping; sent without params (Kraken rejects params).
    Ping,
    /// Subscribe to a channel.
    Subscribe(SubscribeParams),
    /// Unsubscribe; must echo the identifying params.
    Unsubscribe(SubscribeParams),
    /// Place an order.
    AddOrder(AddOrderParams),
    /// Amend an order in place.
    AmendOrder(AmendOrderParams),
    /// Cancel and replace an order (legacy).
    EditOrder(EditOrderParams),
    /// Cancel orders by ids, client ids or userrefs.
    CancelOrder(CancelOrderParams),
    /// Cancel every open order.
    CancelAll(CancelAllParams),
    /// Arm or disarm the dead man's switch.
    CancelAllOrdersAfter(CancelAfterParams),
    /// Place 2–15 orders on one pair.
    BatchAdd(BatchAddParams),
    /// Cancel 2–50 orders.
    BatchCancel(BatchCancelParams),
}

impl Method {
    /// The wire name, e.g. `add_order`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Ping => "ping",
            Method::Subscribe(_) => "subscribe",
            Method::Unsubscribe(_) => "unsubscribe",
            Method::AddOrder(_) => "add_order",
            Method::AmendOrder(_) => "amend_order",
            Method::EditOrder(_) => "edit_order",
            Method::CancelOrder(_) => "cancel_order",
            Method::CancelAll(_) => "cancel_all",
            Method::CancelAllOrdersAfter(_) => "cancel_all_orders_after",
            Method::BatchAdd(_) => "batch_add",
            Method::BatchCancel(_) => "batch_cancel",
        }
    }
}

/// A request frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What to do.
    pub method: Method,
    /// Echoed in every response to this request.
    pub req_id: Option<ReqId>,
}

impl Request {
    /// A request with a request id.
    pub fn new(method: Method, req_id: impl Into<Option<ReqId>>) -> Self {
        Request {
            method,
            req_id: req_id.into(),
        }
    }

    /// The JSON text frame to send.
    ///
    /// # Errors
    /// Only if a field cannot be written as JSON, which kraki's own types
    /// never cause; the error is returned rather than hidden.
    pub fn encode(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

impl serde::Serialize for Request {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("method", self.method.name())?;
        match &self.method {
            Method::Ping => {}
            Method::Subscribe(p) | Method::Unsubscribe(p) => map.serialize_entry("params", p)?,
            Method::AddOrder(p) => map.serialize_entry("params", p)?,
            Method::AmendOrder(p) => map.serialize_entry("params", p)?,
            Method::EditOrder(p) => map.serialize_entry("params", p)?,
            Method::CancelOrder(p) => map.serialize_entry("params", p)?,
            Method::CancelAll(p) => map.serialize_entry("params", p)?,
            Method::CancelAllOrdersAfter(p) => map.serialize_entry("params", p)?,
            Method::BatchAdd(p) => map.serialize_entry("params", p)?,
            Method::BatchCancel(p) => map.serialize_entry("params", p)?,
        }
        if let Some(id) = self.req_id {
            map.serialize_entry("req_id", &id)?;
        }
        map.end()
    }
}
