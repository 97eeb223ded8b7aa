//! One wire subscription: what Kraken was asked, what it has answered, and
//! what is due by when.
//!
//! Each state carries its own deadline, so a deadline cannot outlive the
//! state it belongs to. Each kind of trouble gets one second chance per
//! connection ([`Retried`]); the second time, the connection is replaced
//! (or the subscription refused).

use crate::command::SubId;
use crate::snapshot_share::Seen;
use kraki_proto::{Channel, ReqId, SubscribeParams};
use smallvec::SmallVec;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WireState {
    /// Waiting for a connection to send the subscribe.
    Unsent,
    /// Refused for a stale token: subscribed again once a fresh token is
    /// in, or refused with Kraken's `refusal` if none comes.
    AwaitingToken { refusal: String },
    /// Subscribe sent as `req_id`, carrying token `token_generation`; the
    /// ack is due by `ack_by`.
    Pending {
        req_id: ReqId,
        ack_by: Instant,
        token_generation: u64,
    },
    /// Acked; the snapshot is due by `snapshot_by`.
    AwaitingSnapshot { snapshot_by: Instant },
    /// Acked, and data flows (or no snapshot is due).
    Active,
}

/// Second chances already spent on this connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retried {
    /// Subscribed again once for a missing ack.
    pub(crate) ack: bool,
    /// Subscribed again once for an acked subscription's silence.
    pub(crate) silence: bool,
    /// Sent again once with a fresh token after a stale-token refusal.
    pub(crate) token: bool,
}

pub(crate) struct Wire {
    /// The params to (re)subscribe this key with, for its one symbol: the
    /// union of what its subscribers asked for (see
    /// [`crate::snapshot_share::merge_params`]).
    pub(crate) params: SubscribeParams,
    pub(crate) state: WireState,
    /// Held inline up to two, the usual count: every frame goes through
    /// them, and among hundreds of pairs a list elsewhere is a cache miss
    /// per frame.
    pub(crate) subscribers: SmallVec<[SubId; 2]>,
    pub(crate) retried: Retried,
    /// Set when the wire subscription is made again only because these
    /// newcomers need a snapshot: the next snapshot is theirs, and the
    /// others get only what they missed meanwhile.
    pub(crate) snapshot_for: Option<Vec<SubId>>,
    /// The newest trade and candle routed, so that a re-subscribe's
    /// snapshot gives the others only what they have not seen.
    pub(crate) seen: Seen,
}

impl Wire {
    pub(crate) fn new(params: SubscribeParams) -> Self {
        Wire {
            params,
            state: WireState::Unsent,
            subscribers: SmallVec::new(),
            retried: Retried::default(),
            snapshot_for: None,
            seen: Seen::default(),
        }
    }

    /// Acked (and not lost since): data is routed to its subscribers.
    pub(crate) fn is_acked(&self) -> bool {
        matches!(
            self.state,
            WireState::AwaitingSnapshot { .. } | WireState::Active
        )
    }

    /// The subscribe it waits an ack for.
    pub(crate) fn pending_req(&self) -> Option<ReqId> {
        match self.state {
            WireState::Pending { req_id, .. } => Some(req_id),
            _ => None,
        }
    }

    /// Whether its subscribe may have taken effect on the server: then an
    /// unsubscribe must come before subscribing again (or Kraken answers
    /// `Already subscribed`), and before forgetting it.
    pub(crate) fn maybe_on_server(&self) -> bool {
        !matches!(
            self.state,
            WireState::Unsent | WireState::AwaitingToken { .. }
        )
    }

    /// Acked at `now`: a snapshot is due within `within` when its params
    /// ask for one.
    pub(crate) fn acked(&mut self, now: Instant, within: Duration) {
        self.retried.token = false;
        self.retried.ack = false;
        self.state = if watches_snapshot(&self.params) {
            WireState::AwaitingSnapshot {
                snapshot_by: now + within,
            }
        } else {
            WireState::Active
        };
    }

    /// Data arrived: the feed is alive, whatever happened before.
    pub(crate) fn fed(&mut self) {
        if let WireState::AwaitingSnapshot { .. } = self.state {
            self.state = WireState::Active;
        }
        self.retried.silence = false;
    }

    /// The connection is gone: subscribe afresh on the next one, with
    /// every second chance restored.
    pub(crate) fn connection_lost(&mut self) {
        self.state = WireState::Unsent;
        self.retried = Retried::default();
        // Everyone missed what came while it was down: the next snapshot
        // is for all.
        self.snapshot_for = None;
    }

    /// What it waits for by when: its ack, or its snapshot.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.state {
            WireState::Pending { ack_by, .. } => Some(ack_by),
            WireState::AwaitingSnapshot { snapshot_by } => Some(snapshot_by),
            _ => None,
        }
    }
}

/// Channels whose ack is followed by a snapshot that the silence watchdog
/// waits for (private channels may have nothing to send).
fn watches_snapshot(params: &SubscribeParams) -> bool {
    params.snapshot != Some(false)
        && matches!(
            params.channel,
            Channel::Book
                | Channel::Ticker
                | Channel::Ohlc
                | Channel::Trade
                | Channel::Instrument
                | Channel::Level3
        )
}
