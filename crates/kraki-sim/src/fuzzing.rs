//! An entry point for fuzzing the simulator's HTTP side (feature
//! `fuzzing`, used by the `sim_http` target in `fuzz/`): bytes go to the
//! same connection code a TCP client reaches, over an in-memory stream,
//! WebSocket upgrade and frames included.
//!
//! Time is paused on the fuzzer's runtime: the request timeout and the
//! idle timeout fire as soon as nothing else can happen, so an input that
//! stops mid-request costs no waiting.

use crate::auth::{Auth, Credentials};
use crate::connections::Registry;
use crate::fault_plan::FaultPlan;
use crate::feed_faults::FeedFaults;
use crate::http;
use crate::markets::default_markets;
use crate::shared::Shared;
use kraki_proto::channels::{PairStatus, SystemStatus};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

/// Feeds inputs, one connection each, to the simulator's HTTP service.
pub struct HttpFuzzer {
    runtime: tokio::runtime::Runtime,
    shared: Arc<Shared>,
    /// Kept so the engine's status never reads as ended.
    _system: watch::Sender<SystemStatus>,
}

impl std::fmt::Debug for HttpFuzzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFuzzer").finish_non_exhaustive()
    }
}

impl HttpFuzzer {
    /// A service with the demo credentials and the default pairs. No
    /// market engine runs: requests that need it get empty answers.
    ///
    /// # Panics
    /// When a tokio runtime cannot be built.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a tokio runtime");
        let auth = Auth::new(&Credentials::default()).expect("the demo secret is base64");
        let (engine, _) = mpsc::channel(1);
        let (_faults, faults) = watch::channel(FeedFaults::default());
        let (system_tx, system) = watch::channel(SystemStatus::Online);
        let specs = default_markets();
        // Every pair online; a receiver keeps its value once the sender
        // is gone.
        let (_, pair_statuses) = watch::channel(vec![PairStatus::Online; specs.len()]);
        let shared = Arc::new(Shared {
            auth: Arc::new(auth),
            specs,
            max_rate_count: 125,
            engine,
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
            heartbeat: Duration::from_secs(1),
            status_on_private: true,
            faults,
            registry: Arc::new(Registry::new(FaultPlan::default())),
            system,
            pair_statuses,
            rest_counters: crate::rest_rate::RestCounters::new(
                crate::rest_rate::RestLimit::STARTER,
            ),
        });
        HttpFuzzer {
            runtime,
            shared,
            _system: system_tx,
        }
    }

    /// One connection: `input` is sent, then the client's side is shut
    /// down for writing, and everything the service answers is read until
    /// it closes.
    pub fn run(&self, input: &[u8]) {
        let shared = self.shared.clone();
        self.runtime.block_on(async move {
            let (client, server) = tokio::io::duplex(64 << 10);
            let service = tokio::spawn(http::serve(server, None, shared, 1));
            let (mut from_server, mut to_server) = tokio::io::split(client);
            let send = async {
                let _ = to_server.write_all(input).await;
                let _ = to_server.shutdown().await;
            };
            let receive = async {
                let mut sink = vec![0u8; 16 << 10];
                while matches!(from_server.read(&mut sink).await, Ok(n) if n > 0) {}
            };
            tokio::join!(send, receive);
            let _ = service.await;
        });
    }
}

impl Default for HttpFuzzer {
    fn default() -> Self {
        HttpFuzzer::new()
    }
}
