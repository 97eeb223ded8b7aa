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
//! - REST: `GetWebSocketsToken` behind Kraken's signature (see
//!   [`DEMO_API_KEY`] and [`DEMO_API_SECRET`]), `AssetPairs`, `Time`,
//!   `SystemStatus`.
//! - The engine's state on the [`SimHandle`]: [`SimHandle::set_status`]
//!   pushes a `status` update to every connection and REST `SystemStatus`.
//! - Faults on the [`SimHandle`]: close, cut, stall, garbage frames, muted
//!   subscriptions, refused connections, a corrupt checksum.
//!
//! Not yet: `executions`, `balances` and trading. They are answered with
//! Kraken's errors: `Token(s) not found` without a token,
//! `ESession:Invalid session` for an unknown or expired one, and
//! `EService:Unavailable` for a valid one.
//!
//! Where Kraken's wording is unknown (protocol reference §11.6), errors
//! follow its `EGeneral:Invalid arguments:<detail>` pattern: a bad book or
//! level3 depth is `EGeneral:Invalid arguments:depth`, a bad ohlc interval
//! `EGeneral:Invalid arguments:interval`, a missing symbol list
//! `EGeneral:Invalid arguments:symbol`. An ohlc subscribe without
//! `interval` gets 1 minute (v1's default), echoed in the ack.
//!
//! # Deterministic tests
//! A [`Simulator::paused`] simulator moves only when
//! [`SimHandle::advance`] is called: the same seed then gives the same
//! messages on every run, timestamps aside.

mod account;
mod ack;
mod auth;
mod connection;
mod dead_man;
mod engine;
mod exchange;
mod feeds;
mod history;
mod http;
mod level3;
mod market;
mod markets;
mod matching;
mod money;
mod orders;
mod private_feeds;
mod rate_counter;
mod rest;
mod rng;
mod server;
mod session;
mod sweep;
mod trading;
mod trading_checks;

pub use auth::{Credentials, DEMO_API_KEY, DEMO_API_SECRET};
pub use kraki_proto::Decimal;
pub use kraki_proto::channels::SystemStatus;
pub use markets::{PairSpec, default_markets};
pub use server::{SimHandle, Simulator};
