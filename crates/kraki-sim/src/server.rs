//! The builder, the accept loop and routing by path.

use crate::account::default_balances;
use crate::auth::{Auth, Credentials};
use crate::connections::{Connection, Control, Registry};
use crate::engine::{Engine, EngineCommand};
use crate::exchange::TradingConfig;
use crate::fault_plan::FaultPlan;
use crate::feed_faults::FeedFaults;
use crate::http;
use crate::markets::{PairSpec, default_markets};
use crate::pair_status::PairStatusError;
use crate::refusal::Refusal;
use crate::rest_rate::{RestCounters, RestLimit};
use crate::shared::Shared;
use kraki_proto::Decimal;
use kraki_proto::channels::{PairStatus, SystemStatus};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Configures a simulator.
#[derive(Debug, Clone)]
#[must_use]
pub struct Simulator {
    seed: u64,
    addr: SocketAddr,
    rate: f64,
    markets: Vec<PairSpec>,
    activity: Option<Vec<u32>>,
    credentials: Credentials,
    idle_timeout: Duration,
    heartbeat: Duration,
    paused: bool,
    status_on_private: bool,
    balances: Vec<(String, Decimal)>,
    max_rate_count: u32,
    rest_limit: RestLimit,
    faults: FaultPlan,
    max_connections: usize,
    request_timeout: Duration,
}

