//! kraki-sim: a local Kraken WebSocket v2 exchange for offline tests.
//!
//! One port serves everything, told apart by path: the public WebSocket at
//! `/v2`, the authenticated one at `/auth/v2`, level3 at `/l3/v2`, REST
//! under `/0/…`. Markets are seeded and deterministic: the same seed gives
//! the same sequence of book, trade, ticker and candle messages (their
//! timestamps aside).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let sim = kraki_sim::Simulator::builder().seed(7).spawn().await?;
//! println!("connect to {}", sim.public_url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! It speaks the wire protocol through [`kraki_proto`], never through the
//! client crate, so that the client is tested against an independent peer.
//!
//! # What is served
//! - Public (`/v2`): `status` on connect, `ping`/`pong`, heartbeats once
//!   subscribed, the idle timeout, and `book` (depths 10–1000, checksums,
//!   deletes then refills then new levels), `ticker` (`trades`/`bbo`),
//!   `trade` (snapshot by default, as live), `ohlc` (every interval,
//!   candles that roll over) and `instrument`, with one ack per symbol.
//! - Level3 (`/l3/v2`): `level3` (depths 10, 100, 1000) for a token from
//!   the REST endpoint: orders in queue order, `add`/`modify`/`delete`,
//!   checksums.
//! - Private (`/auth/v2`): `executions`, `balances` and trading; see
//!   below.
//! - REST: `GetWebSocketsToken` behind Kraken's signature (see
//!   [`DEMO_API_KEY`] and [`DEMO_API_SECRET`]), `AssetPairs` (in
//!   Kraken's names: `XXBTZUSD`, `XBT/USD`, every spelling Kraken takes),
//!   `Time`, `SystemStatus`, `Assets`, and the market data `Ticker`,
//!   `OHLC`, `Depth`, `Trades` and `Spread` in Kraken's shapes, from the
//!   state the WebSocket channels show (the running candle included); and
//!   the account's private queries, signed
//!   the same way: `Balance`, `BalanceEx`, `TradeBalance`, `OpenOrders`,
//!   `ClosedOrders` (50 a page with `count`, `start`/`end` in Unix
//!   seconds or a record's id, `ofs`), `QueryOrders`, `TradesHistory`, `Ledgers`, `TradeVolume`, in
//!   Kraken's shapes and ids (`XXBT`, `ZUSD`; `descr.pair` `XBTUSD`; a
//!   trade's `pair` `XXBTZUSD`), read from the account the private
//!   WebSocket side trades. Checked in Kraken's order: `EAPI:Invalid key`,
//!   `EAPI:Invalid signature`, `EAPI:Invalid nonce` (the last nonce is
//!   kept per key), the key's REST call counter (`EAPI:Rate limit
//!   exceeded`, see [`Simulator::rest_rate_limit`]; `GetWebSocketsToken`
//!   is not counted), then `EGeneral:Permission denied` for
//!   [`DEMO_TRADE_ONLY_API_KEY`], a second demo key, always accepted,
//!   that may trade and take tokens but not query.
//! - The engine's state on the [`SimHandle`]: [`SimHandle::set_status`]
//!   pushes a `status` update to every connection and REST `SystemStatus`;
//!   [`SimHandle::set_pair_status`] changes one pair's `status` (`online`,
//!   `cancel_only`, `post_only`, `limit_only`, `reduce_only`,
//!   `maintenance`, `delisted`, …) and sends every `instrument` subscriber
//!   an update holding that pair, as Kraken does; later snapshots and
//!   REST `AssetPairs` show it. New orders follow it, and so does the
//!   market: a pair that takes no takers prints no trades.
//! - Faults, for every connection or one at a time; see below.
//!
//! # The private side (`/auth/v2`)
//! A token from the REST endpoint names the account of its API key. The
//! account is funded when first used, by default with 100,000 USD, 10 BTC,
//! 100 ETH, 1,000 SOL, 100,000 DOGE and 100,000,000 SHIB
//! ([`Simulator::balances`] replaces the set); balances are kept in exact
//! integer units, 4 places for fiat and 8 for other assets.
//!
//! - `executions`: the ack carries `maxratecount`, `snap_orders` and
//!   `snap_trades`; the snapshot (sequence 1; sent unless both snapshot
//!   flags are false) holds the open orders as full reports (`new`, or
//!   `pending_new` for a waiting stop) and, with `snap_trades`, the last 50
//!   fills. Updates follow Kraken's lifecycle: a full `pending_new`, then
//!   sparse `new`, `trade` (fill qty and price, cumulative qty, cost and
//!   average price, fees, maker/taker), `filled` after the last fill,
//!   `canceled` / `expired` with the cumulative figures and a `reason`,
//!   `amended` with the new values. `order_status: false` keeps only `new`,
//!   `trade`, `filled`, `canceled` and `expired`. Time in force is upper
//!   case here (`GTC`), fees are in the quote currency (`fciq`).
//!   `ratecounter` is accepted but adds nothing (its v2 field is unknown,
//!   §11.1).
//! - `balances`: a snapshot of every asset (one `spot`/`main` wallet each),
//!   then one ledger entry per message: a fill makes two, base then quote,
//!   sharing the fill's `exec_id` as `ref_id`; the quote leg carries the
//!   fee (`balance` = previous + `amount` − `fee`).
//! - `sequence` counts per subscription, so executions and balances each
//!   start at 1 on every connection.
//!
//! Matching runs in the engine task that owns the markets, so it always
//! sees the current book. Market orders walk the book; a limit order that
//! crosses takes what its price allows and rests with the rest; every
//! taken level is a public print (book, trade, ticker, ohlc and level3
//! agree). Resting user orders are not added to the public book: they fill
//! at their price when the market prints at it (up to the print's size,
//! shared in time priority) or through it (all of it), so a paused
//! simulator fills them on [`SimHandle::advance`], and
//! [`SimHandle::trade_to`] trades the market to a price for a
//! deterministic fill. A user's own taker prints never fill its resting
//! orders. Stop-loss and take-profit orders (and their `-limit` variants)
//! trigger on the last trade price (whatever `triggers.reference` says;
//! only `static` trigger prices). IOC and FOK (limit orders only) cancel
//! what they cannot fill at once, GTD orders expire at `expire_time`.
//! Iceberg orders are plain limit orders that report `display_qty`.
//! Fees are fixed: 0.16 % maker, 0.26 % taker, rounded up to the quote
//! asset's places; costs round half up.
//!
//! Every trading method answers with Kraken's ack shape (`method`,
//! `result` or `error`, `success`, `time_in`, `time_out`, `req_id` echoed);
//! `cancel_order` sends one ack per canceled order; `batch_cancel` answers
//! with the live top-level `orders_cancelled` (§11.4);
//! `cancel_all_orders_after` with camelCase `currentTime` / `triggerTime`
//! (second precision; no `triggerTime` when disarmed) and a real timer.
//! On the requesting connection the ack comes first, then the execution
//! reports and ledger entries it caused (Kraken's order is not
//! documented). `validate: true` runs every check and answers with
//! `order_id: ""`. A `batch_add` is checked as a whole first; then each
//! order stands alone, and if one fails (e.g. on funds) the ack is
//! `success: false` with every row and the first row's `error` (§11.9).
//!
//! The per-pair rate counter (§9.4) decays by 2.34 per second up to
//! [`Simulator::max_rate_count`] (default 125): add +1, amend +1 (+3/+2/+1
//! when the order is younger than 5/10/15 s), edit +1 (+6/+5/+4/+2/+1 under
//! 5/10/15/45/90 s), batch add +n/2, cancels +8/+6/+5/+4/+2/+1 by age but
//! never refused. At most 80 open orders per pair. The engine status
//! ([`SimHandle::set_status`]) governs trading: `cancel_only` refuses
//! new orders, amends and edits, `post_only` accepts only post-only limit
//! orders, `maintenance` refuses everything, and resting orders only match
//! while `online`. A pair's own status ([`SimHandle::set_pair_status`])
//! governs new orders and amends on it the same way (`limit_only` takes
//! only limit orders; `maintenance`, `delisted` and `work_in_progress`
//! answer `EService:Unavailable`; `reduce_only`, with no margin positions
//! in the sim, `EOrder:Reduce only:No position exists`); cancels always go
//! through.
//!
//! Errors with Kraken's documented wording: `Token(s) not found`,
//! `ESession:Invalid session` (with `"status":"error"`, as live),
//! `EOrder:Insufficient funds`, `EOrder:Order minimum not met`,
//! `EOrder:Cost minimum not met`, `EOrder:Tick size check failed` (a price
//! with more places than the pair), `EOrder:Invalid price`,
//! `EOrder:Invalid order` (cancel of an unknown or closed order),
//! `EOrder:Unknown order` (amend/edit of one), `EOrder:Rate limit exceeded`,
//! `EOrder:Orders limit exceeded`, `EService:Market in cancel_only mode`,
//! `EService:Market in post_only mode`, `EService:Unavailable`
//! (maintenance), `EService:Deadline elapsed`, `Unsupported field:
//! '<name>'` (an unknown `add_order` param), `<Field> field must be a
//! number_float` (a number sent as a string) and `Symbol field must be an
//! array` (a (un)subscribe `symbol` sent as one string). Where the reference does not
//! know Kraken's wording the sim uses: `EOrder:Post only order` (a post-only
//! order that would cross; `Post only order` is Kraken's cancel reason for
//! it), `EQuery:Unknown asset pair` (Kraken's REST wording), and
//! `EGeneral:Invalid arguments:<param>` for a bad or missing
//! `order_type` (trailing stops and settle-position are not simulated),
//! `margin` (no margin trading), `limit_price`, `triggers`, `order_qty`,
//! `cl_ord_id` (both ids, or a duplicate of an open order's),
//! `expire_time`, `time_in_force`, `timeout` (≥ 86400), `orders` (batch
//! sizes) and `symbol` (edit on another pair). Cancel reasons: `User
//! requested` (Kraken's), and, undocumented (§11.8), `cancel_all_orders_after
//! timeout`, `Order expired` and `Unfilled remainder canceled` (IOC, FOK and
//! market orders).
//!
//! [`SimHandle::expire_tokens`] makes every issued token invalid: requests
//! carrying one get `ESession:Invalid session`, while connections stay open
//! and established private subscriptions keep streaming (Kraken keeps an
//! accepted session and does not necessarily close the socket, §8.4); a
//! fresh token works again. [`SimHandle::skip_execution_sequence`] makes
//! every executions subscription skip one sequence number. Private channels
//! and trading asked for on another endpoint get `ESession:Invalid
//! session`.
//!
//! Where Kraken's wording is unknown (protocol reference §11.6), errors
//! follow its `EGeneral:Invalid arguments:<detail>` pattern: a bad book or
//! level3 depth is `EGeneral:Invalid arguments:depth`, a bad ohlc interval
//! `EGeneral:Invalid arguments:interval`, a missing symbol list
//! `EGeneral:Invalid arguments:symbol`. An ohlc subscribe without
//! `interval` gets 1 minute (v1's default), echoed in the ack.
//!
//! # Faults
//! One-off faults act on the WebSocket connections open when raised, all
//! of them from the [`SimHandle`] or one through its [`Connection`]:
//! - close with a close frame ([`SimHandle::close_connections`],
//!   [`Connection::close`]);
//! - cut: drop the TCP connection without a close frame, as a network
//!   failure would ([`SimHandle::cut_connections`], [`Connection::cut`]);
//! - stall: send nothing more (no data, heartbeats or acks) and keep the
//!   socket open ([`SimHandle::stall_connections`], [`Connection::stall`]);
//! - a text frame that is not JSON, as Kraken's proxy sometimes sends
//!   ([`SimHandle::send_garbage`], [`Connection::send_garbage`]).
//!
//! Lasting faults are a [`FaultPlan`]:
//! - [`FaultPlan::close_after`]: the connection closes, with a close frame,
//!   after sending N more text frames (status, acks, data and heartbeats
//!   count);
//! - [`FaultPlan::delay_acks`]: every response to a request (acks, errors,
//!   pongs, trading acks) goes out late, and what the connection would send
//!   after it waits behind it, so the order stays ack, snapshot, updates;
//! - [`FaultPlan::drop_acks`]: responses are never sent while data still
//!   flows (a subscribe takes effect; its snapshot and updates come without
//!   an ack), so a client's ack timeout fires;
//! - [`FaultPlan::reject_subscriptions`]: every subscribe is answered with
//!   `success: false` and `EService:Unavailable`
//!   ([`SUBSCRIPTION_REJECTED`]; Kraken's wording for an unavailable
//!   service, as no subscribe-specific one is documented), one error per
//!   symbol with its `symbol`, and nothing is subscribed.
//!
//! A plan is given to every connection on the builder
//! ([`Simulator::faults`]) or at runtime ([`SimHandle::set_faults`]: the
//! open connections follow it from then on, and later ones start with it),
//! to the next connection to open ([`SimHandle::fault_next_connection`],
//! queued: one plan per call, in order), or to one open connection
//! ([`Connection::set_faults`]). [`FaultPlan::default`] clears it.
//! [`SimHandle::connections`] lists the open connections (their
//! `connection_id` and path), and [`SimHandle::next_connection`] resolves
//! with the first one opened after the call.
//!
//! Elsewhere:
//! - [`SimHandle::refuse_connections`] refuses the next N connection
//!   attempts and [`SimHandle::refuse_connections_for`] every attempt for a
//!   while: accepted and reset (TCP RST) before any HTTP is read;
//! - [`SimHandle::mute_subscriptions`]: new subscriptions are acknowledged
//!   but get no data;
//! - [`SimHandle::corrupt_next_checksum`]: the next book update of a symbol
//!   carries a wrong checksum;
//! - [`SimHandle::expire_tokens`] and [`SimHandle::skip_execution_sequence`]
//!   (private side, above).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use kraki_sim::{FaultPlan, Simulator};
//! use std::time::Duration;
//! // Every connection closes after 500 frames.
//! let sim = Simulator::builder()
//!     .faults(FaultPlan::new().close_after(500))
//!     .spawn()
//!     .await?;
//! // The next connection gets its acks 2 s late.
//! sim.fault_next_connection(FaultPlan::new().delay_acks(Duration::from_secs(2)));
//! // Cut the oldest open connection only.
//! if let Some(first) = sim.connections().first() {
//!     first.cut();
//! }
//! # Ok(()) }
//! ```
//!
//! # Limits
//! The HTTP side runs on hyper with explicit limits: a request head of at
//! most 16 KiB and 64 header fields (431 beyond), a body of at most
//! 64 KiB (413, from `Content-Length` before the body is read, or as a
//! chunked body passes it), the head within
//! [`Simulator::request_timeout`] (10 s; the connection is closed
//! otherwise, idle keep-alive connections included) and then the body
//! within it again (408). Errors after which the connection is out of step
//! (413, 408, a malformed body) close it. At most
//! [`Simulator::max_connections`] (512) connections are open at once; one
//! more is reset. WebSocket messages from a client are capped at 64 KiB
//! (close code 1009). Tokens are 32 bytes from the operating system's
//! random generator.
//!
//! # Deterministic tests
//! A [`Simulator::paused`] simulator moves only when
//! [`SimHandle::advance`] is called: the same seed then gives the same
//! messages on every run, timestamps aside.

