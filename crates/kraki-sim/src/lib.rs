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
//! This increment serves the public channels (book, ticker, trade, ohlc,
//! instrument), ping, status and heartbeats, the error acks of §10, and the
//! REST token, AssetPairs, Time and SystemStatus endpoints. The
//! authenticated channels, level3, trading and fault injection are not
//! served yet: on `/auth/v2` and `/l3/v2` private subscriptions and
//! trading requests are answered with `ESession:Invalid session` (or
//! `Token(s) not found` without a token).

mod ack;
mod connection;
mod engine;
mod feeds;
mod market;
mod markets;
mod rest;
mod rng;
mod server;

pub use markets::{PairSpec, default_markets};
pub use rest::{Credentials, DEMO_API_KEY, DEMO_API_SECRET};
pub use server::{SimHandle, Simulator};