impl Default for Simulator {
    fn default() -> Self {
        Simulator {
            seed: 1,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            rate: 40.0,
            markets: default_markets(),
            activity: None,
            credentials: Credentials::default(),
            idle_timeout: Duration::from_secs(60),
            heartbeat: Duration::from_secs(1),
            paused: false,
            status_on_private: true,
            balances: default_balances(),
            max_rate_count: 125,
            rest_limit: RestLimit::STARTER,
            faults: FaultPlan::default(),
            max_connections: 512,
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl Simulator {
    /// A simulator with the defaults below.
    pub fn builder() -> Self {
        Simulator::default()
    }

    /// Seed of the market generator. Default is 1.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Address to listen on; port 0 picks a free port. Default is
    /// `127.0.0.1:0`.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Listens on `127.0.0.1:port`.
    pub fn port(mut self, port: u16) -> Self {
        self.addr = SocketAddr::from(([127, 0, 0, 1], port));
        self
    }

    /// Market events per second across all pairs (each moves the book,
    /// about one in four is a trade). Default is 40: every pair's book
    /// moves several times a second. At most 1,000,000. A rate above what
    /// the machine can write out (about 200,000 events/s to one client on
    /// one core of a small server) makes the feeds fall behind, and a feed
    /// 4096 frames behind is dropped, as Kraken drops a slow consumer.
    pub fn rate(mut self, events_per_second: f64) -> Self {
        self.rate = events_per_second;
        self
    }

    /// How often each market (in the order of [`Simulator::markets`])
    /// moves, relative to the others; a market without a weight counts as
    /// 1. Default: all equally often.
    pub fn activity(mut self, weights: Vec<u32>) -> Self {
        self.activity = Some(weights);
        self
    }

    /// The pairs traded. Default is [`default_markets`].
    pub fn markets(mut self, markets: Vec<PairSpec>) -> Self {
        self.markets = markets;
        self
    }

    /// The API key and secret the REST endpoint accepts. Default is the
    /// demo account ([`crate::DEMO_API_KEY`], [`crate::DEMO_API_SECRET`]).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// WebSocket connections without a client message for this long are
    /// closed. Default is 60 s, like Kraken. (An HTTP keep-alive
    /// connection waiting for its next request is closed after
    /// [`Simulator::request_timeout`] instead.)
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Heartbeat period of a subscribed connection with nothing else to
    /// send. Default is 1 s.
    pub fn heartbeat(mut self, period: Duration) -> Self {
        self.heartbeat = period;
        self
    }

    /// When paused, the market moves only when [`SimHandle::advance`] is
    /// called, so a test sees exactly the same messages on every run with
    /// the same seed (timestamps aside). Default is false: the market moves
    /// on its own at [`Simulator::rate`].
    pub fn paused(mut self, paused: bool) -> Self {
        self.paused = paused;
        self
    }

    /// Whether the authenticated (`/auth/v2`) and level3 (`/l3/v2`)
    /// endpoints also send a `status` message on connect, as the public one
    /// does. Kraken documents it only for the public endpoint (protocol
    /// reference §11.7). Default is true.
    pub fn status_on_private(mut self, send: bool) -> Self {
        self.status_on_private = send;
        self
    }

    /// What an account holds when it is first used: `(asset, amount)`
    /// pairs, replacing the whole default set (assets left out start at
    /// zero). Amounts are cut to 4 places for fiat and 8 for other assets.
    /// Default is 100,000 USD, 10 BTC, 100 ETH, 1,000 SOL, 100,000 DOGE
    /// and 100,000,000 SHIB.
    pub fn balances<A: Into<String>>(
        mut self,
        balances: impl IntoIterator<Item = (A, Decimal)>,
    ) -> Self {
        self.balances = balances.into_iter().map(|(a, d)| (a.into(), d)).collect();
        self
    }

    /// The ceiling of the per-pair trading rate counter (§9.4), sent as
    /// `maxratecount` in the executions ack; an action that would pass it
    /// is refused with `EOrder:Rate limit exceeded`. The counter decays by
    /// 2.34 per second. Default is 125, Kraken's intermediate tier.
    pub fn max_rate_count(mut self, max: u32) -> Self {
        self.max_rate_count = max;
        self
    }

    /// Kraken's REST call counter per API key: its ceiling and its decay
    /// per second. Every private call but `GetWebSocketsToken` adds 1
    /// (`Ledgers` and `TradesHistory` add 2); a call that would pass the
    /// ceiling is refused with `EAPI:Rate limit exceeded` and not counted.
    /// Default is Kraken's starter tier, 15 decaying 0.33 per second
    /// (intermediate: 20 and 0.5, pro: 20 and 1). The decay is kept to
    /// thousandths.
    pub fn rest_rate_limit(mut self, max: u32, decay_per_second: f64) -> Self {
        self.rest_limit = RestLimit {
            max,
            decay_thousandths_per_second: (decay_per_second.clamp(0.0, 1_000_000.0) * 1000.0)
                .round() as u32,
        };
        self
    }

    /// The lasting faults every connection starts with (e.g. "every
    /// connection closes after 500 messages"); see [`FaultPlan`].
    /// [`SimHandle::set_faults`] changes them at runtime. Default is none.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }

    /// Connections open at once, HTTP and WebSocket alike; one more is
    /// accepted and reset at once (a TCP reset, as the
    /// [`SimHandle::refuse_connections`] fault does) until one closes.
    /// Default is 512. A closed HTTP connection keeps its slot for up to
    /// 2 s while what the client still sends is drained, so that an early
    /// answer (413, 431) reaches it rather than a reset.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// How long an HTTP request may take: its head must arrive within it
    /// (or the connection is closed, which also ends a keep-alive
    /// connection idle that long), then its body must arrive and the
    /// answer be ready within it again (or the answer is 408 and the
    /// connection closes). WebSocket connections are bounded by the idle
    /// timeout instead. Default is 10 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Binds and starts serving.
    ///
    /// # Errors
    /// When the address cannot be bound or the secret is not base64.
    pub async fn spawn(self) -> std::io::Result<SimHandle> {
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let auth = Arc::new(
            Auth::new(&self.credentials)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
        );
        let (engine_tx, engine_rx) = mpsc::channel(256);
        let (faults_tx, faults) = watch::channel(FeedFaults::default());
        let registry = Arc::new(Registry::new(self.faults.clone()));
        let (system_tx, system) = watch::channel(SystemStatus::Online);
        let trading = TradingConfig {
            starting_balances: self.balances.clone(),
            max_rate_count: self.max_rate_count,
            max_open_orders: MAX_OPEN_ORDERS,
        };
        let (pair_statuses_tx, pair_statuses) =
            watch::channel(vec![PairStatus::Online; self.markets.len()]);
        let engine = Engine::new(
            self.markets.clone(),
            self.activity.clone(),
            self.seed,
            trading,
            system.clone(),
            pair_statuses_tx,
        );
        let rate = (!self.paused).then_some(self.rate);
        let engine_task = tokio::spawn(engine.run(rate, engine_rx));
        let shared = Arc::new(Shared {
            auth: auth.clone(),
            max_rate_count: self.max_rate_count,
            specs: self.markets.clone(),
            engine: engine_tx.clone(),
            idle_timeout: self.idle_timeout,
            request_timeout: self.request_timeout,
            heartbeat: self.heartbeat,
            status_on_private: self.status_on_private,
            faults,
            registry: registry.clone(),
            system,
            pair_statuses,
            rest_counters: RestCounters::new(self.rest_limit),
        });
        let (stop_tx, stop_rx) = oneshot::channel();
        let refuse = Arc::new(Refusal::default());
        let slots = Arc::new(Semaphore::new(
            self.max_connections.min(Semaphore::MAX_PERMITS),
        ));
        let accept_task = tokio::spawn(accept_loop(
            listener,
            shared,
            refuse.clone(),
            slots,
            stop_rx,
        ));
        tracing::info!(%addr, "simulator listening");
        Ok(SimHandle {
            addr,
            auth,
            refuse,
            registry,
            engine: engine_tx,
            faults: faults_tx,
            system: system_tx,
            stop: Some(stop_tx),
            tasks: vec![accept_task, engine_task],
        })
    }
}

/// Open orders allowed per pair and account (Kraken's intermediate tier).
const MAX_OPEN_ORDERS: usize = 80;

/// A running simulator. Dropping it stops it too.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    auth: Arc<Auth>,
    refuse: Arc<Refusal>,
    registry: Arc<Registry>,
    engine: mpsc::Sender<EngineCommand>,
    faults: watch::Sender<FeedFaults>,
    system: watch::Sender<SystemStatus>,
    stop: Option<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://127.0.0.1:P/v2`.
    pub fn public_url(&self) -> String {
        format!("ws://{}/v2", self.addr)
    }

    /// `ws://127.0.0.1:P/auth/v2`.
    pub fn private_url(&self) -> String {
        format!("ws://{}/auth/v2", self.addr)
    }

    /// `ws://127.0.0.1:P/l3/v2`.
    pub fn level3_url(&self) -> String {
        format!("ws://{}/l3/v2", self.addr)
    }

    /// `http://127.0.0.1:P`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Moves the market by `events` random events (each a new level, a
    /// cancel or a trade) and returns once their frames are published to
    /// every subscription. Meant for [`Simulator::paused`] simulators; on a
    /// running one the events come on top of the regular ones.
    ///
    /// Cancel safety: once the request has reached the market, dropping the
    /// future does not undo the events.
    pub async fn advance(&self, events: u64) {
        let (reply, done) = oneshot::channel();
        if self
            .engine
            .send(EngineCommand::Advance { events, reply })
            .await
            .is_ok()
        {
            let _ = done.await;
        }
    }

    /// Fault: closes every open WebSocket connection with a close frame.
    pub fn close_connections(&self) {
        self.registry.broadcast(&Control::Close);
    }

    /// Fault: drops every open WebSocket connection without a close frame,
    /// as a network failure would.
    pub fn cut_connections(&self) {
        self.registry.broadcast(&Control::Cut);
    }

    /// Fault: every open WebSocket connection stops sending anything
    /// (no data, no heartbeats, no acks) while staying open. New
    /// connections are not affected.
    pub fn stall_connections(&self) {
        self.registry.broadcast(&Control::Stall);
    }

    /// Fault: every open WebSocket connection receives one text frame that
    /// is not JSON (as Kraken's proxy sometimes sends).
    pub fn send_garbage(&self) {
        self.registry.broadcast(&Control::Garbage);
    }

    /// Every open WebSocket connection, and every later one, follows
    /// `plan` from now on (replacing [`Simulator::faults`] and earlier
    /// calls); [`FaultPlan::default`] clears every lasting fault. Plans
    /// queued with [`SimHandle::fault_next_connection`] still go to the
    /// connections they were meant for.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.registry.set_plan(plan);
    }

    /// The next WebSocket connection to open follows `plan` from its first
    /// frame, instead of the plan every connection gets. Each call queues
    /// one plan: the second call's goes to the second connection opened
    /// after them, and so on.
    pub fn fault_next_connection(&self, plan: FaultPlan) {
        self.registry.queue_plan(plan);
    }

    /// The open WebSocket connections, oldest first, to fault one alone.
    pub fn connections(&self) -> Vec<Connection> {
        self.registry.open()
    }

    /// Resolves with the first WebSocket connection opened after this call
    /// (not when the future is first polled), or `None` once the simulator
    /// has stopped.
    ///
    /// Cancel safety: dropping the future forgets the wait; the connection
    /// is not affected.
    pub fn next_connection(&self) -> impl Future<Output = Option<Connection>> + Send + 'static {
        let next = self.registry.next();
        async move { next.await.ok() }
    }

