//! kraki: the async client for Kraken's WebSocket API v2.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use kraki::{Client, Event, Ticker};
//!
//! # async fn run() -> Result<(), kraki::Error> {
//! let client = Client::builder().connect().await?;
//! let mut ticker = client.subscribe(Ticker::new(["BTC/USD"])).await?;
//! while let Some(event) = ticker.next().await {
//!     match event {
//!         Event::Data(update) => println!("{} bid {}", update.ticker.symbol, update.ticker.bid),
//!         other => println!("{other:?}"),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Logging goes through `tracing` with structured fields; install any
//! subscriber to see it. The library never prints.
//!
//! One task owns each socket; everything else talks to it through
//! channels, so there is no shared mutable state to manage. Subscriptions
//! can be consumed as async streams or from plain threads.
//!
//! # Metrics
//!
//! With the feature `metrics`, the client counts what it reads through
//! the [`metrics`](https://docs.rs/metrics) facade, so a program exports
//! them with the recorder of its choice. Install the recorder before
//! building the client: counters are registered when a connection or a
//! book is made.
//!
//! | name | labels | counts |
//! |---|---|---|
//! | `kraki_messages_received_total` | `channel` | messages read from Kraken, per channel (`book`, `trade`, `heartbeat`, …) |
//! | `kraki_book_verified_total` | `channel` (`book`, `level3`), `source` (`websocket`, `nats`) | messages of verified books whose checksum matched |
//! | `kraki_book_mismatched_total` | `channel`, `source` | messages whose checksum did not match, or that could not be applied (never shown as verified) |
//! | `kraki_book_resyncs_total` | `channel`, `source` | losses of sync: a book fed by a WebSocket asks for a fresh snapshot, one read from NATS waits for its subject's next |
//! | `kraki_reconnects_total` | | connections re-established after a loss |
//!
//! Each verified book ([`Client::book`], [`Client::book_inline`], the
//! level3 ones, and with the feature `nats` the books read from a relay's
//! stream, `nats::NatsBook` and `nats::NatsLevel3Book`, labelled
//! `source="nats"`) counts its own messages, so two books of one pair
//! count each message twice. Summed over `source`, a program's books of
//! both kinds count as one.

mod account;
pub mod auth;
mod backoff;
mod book_handle;
mod book_outlet;
mod book_state;
mod cleartext;
mod client;
mod client_metrics;
mod command;
mod config;
mod connect;
mod connection;
mod connection_event;
mod dead_man;
mod decoded_readers;
mod driver;
mod error;
mod event;
mod event_queue;
pub mod fan;
mod fast_hash;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod handlers;
mod inline;
mod inline_book;
mod keys;
mod level3;
mod liveness;
mod loopback;
#[cfg(feature = "nats")]
pub mod nats;
mod order;
mod pending;
mod private_spec;
mod proxy;
mod proxy_error;
mod published;
mod rate_counter;
pub mod rest;
mod rest_error;
mod rules;
mod sequence;
mod settings;
mod shown_url;
mod sink;
mod snapshot_share;
mod spec;
mod status_watch;
mod subscription;
mod token_source;
mod trading;
mod transport;
mod transport_error;
mod verified_book;
mod verified_sink;
mod websocket;
mod wire;
mod wire_table;

pub use account::{AccountHandle, AccountState, OpenOrder};
pub use auth::Credentials;
pub use book_handle::BookHandle;
pub use book_state::{BookEvent, BookState, BookStatus};
pub use client::Client;
pub use config::{AUTH_URL, ClientBuilder, LEVEL3_URL, PUBLIC_URL};
pub use connection_event::ConnectionEvent;
pub use dead_man::DeadManSwitch;
pub use error::{Error, Rejection};
pub use event::Event;
pub use handlers::Handled;
pub use inline::InlineSubscription;
pub use inline_book::InlineBook;
pub use kraki_proto as proto;
pub use level3::{Level3, Level3Handle, Level3State, Level3Update};
pub use liveness::Liveness;
pub use order::Order;
pub use private_spec::{Balances, BalancesUpdate, Executions, ExecutionsUpdate};
pub use proxy_error::ProxyError;
pub use rate_counter::RateTier;
pub use rules::OrderRules;
pub use spec::{
    Book, BookUpdate, CandleUpdate, Instrument, InstrumentUpdate, Ohlc, Subscribe, Ticker,
    TickerUpdate, TradeUpdate, Trades,
};
pub use status_watch::StatusWatch;
pub use subscription::Subscription;
pub use trading::CancelTarget;
pub use transport_error::{BoxError, Oversized, TransportError};
pub use verified_book::VerifiedBook;

/// The README's examples, compiled (and run where they can be) as doc tests
/// so that they stay true.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
