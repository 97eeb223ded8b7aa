//! The exchange engine: one task that owns every market, steps them at the
//! configured rate and publishes each feed's frames to its subscribers.
//!
//! A subscriber gets its snapshot and its update receiver in one command,
//! handled between two steps, so no update can fall between them.

use crate::account_query::AccountQuery;
use crate::clock;
use crate::exchange::{Exchange, TradingConfig};
use crate::feed_table::{FeedKey, FeedTable};
use crate::feeds::{self, BookView};
use crate::level3::{self, L3View};
use crate::market::{Market, Step};
use crate::market_query::{self, MarketQuery, PairAnswer};
use crate::markets::PairSpec;
use crate::pair_status::PairStatusError;
use crate::private_events::PrivateAttached;
use crate::rng::Rng;
use kraki_proto::channels::{PairStatus, SystemStatus};
use kraki_proto::{Decimal, Method, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::sleep_until;

/// A subscription's first frame (if a snapshot was asked for) and its
/// updates.
pub(crate) struct Attached {
    pub(crate) snapshot: Option<String>,
    pub(crate) updates: broadcast::Receiver<Arc<str>>,
}

pub(crate) enum EngineCommand {
    Attach {
        key: FeedKey,
        snapshot: bool,
        reply: oneshot::Sender<Attached>,
    },
    /// Fault: the next book update of this pair carries a wrong checksum.
    CorruptChecksum { symbol: String },
    /// Sets a pair's status and tells the `instrument` subscribers.
    SetPairStatus {
        symbol: String,
        status: PairStatus,
        reply: oneshot::Sender<Result<(), PairStatusError>>,
    },
    /// Moves the market by this many events, then replies.
    Advance {
        events: u64,
        reply: oneshot::Sender<()>,
    },
    /// A private subscription of an account: its snapshot material and
    /// its events.
    AttachPrivate {
        account: String,
        reply: oneshot::Sender<PrivateAttached>,
    },
    /// A trading request of an account; the reply is its response frames.
    Trade {
        account: String,
        method: Box<Method>,
        req_id: Option<u64>,
        time_in: Timestamp,
        reply: oneshot::Sender<Vec<String>>,
    },
    /// A private REST query of an account; the reply is its `result`, or
    /// Kraken's error string.
    Account {
        account: String,
        query: AccountQuery,
        reply: oneshot::Sender<Result<serde_json::Value, &'static str>>,
    },
    /// REST market data: `query` answered by each of `markets` (indexes
    /// into the specs), in that order.
    Market {
        markets: Vec<usize>,
        query: MarketQuery,
        reply: oneshot::Sender<Vec<PairAnswer>>,
    },
    /// A market participant trades `qty` at `price` on `symbol`, then
    /// replies (false for an unknown symbol or unusable numbers).
    TradeTo {
        symbol: String,
        price: Decimal,
        qty: Decimal,
        reply: oneshot::Sender<bool>,
    },
}

struct Feed {
    tx: broadcast::Sender<Arc<str>>,
    view: Option<BookView>,
    l3: Option<L3View>,
}

/// Events per market played before the simulator opens.
const WARM_UP_STEPS_PER_MARKET: usize = 400;
/// Time between two warm-up events.
const SPACING_NS: i128 = 250_000_000;

/// When the warm-up history starts, so that it ends now.
fn warm_up_start(markets: usize) -> i128 {
    clock::now_ns() - SPACING_NS * (WARM_UP_STEPS_PER_MARKET * markets) as i128
}

/// The largest price or quantity, in units, a forced trade may use.
const MAX_UNITS: i64 = i64::MAX >> 16;

/// Frames a slow connection may fall behind by before it is dropped.
const FEED_BUFFER: usize = 4096;

pub(crate) struct Engine {
    markets: Vec<Market>,
    specs: Vec<PairSpec>,
    rng: Rng,
    feeds: FeedTable<Feed>,
    /// Markets whose next book update gets a wrong checksum.
    corrupt: Vec<usize>,
    /// Running totals of the markets' activity weights, when they differ;
    /// `None`: every market equally often.
    activity: Option<Vec<u64>>,
    /// Accounts, user orders and their feeds.
    exchange: Exchange,
    /// Each market's status for the HTTP side (REST `AssetPairs`), which
    /// cannot read the markets.
    pair_statuses: watch::Sender<Vec<PairStatus>>,
}

impl Engine {
    pub(crate) fn new(
        specs: Vec<PairSpec>,
        activity: Option<Vec<u32>>,
        seed: u64,
        trading: TradingConfig,
        system: watch::Receiver<SystemStatus>,
        pair_statuses: watch::Sender<Vec<PairStatus>>,
    ) -> Engine {
        let mut rng = Rng::new(seed);
        let count = specs.len();
        let markets = specs
            .iter()
            .map(|s| Market::new(s.clone(), &mut rng, warm_up_start(specs.len())))
            .collect();
        let mut engine = Engine {
            markets,
            specs,
            rng,
            feeds: FeedTable::new(count),
            corrupt: Vec::new(),
            activity: activity.map(|weights| {
                // A market without a weight moves as often as weight 1.
                (0..count)
                    .scan(0u64, |total, i| {
                        *total += u64::from(weights.get(i).copied().unwrap_or(1).max(1));
                        Some(*total)
                    })
                    .collect()
            }),
            exchange: Exchange::new(trading, system, seed.rotate_left(17) ^ 0x5EED),
            pair_statuses,
        };
        engine.warm_up();
        engine
    }

    /// Plays the last minutes of history so that a new subscriber finds
    /// recent trades, running candles and 24-hour figures, as on a live
    /// exchange.
    fn warm_up(&mut self) {
        let total = WARM_UP_STEPS_PER_MARKET * self.markets.len();
        let start = warm_up_start(self.markets.len());
        for i in 0..total {
            let index = self.pick();
            let _ = self.markets[index].step(&mut self.rng, start + SPACING_NS * i as i128);
        }
    }

    /// Runs until every command sender is gone. `rate` is market events
    /// per second across all pairs; `None` moves the market only on
    /// [`EngineCommand::Advance`].
    pub(crate) async fn run(
        mut self,
        rate: Option<f64>,
        mut commands: mpsc::Receiver<EngineCommand>,
    ) {
        let mut ticker = rate.map(|rate| {
            let period = Duration::from_secs_f64(1.0 / rate.clamp(0.1, 1_000_000.0));
            let mut ticker = tokio::time::interval(period);
            // Behind schedule (a fast rate, a busy machine): catch up, so
            // the rate holds on average.
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            ticker
        });
        loop {
            let deadline = self.exchange.next_deadline();
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => return,
                },
                () = next_tick(&mut ticker) => self.step(),
                () = until(deadline) => self.exchange.on_deadline(),
            }
        }
    }

    fn on_command(&mut self, command: EngineCommand) {
        match command {
            EngineCommand::Attach {
                key,
                snapshot,
                reply,
            } => {
                let attached = self.attach(key, snapshot);
                let _ = reply.send(attached);
            }
            EngineCommand::Advance { events, reply } => {
                for _ in 0..events {
                    self.step();
                }
                let _ = reply.send(());
            }
            EngineCommand::AttachPrivate { account, reply } => {
                let _ = reply.send(self.exchange.attach(&account));
            }
            EngineCommand::Trade {
                account,
                method,
                req_id,
                time_in,
                reply,
            } => {
                let (frames, steps) =
                    self.exchange
                        .handle(&mut self.markets, &account, *method, req_id, time_in);
                for (index, step) in steps {
                    self.publish(index, &step);
                }
                let _ = reply.send(frames);
            }
            EngineCommand::Account {
                account,
                query,
                reply,
            } => {
                let answer = self.exchange.answer_query(&self.markets, &account, &query);
                let _ = reply.send(answer);
            }
            EngineCommand::TradeTo {
                symbol,
                price,
                qty,
                reply,
            } => {
                let _ = reply.send(self.trade_to(&symbol, price, qty));
            }
            EngineCommand::Market {
                markets,
                query,
                reply,
            } => {
                let answers = markets
                    .iter()
                    .filter_map(|&i| self.markets.get(i))
                    .map(|market| market_query::answer(market, &query))
                    .collect();
                let _ = reply.send(answers);
            }
            EngineCommand::SetPairStatus {
                symbol,
                status,
                reply,
            } => {
                let _ = reply.send(self.set_pair_status(&symbol, status));
            }
            EngineCommand::CorruptChecksum { symbol } => {
                if let Some(i) = self.specs.iter().position(|s| s.symbol == symbol) {
                    self.corrupt.push(i);
                }
            }
        }
    }

    fn attach(&mut self, key: FeedKey, want_snapshot: bool) -> Attached {
        let mut l3 = None;
        let (snapshot, view) = match &key {
            FeedKey::Book { market, depth } => {
                let (frame, view) = feeds::book_snapshot(&self.markets[*market], *depth);
                (Some(frame), Some(view))
            }
            FeedKey::Ticker { market, .. } => (
                Some(feeds::ticker(&self.markets[*market], "snapshot")),
                None,
            ),
            FeedKey::Trade { market } => {
                let m = &self.markets[*market];
                (
                    Some(feeds::trades(
                        &m.spec,
                        "snapshot",
                        m.history.snapshot_trades(),
                    )),
                    None,
                )
            }
            FeedKey::Ohlc { market, interval } => (
                Some(
                    feeds::candles(&self.markets[*market], *interval, "snapshot")
                        .unwrap_or_else(|| feeds::empty_candles("snapshot")),
                ),
                None,
            ),
            FeedKey::Instrument => (
                Some(feeds::frame(
                    "instrument",
                    "snapshot",
                    feeds::instrument_data(&self.markets),
                )),
                None,
            ),
            FeedKey::Level3 { market, depth } => {
                let (frame, view) = level3::level3_snapshot(&self.markets[*market], *depth);
                l3 = Some(view);
                (Some(frame), None)
            }
        };
        let feed = self.feeds.get_or_insert_with(key, || Feed {
            tx: broadcast::channel(FEED_BUFFER).0,
            view: None,
            l3: None,
        });
        // A book feed's view is the market's current window either way.
        if view.is_some() {
            feed.view = view;
        }
        if l3.is_some() {
            feed.l3 = l3;
        }
        Attached {
            snapshot: snapshot.filter(|_| want_snapshot),
            updates: feed.tx.subscribe(),
        }
    }

    /// The market the next event moves: uniformly, or by activity.
    fn pick(&mut self) -> usize {
        match &self.activity {
            Some(totals) => {
                let draw = self.rng.below(totals.last().copied().unwrap_or(1));
                totals.partition_point(|&t| t <= draw)
            }
            None => self.rng.below(self.markets.len() as u64) as usize,
        }
    }

    fn step(&mut self) {
        if self.markets.is_empty() {
            return;
        }
        let index = self.pick();
        let now = clock::now_ns();
        let step = self.markets[index].step(&mut self.rng, now);
        self.publish(index, &step);
        self.after_prints(index, &step, now);
    }

    /// Lets the user orders of a market react to its prints (fills,
    /// triggers) and publishes what the triggered orders took.
    fn after_prints(&mut self, index: usize, step: &Step, now: i128) {
        let steps = self
            .exchange
            .on_prints(&mut self.markets, index, &step.trades, now);
        for (i, s) in steps {
            self.publish(i, &s);
        }
    }

    /// [`EngineCommand::SetPairStatus`]: a changed status goes to every
    /// `instrument` subscriber as an update holding that pair; the same
    /// status again sends nothing, as Kraken reports only changes.
    fn set_pair_status(&mut self, symbol: &str, status: PairStatus) -> Result<(), PairStatusError> {
        let Some(index) = self.markets.iter().position(|m| m.spec.symbol == symbol) else {
            return Err(PairStatusError::UnknownSymbol {
                symbol: symbol.to_owned(),
                known: self.specs.iter().map(|s| s.symbol.clone()).collect(),
            });
        };
        let market = &mut self.markets[index];
        if market.status == status {
            return Ok(());
        }
        market.status = status.clone();
        self.pair_statuses.send_modify(|all| {
            if let Some(slot) = all.get_mut(index) {
                *slot = status;
            }
        });
        let frame: Arc<str> = Arc::from(feeds::instrument_pair_update(market));
        let instrument = self.feeds.group(None, is_listened);
        if let Some((_, feed)) = instrument.iter().find(|(k, _)| *k == FeedKey::Instrument) {
            // Nobody listening is fine; the feed is dropped later.
            let _ = feed.tx.send(frame);
        }
        Ok(())
    }

    /// A forced trade of [`EngineCommand::TradeTo`].
    fn trade_to(&mut self, symbol: &str, price: Decimal, qty: Decimal) -> bool {
        let Some(index) = self.specs.iter().position(|s| s.symbol == symbol) else {
            return false;
        };
        let spec = &self.specs[index];
        let (Some(price), Some(qty)) = (
            price.to_units(spec.price_precision),
            qty.to_units(spec.qty_precision),
        ) else {
            return false;
        };
        // Far beyond any market: refused, so the book's arithmetic (levels
        // walked outwards from the price) stays far from overflow.
        if price <= 0 || qty <= 0 || price > MAX_UNITS || qty > MAX_UNITS {
            return false;
        }
        let now = clock::now_ns();
        let market = &mut self.markets[index];
        let step = market.trade_to(price, qty, now);
        market.refill_far_end(&mut self.rng, now);
        self.publish(index, &step);
        self.after_prints(index, &step, now);
        true
    }

    /// Sends one market step's frames to every feed of that market.
    fn publish(&mut self, index: usize, step: &Step) {
        let now = clock::now_ns();
        let Some(market) = self.markets.get(index) else {
            return;
        };
        let mut corrupted = false;
        let corrupt = self.corrupt.contains(&index);
        // The market's own feeds only: the table groups them by market.
        for (key, feed) in self.feeds.group(Some(index), is_listened) {
            let frame = match key {
                FeedKey::Book { .. } => {
                    let frame = feed
                        .view
                        .as_mut()
                        .and_then(|view| feeds::book_update(market, view, &step.touched, corrupt));
                    corrupted |= corrupt && frame.is_some();
                    frame
                }
                FeedKey::Ticker { bbo, .. } => {
                    let fire = if *bbo {
                        step.bbo_changed
                    } else {
                        !step.trades.is_empty()
                    };
                    fire.then(|| feeds::ticker(market, "update"))
                }
                FeedKey::Trade { .. } if !step.trades.is_empty() => {
                    Some(feeds::trades(&market.spec, "update", step.trades.iter()))
                }
                FeedKey::Ohlc { interval, .. } if !step.trades.is_empty() => {
                    feeds::candles(market, *interval, "update")
                }
                FeedKey::Level3 { .. } => {
                    let frame = feed.l3.as_mut().and_then(|view| {
                        level3::level3_update(market, view, &step.touched, corrupt, now)
                    });
                    corrupted |= corrupt && frame.is_some();
                    frame
                }
                _ => None,
            };
            if let Some(frame) = frame {
                // Nobody listening is fine; the feed is dropped next step.
                let _ = feed.tx.send(Arc::from(frame));
            }
        }
        if corrupted {
            self.corrupt.retain(|&m| m != index);
        }
    }
}

/// Whether anyone still listens to a feed; one nobody does is dropped.
fn is_listened((_, feed): &(FeedKey, Feed)) -> bool {
    feed.tx.receiver_count() > 0
}

/// Sleeps until the deadline; forever without one.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The next tick of a running market; never, for a paused one.
async fn next_tick(ticker: &mut Option<tokio::time::Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}