    /// Fault: while on, new subscriptions are acknowledged but receive no
    /// data at all (no snapshot, no updates).
    pub fn mute_subscriptions(&self, on: bool) {
        self.faults.send_modify(|f| f.mute = on);
    }

    /// Fault: the next `count` connection attempts are accepted and reset
    /// at once (a TCP reset), before any HTTP is read.
    pub fn refuse_connections(&self, count: u64) {
        self.refuse.refuse_count(count);
    }

    /// Fault: every connection attempt for `duration` from now is accepted
    /// and reset at once, before any HTTP is read, as a server that is
    /// down for a while. Open connections are not affected; a later call
    /// replaces the period, and `Duration::ZERO` ends it. Attempts refused
    /// in the period do not use up a [`SimHandle::refuse_connections`]
    /// count.
    pub fn refuse_connections_for(&self, duration: Duration) {
        self.refuse.refuse_for(duration);
    }

    /// Fault: the next book update of `symbol` (at every depth) carries a
    /// wrong checksum.
    pub fn corrupt_next_checksum(&self, symbol: &str) {
        let _ = self.engine.try_send(EngineCommand::CorruptChecksum {
            symbol: symbol.to_owned(),
        });
    }

    /// Sets the trading engine's state (`maintenance`, `cancel_only`,
    /// `post_only`, back to `online`): every connection that was sent a
    /// `status` on connect gets a `status` update, new connections and REST
    /// `SystemStatus` report the new state. Setting the current state again
    /// sends nothing, as Kraken only reports changes.
    pub fn set_status(&self, system: SystemStatus) {
        self.system.send_if_modified(|current| {
            let changed = *current != system;
            *current = system;
            changed
        });
    }

