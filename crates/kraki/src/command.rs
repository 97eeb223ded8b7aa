//! What the client's handles ask of their connection, and how they name
//! the subscribers they hold.

use crate::error::{Error, Rejection};
use crate::sink::Deliver;
use kraki_proto::{Channel, Method, Response, SubscribeParams};
use tokio::sync::oneshot;

/// Identifies one local subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SubId(pub(crate) u64);

/// A subscribe call's answer.
#[derive(Debug)]
pub(crate) struct Subscribed {
    pub(crate) id: SubId,
    /// The symbols Kraken refused, for a partial subscribe.
    pub(crate) refused: Vec<Rejection>,
}

/// What the rest of the client asks of the connection.
pub(crate) enum Command {
    /// A new local subscriber. It gets a snapshot when its params ask for
    /// one, even when the wire subscription already exists.
    Subscribe {
        params: SubscribeParams,
        sink: Box<dyn Deliver>,
        /// Keep the symbols Kraken accepts when it refuses others (else
        /// all or nothing).
        partial: bool,
        reply: oneshot::Sender<Result<Subscribed, Error>>,
    },
    Release(SubId),
    /// Unsubscribe and subscribe again every wire subscription of this
    /// subscriber, for a fresh snapshot (a book that lost sync).
    Resync(SubId),
    /// Unsubscribe and subscribe again every wire subscription of a
    /// channel: a handler of it dropped messages that describe state
    /// (executions, balances), and a fresh snapshot makes it whole.
    ResyncChannel(Channel),
    /// Every message of a type, from every subscription, to a handler.
    AddHandler(Box<dyn Deliver>),
    /// A request (trading) answered by one response, or by `expected`
    /// responses sharing its req_id (`cancel_order`: one per order).
    Call {
        method: Box<Method>,
        expected: usize,
        reply: oneshot::Sender<Result<Vec<Response>, Error>>,
    },
    Close(oneshot::Sender<()>),
}
