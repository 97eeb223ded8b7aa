//! Kraken's data through NATS JetStream (feature `nats`, which needs
//! rustc 1.89 or newer for async-nats; without the feature the crate
//! builds on its own `rust-version`).
//!
//! A [`Relay`] reads channels through the [`crate::Client`] and publishes
//! to the stream `KRAKI` (subjects `kraki.>`), one Kraken v2 frame per
//! symbol's item on `kraki.<channel>.<BTC_USD>`. Book messages go out only
//! once their checksum verified against the relay's own book, so each
//! book subject read in order is a valid Kraken feed: a snapshot, then
//! updates that each verify against the book before them, a later
//! snapshot replacing the book. Every message carries a `Nats-Msg-Id`
//! derived from its content (trades: from the pair and `trade_id`), so
//! two relays, or one restarted, store it once. The latest verified book
//! of each subject is kept in `KRAKI_SNAPSHOTS` ([`names`]) for consumers
//! that start late; [`NatsBook`] (L2) and [`NatsLevel3Book`] (order by
//! order) are such consumers, and [`subscribe`]
//! gives the client's typed items (`TradeUpdate`, `TickerUpdate`, …) from
//! NATS instead of a WebSocket.
//!
//! A NATS server beyond one machine wants TLS and credentials:
//! [`NatsOptions`] gives the CA that signs the server's certificate, a
//! client certificate for mutual TLS, and an NKEY seed or a `.creds`
//! file; the `_with` constructors ([`RelayConfig::with_nats_options`],
//! [`NatsBook::open_with`], [`subscribe_with`]) take it. A `tls://` URL,
//! or a server whose `INFO` says `tls_required`, gets TLS too.

mod book_feed;
mod buffer_budget;
mod checkpoint_clock;
mod connection;
mod counters;
mod error;
mod feed_queue;
mod frames;
mod msg_id;
pub mod names;
mod nats_book;
mod nkey;
mod option_file;
mod options;
mod plain_feed;
mod publisher;
mod relay;
mod relayed_book;
mod socket;
mod streams;
mod subscription;
mod tls;
mod url_login;
pub(crate) mod wire;

pub use counters::{BEHIND, PUBLISH_LATENCY_BUCKETS, RelayCounters, RelayStats};
pub use error::NatsError;
pub use nats_book::{NatsBook, NatsLevel3Book};
pub use options::NatsOptions;
pub use relay::{Relay, RelayConfig};
pub use subscription::{NatsSubscription, Start, subscribe, subscribe_with};