mod account;
mod account_answers;
mod account_query;
mod account_records;
mod ack;
mod auth;
mod clock;
mod connection;
mod connections;
mod dead_man;
mod endpoint;
mod engine;
mod exchange;
mod fault_plan;
mod feed_faults;
mod feed_table;
mod feeds;
mod forwarders;
mod frame_queue;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod handshake;
mod history;
mod http;
mod level3;
mod market;
mod market_query;
mod markets;
mod matching;
mod money;
mod order_ids;
mod orders;
mod outbox;
mod pair_status;
mod private_events;
mod private_feeds;
mod rate_counter;
mod refusal;
mod request_body;
mod rest;
mod rest_rate;
mod rng;
mod server;
mod session;
mod shared;
mod socket;
mod sweep;
mod trading;
mod trading_checks;

pub use auth::{
    Credentials, DEMO_API_KEY, DEMO_API_SECRET, DEMO_TRADE_ONLY_API_KEY, DEMO_TRADE_ONLY_API_SECRET,
};
pub use connections::Connection;
pub use fault_plan::{FaultPlan, SUBSCRIPTION_REJECTED};
pub use kraki_proto::Decimal;
pub use kraki_proto::channels::{PairStatus, SystemStatus};
pub use markets::{
    DEFAULT_ACTIVITY, PairSpec, default_markets, synthetic_activity, synthetic_markets,
};
pub use pair_status::PairStatusError;
pub use server::{SimHandle, Simulator};
