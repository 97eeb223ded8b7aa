//! What every connection and HTTP request of one simulator shares: the
//! credentials, the pairs, the way to the engine and the settings.

use crate::auth::Auth;
use crate::connections::Registry;
use crate::engine::EngineCommand;
use crate::feed_faults::FeedFaults;
use crate::markets::PairSpec;
use crate::rest_rate::RestCounters;
use kraki_proto::channels::{PairStatus, SystemStatus};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// What every connection shares.
pub(crate) struct Shared {
    pub(crate) auth: Arc<Auth>,
    pub(crate) specs: Vec<PairSpec>,
    /// `maxratecount` of the executions ack.
    pub(crate) max_rate_count: u32,
    pub(crate) engine: mpsc::Sender<EngineCommand>,
    pub(crate) idle_timeout: Duration,
    /// How long an HTTP request may take (see `Simulator::request_timeout`).
    pub(crate) request_timeout: Duration,
    pub(crate) heartbeat: Duration,
    /// Whether `/auth/v2` and `/l3/v2` send `status` on connect too.
    pub(crate) status_on_private: bool,
    pub(crate) faults: watch::Receiver<FeedFaults>,
    /// Open connections and the fault plans of new ones.
    pub(crate) registry: Arc<Registry>,
    /// The trading engine's state, as the `status` channel and REST
    /// `SystemStatus` report it.
    pub(crate) system: watch::Receiver<SystemStatus>,
    /// Each pair's status, in `specs` order, for REST `AssetPairs`; the
    /// engine, which owns the markets, publishes every change.
    pub(crate) pair_statuses: watch::Receiver<Vec<PairStatus>>,
    /// Kraken's REST call counter of each API key.
    pub(crate) rest_counters: RestCounters,
}