    /// Sets one pair's trading state (`instrument`'s `pairs[].status`):
    /// every `instrument` subscriber gets an update holding that pair in
    /// full (and no assets), later `instrument` snapshots show the new
    /// status, and new orders on the pair are checked against it
    /// (`cancel_only` refuses them with `EService:Market in cancel_only
    /// mode`, `post_only` takes only post-only limit orders, `limit_only`
    /// only limit orders, `maintenance`, `delisted` and `work_in_progress`
    /// refuse them with `EService:Unavailable`, `reduce_only` with
    /// `EOrder:Reduce only:No position exists`, the sim having no margin
    /// positions). Cancels always go through. REST `AssetPairs` reports
    /// the status too. Setting the current status
    /// again sends nothing, as Kraken only reports changes. The market
    /// keeps moving and resting orders keep filling whatever the status
    /// (unlike [`SimHandle::set_status`], which stops matching).
    ///
    /// # Errors
    /// [`PairStatusError::UnknownSymbol`] for a symbol the simulator does
    /// not trade (it names the ones it does), [`PairStatusError::Stopped`]
    /// once it has stopped.
    ///
    /// Cancel safety: once the request has reached the engine, dropping
    /// the future does not undo the change.
    pub async fn set_pair_status(
        &self,
        symbol: &str,
        status: PairStatus,
    ) -> Result<(), PairStatusError> {
        let (reply, done) = oneshot::channel();
        let command = EngineCommand::SetPairStatus {
            symbol: symbol.to_owned(),
            status,
            reply,
        };
        if self.engine.send(command).await.is_err() {
            return Err(PairStatusError::Stopped);
        }
        done.await.unwrap_or(Err(PairStatusError::Stopped))
    }

