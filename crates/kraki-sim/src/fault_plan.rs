//! Faults a connection keeps applying for as long as it follows a plan,
//! as opposed to the one-off faults (close, cut, stall, garbage) that act
//! once when raised.

use std::time::Duration;

/// The error string of a subscription refused by [`FaultPlan::reject_subscriptions`].
///
/// Kraken's wording for a subscription the service cannot take is not
/// documented; `EService:Unavailable` is the string Kraken uses on
/// WebSocket v2 and REST when a service is down (protocol reference §2.4),
/// and the sim already answers with it in maintenance.
pub const SUBSCRIPTION_REJECTED: &str = "EService:Unavailable";

/// A set of lasting faults for a connection. Default is no fault at all.
///
/// A plan is set for every connection on the builder
/// ([`crate::Simulator::faults`]), at runtime for every connection
/// ([`crate::SimHandle::set_faults`]), for the next connection to open
/// ([`crate::SimHandle::fault_next_connection`]) or for one connection
/// ([`crate::Connection::set_faults`]). Setting a plan replaces the
/// previous one; [`FaultPlan::default`] clears every fault.
///
/// ```
/// use kraki_sim::FaultPlan;
/// use std::time::Duration;
/// let plan = FaultPlan::new()
///     .close_after(100)
///     .delay_acks(Duration::from_millis(300));
/// assert_ne!(plan, FaultPlan::default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct FaultPlan {
    pub(crate) close_after: Option<u64>,
    pub(crate) ack_delay: Option<Duration>,
    pub(crate) drop_acks: bool,
    pub(crate) reject_subscriptions: bool,
}

impl FaultPlan {
    /// A plan without faults, to add some to.
    pub fn new() -> Self {
        FaultPlan::default()
    }

    /// The connection closes, with a close frame, once it has sent
    /// `messages` more text frames (status, acks, data and heartbeats all
    /// count), counted from when the plan reaches it: on the builder or with
    /// [`crate::SimHandle::fault_next_connection`] that includes the
    /// `status` sent on connect. 0 closes at once. Default is never.
    pub fn close_after(mut self, messages: u64) -> Self {
        self.close_after = Some(messages);
        self
    }

    /// Every response to a request (subscribe and unsubscribe acks, errors,
    /// pongs, trading acks) is sent `delay` late. Whatever the connection
    /// would send after a held response (the snapshot and updates it
    /// announces, other subscriptions' data, heartbeats) waits behind it,
    /// so the order on the wire stays the one Kraken sends: ack, snapshot,
    /// updates. Default is no delay.
    pub fn delay_acks(mut self, delay: Duration) -> Self {
        self.ack_delay = Some(delay);
        self
    }

    /// Responses to requests (acks, errors, pongs) are never sent, while
    /// everything else still is: a subscribe takes effect and its snapshot
    /// and updates flow, but its ack never comes, so a client's ack timeout
    /// fires. Wins over [`FaultPlan::delay_acks`] for the responses
    /// themselves. Default is false.
    pub fn drop_acks(mut self, on: bool) -> Self {
        self.drop_acks = on;
        self
    }

    /// Every subscribe is refused with `success: false` and
    /// [`SUBSCRIPTION_REJECTED`] (`EService:Unavailable`), one error per
    /// symbol carrying `symbol` as Kraken's per-symbol errors do (one error
    /// without `symbol` for channels without symbols), and nothing is
    /// subscribed. Unsubscribes and trading are served as usual. Default
    /// is false.
    pub fn reject_subscriptions(mut self, on: bool) -> Self {
        self.reject_subscriptions = on;
        self
    }
}