    /// A market participant trades `qty` at `price` on `symbol`: the other
    /// side's levels better than `price` are swept, and a maker order is
    /// added at `price` when it holds less than `qty`, so the public book,
    /// trades and ticker stay consistent and the last price is `price`.
    /// Resting user orders reached by these prints fill and triggers fire,
    /// which makes it the deterministic way for a test to get a fill
    /// (a print at an order's price fills up to `qty` of it; a print
    /// through its price fills it all). Returns false for an unknown
    /// symbol, a non-positive number, or more places than the pair has.
    ///
    /// Cancel safety: once the request has reached the engine, dropping
    /// the future does not undo the trade.
    pub async fn trade_to(&self, symbol: &str, price: Decimal, qty: Decimal) -> bool {
        let (reply, done) = oneshot::channel();
        let command = EngineCommand::TradeTo {
            symbol: symbol.to_owned(),
            price,
            qty,
            reply,
        };
        if self.engine.send(command).await.is_err() {
            return false;
        }
        done.await.unwrap_or(false)
    }

    /// Fault: every token issued so far becomes invalid. Requests that
    /// carry one (private subscribes, trading methods) are answered with
    /// `ESession:Invalid session`; connections stay open and established
    /// private subscriptions keep streaming, as Kraken keeps a session it
    /// already accepted and does not necessarily close the socket (§8.4).
    /// A client recovers by fetching a new token.
    pub fn expire_tokens(&self) {
        self.auth.expire_all();
    }

    /// Fault: every open executions subscription skips one `sequence`
    /// number on its next update, as a lost message would, so a client
    /// can test its gap detection.
    pub fn skip_execution_sequence(&self) {
        self.faults.send_modify(|f| f.sequence_gap += 1);
    }

    /// Stops accepting, closes every connection and stops the market.
    pub async fn shutdown(mut self) {
        self.stop_now();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    refuse: Arc<Refusal>,
    slots: Arc<Semaphore>,
    mut stop: oneshot::Receiver<()>,
) {
    let ids = AtomicU64::new(13_834_774_380_200_032_777);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let permit = slots.clone().try_acquire_owned().ok();
                let refused = refuse.refuses(tokio::time::Instant::now());
                if refused || permit.is_none() {
                    if refused {
                        tracing::debug!(%peer, "connection refused (fault)");
                    } else {
                        tracing::debug!(%peer, "connection refused: too many open");
                    }
                    // Closed with a reset, not a clean end: as close to a
                    // refused connection as a listening server can come.
                    let _ = stream.set_zero_linger();
                    drop(stream);
                    continue;
                }
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let id = ids.fetch_add(1, Ordering::Relaxed);
                connections.spawn(async move {
                    tracing::debug!(%peer, "connection");
                    http::serve(stream, permit, shared, id).await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}
