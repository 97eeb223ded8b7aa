//! The relay: Kraken's channels through the kraki client into the
//! JetStream stream `KRAKI`. Books are fed by the client's reader itself
//! (inline verified books), trades, tickers and candles by one task per
//! channel and pair; one publisher stores them all, each subject bounded
//! by the buffer.

use super::book_feed::BookFeeder;
use super::connection::{Connection, Endpoint};
use super::counters::RelayCounters;
use super::error::NatsError;
use super::feed_queue::FeedQueue;
use super::names::{
    DEPTH_HEADER, PRICE_PRECISION_HEADER, QTY_PRECISION_HEADER, snapshot_subject, subject,
};
use super::options::NatsOptions;
use super::plain_feed::{PlainFeeder, Splits};
use super::publisher::{Publisher, SharedTable, SubjectShared, SubjectSpec};
use crate::{
    Client, Event, InlineBook, InlineSubscription, Instrument, Ohlc, Subscription, Ticker, Trades,
};
use async_nats::jetstream;
use futures_util::StreamExt;
use kraki_proto::book::{L2Book, L3Book, Precision};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// What to relay, and how.
#[derive(Clone)]
#[non_exhaustive]
pub struct RelayConfig {
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    pub nats_url: String,
    /// Channels: `book`, `trade`, `ticker`, `ohlc`, and `level3` (for a
    /// client of the level3 endpoint, [`crate::ClientBuilder::connect_level3`]).
    pub channels: Vec<String>,
    /// Pairs, e.g. `BTC/USD`.
    pub symbols: Vec<String>,
    /// Book depth (10, 25, 100, 500, 1000).
    pub depth: u32,
    /// Candle interval in minutes, for `ohlc`.
    pub interval: u32,
    /// Messages each channel and pair may hold while NATS is slow or
    /// away; past it they are dropped and counted (a book subject then
    /// resumes with a snapshot).
    pub buffer: usize,
    /// Bytes all pairs may hold together while NATS is slow or away
    /// (about: payloads and their place in the queues), shared with
    /// every relay started with the same [`RelayCounters`]; past it,
    /// messages are dropped as when a pair's `buffer` is full.
    pub buffer_bytes: u64,
    /// How often each book's latest verified state is kept for late
    /// consumers.
    pub checkpoint_every: Duration,
    /// TLS and credentials beyond what the URL says (a CA, a client
    /// certificate, an NKEY seed or a `.creds` file), for the publisher
    /// and the management connection alike.
    pub nats_options: NatsOptions,
    /// How often the publisher asks the server for a `PONG`; when two go
    /// unanswered, the connection counts as dead (a server or a network
    /// gone silent without closing it) and is made again. Not less than
    /// 100 ms is used.
    pub ping_interval: Duration,
}

impl std::fmt::Debug for RelayConfig {
    /// The NATS URL without its user info: a password in it never
    /// reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayConfig")
            .field("nats_url", &super::error::shown(&self.nats_url))
            .field("channels", &self.channels)
            .field("symbols", &self.symbols)
            .field("depth", &self.depth)
            .field("interval", &self.interval)
            .field("buffer", &self.buffer)
            .field("buffer_bytes", &self.buffer_bytes)
            .field("checkpoint_every", &self.checkpoint_every)
            .field("nats_options", &self.nats_options)
            .field("ping_interval", &self.ping_interval)
            .finish()
    }
}

impl RelayConfig {
    /// Relays `channels` of `symbols` to the NATS server at `nats_url`,
    /// with depth 10, 1-minute candles, a buffer of 10,000 messages per
    /// channel and pair and 1 GiB in all, a checkpoint every 5 seconds,
    /// and a `PING` every 20 seconds.
    pub fn new(
        nats_url: impl Into<String>,
        channels: impl IntoIterator<Item = impl Into<String>>,
        symbols: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        RelayConfig {
            nats_url: nats_url.into(),
            channels: channels.into_iter().map(Into::into).collect(),
            symbols: symbols.into_iter().map(Into::into).collect(),
            depth: 10,
            interval: 1,
            buffer: 10_000,
            buffer_bytes: 1 << 30,
            checkpoint_every: Duration::from_secs(5),
            nats_options: NatsOptions::new(),
            ping_interval: Duration::from_secs(20),
        }
    }

    /// Reaches NATS with `options` (TLS setup, NKEY or `.creds`), besides
    /// what the URL says.
    #[must_use]
    pub fn with_nats_options(mut self, options: NatsOptions) -> Self {
        self.nats_options = options;
        self
    }
}

/// A running relay. Dropping it stops it.
pub struct Relay {
    counters: RelayCounters,
    tasks: JoinSet<Result<(), NatsError>>,
    /// The verified books, whose callbacks the client's reader runs:
    /// dropping them unsubscribes.
    books: Vec<InlineSubscription>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("counters", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}

/// One channel and pair, with its subject's place in the publisher.
struct Feed<'a> {
    channel: &'a str,
    symbol: &'a str,
    subject: String,
    queue: FeedQueue,
}

impl Relay {
    /// Connects to NATS, creates the streams when missing, subscribes
    /// every channel and pair through `client`, and starts publishing.
    ///
    /// # Errors
    /// [`NatsError::Options`] for a file of [`RelayConfig::nats_options`]
    /// that cannot be used (before connecting), [`NatsError::Connect`] or
    /// [`NatsError::Stream`] when NATS cannot be
    /// used, [`NatsError::Channel`] for a channel it cannot relay,
    /// [`NatsError::UnknownSymbol`] for a book of a pair the instrument
    /// channel does not know, [`NatsError::Kraken`] when a subscribe is
    /// refused.
    pub async fn start(client: &Client, config: RelayConfig) -> Result<Relay, NatsError> {
        Relay::start_with(client, config, RelayCounters::default()).await
    }

    /// [`Relay::start`] counting into `counters`, which several relays
    /// may share (one per Kraken connection when the pairs are spread
    /// over several).
    ///
    /// # Errors
    /// As [`Relay::start`].
    pub async fn start_with(
        client: &Client,
        config: RelayConfig,
        counters: RelayCounters,
    ) -> Result<Relay, NatsError> {
        for channel in &config.channels {
            if !matches!(
                channel.as_str(),
                "book" | "level3" | "trade" | "ticker" | "ohlc"
            ) {
                return Err(NatsError::Channel(channel.clone()));
            }
        }
        // The publisher's own connection counts the reconnects; the
        // async-nats one serves JetStream's management calls only.
        // The files first: a bad one is reported before any connection.
        let secured = config.nats_options.load()?;
        let endpoint = Endpoint::parse(&config.nats_url, secured.clone())?;
        // The publisher's connection first: its refusals (TLS, NKEY) say
        // why in kraki's words.
        let conn = Connection::open(&endpoint, super::publisher::CONNECTION_NAME)
            .await
            .map_err(|e| NatsError::connect(&config.nats_url, e))?;
        let js = super::streams::connect(&config.nats_url, &secured).await?;
        super::streams::ensure(&js).await?;
        let mut relay = Relay {
            counters,
            tasks: JoinSet::new(),
            books: Vec::new(),
        };
        let precisions = if config.channels.iter().any(|c| c == "book") {
            precisions(client).await?
        } else {
            HashMap::new()
        };
        // Every subject first, so the publisher starts before the first
        // message arrives.
        let (queue, taken) = mpsc::unbounded_channel();
        let table = SharedTable::new(
            config.channels.len() * config.symbols.len(),
            relay.counters.budget(config.buffer_bytes),
        );
        let mut specs = Vec::new();
        let mut feeds = Vec::new();
        for channel in &config.channels {
            for symbol in &config.symbols {
                let subject = subject(channel, symbol);
                let channel_counters = relay.counters.channel(channel);
                // One subject per channel and symbol: within the table.
                let shared = SubjectShared::new(&table, specs.len());
                let snapshot_headers =
                    snapshot_headers(client, &config, channel, symbol, &precisions).await?;
                let newest_trade = match channel.as_str() {
                    "trade" => stored_trade(&js, &subject).await,
                    _ => None,
                };
                feeds.push(Feed {
                    channel,
                    symbol,
                    subject: subject.clone(),
                    queue: FeedQueue {
                        subject: specs.len(),
                        queue: queue.clone(),
                        shared: shared.clone(),
                        counters: channel_counters.clone(),
                        buffer: config.buffer,
                    },
                });
                specs.push(SubjectSpec {
                    subject,
                    snapshot_subject: snapshot_subject(channel, symbol),
                    snapshot_headers,
                    counters: channel_counters,
                    shared,
                    newest_trade,
                });
            }
        }
        // The feeders hold the only senders: the publisher ends once they
        // have all gone (the client closed).
        drop(queue);
        let publisher = Publisher::new(
            endpoint,
            js,
            relay.counters.clone(),
            specs,
            config.ping_interval,
        );
        relay.tasks.spawn(async move {
            publisher.run(conn, taken).await;
            Ok(())
        });
        for feed in feeds {
            relay.add_feed(client, &config, feed).await?;
        }
        Ok(relay)
    }

    async fn add_feed(
        &mut self,
        client: &Client,
        config: &RelayConfig,
        feed: Feed<'_>,
    ) -> Result<(), NatsError> {
        let symbol = feed.symbol;
        match feed.channel {
            "book" => {
                let mut feeder = BookFeeder::new(feed.subject, feed.queue, config.checkpoint_every);
                let sub = client
                    .book_inline(symbol, config.depth, move |book: InlineBook<'_, L2Book>| {
                        feeder.on_book(book);
                    })
                    .await?;
                self.books.push(sub);
            }
            "level3" => {
                let mut feeder = BookFeeder::new(feed.subject, feed.queue, config.checkpoint_every);
                let sub = client
                    .level3_book_inline(
                        symbol,
                        config.depth,
                        move |book: InlineBook<'_, L3Book>| {
                            feeder.on_book(book);
                        },
                    )
                    .await?;
                self.books.push(sub);
            }
            "trade" => {
                let sub = client.subscribe(Trades::new([symbol])).await?;
                self.spawn_plain(feed.subject, feed.queue, sub);
            }
            "ticker" => {
                let sub = client.subscribe(Ticker::new([symbol])).await?;
                self.spawn_plain(feed.subject, feed.queue, sub);
            }
            "ohlc" => {
                let sub = client
                    .subscribe(Ohlc::new([symbol], config.interval))
                    .await?;
                self.spawn_plain(feed.subject, feed.queue, sub);
            }
            other => return Err(NatsError::Channel(other.to_owned())),
        }
        Ok(())
    }

    fn spawn_plain<T: Splits + Clone + Send + 'static>(
        &mut self,
        subject: String,
        queue: FeedQueue,
        sub: Subscription<T>,
    ) {
        let feeder = PlainFeeder { subject, queue };
        self.tasks.spawn(async move {
            feeder.run(sub).await;
            Ok(())
        });
    }

    /// The relay's counters, live (a handle that outlives [`Relay::run`]).
    pub fn counters(&self) -> RelayCounters {
        self.counters.clone()
    }

    /// Runs until every feed has ended (the client closed) or one failed.
    ///
    /// # Errors
    /// The first feed's error (a resubscribe Kraken refused, say).
    pub async fn run(mut self) -> Result<(), NatsError> {
        while let Some(done) = self.tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(e) if e.is_panic() => {
                    tracing::error!(error = %e, "a relay task failed");
                }
                Err(_) => {}
            }
        }
        drop(std::mem::take(&mut self.books));
        Ok(())
    }
}

/// The headers of a book subject's snapshots: precision and depth, which
/// a consumer's checksum needs. Empty for the other channels.
async fn snapshot_headers(
    client: &Client,
    config: &RelayConfig,
    channel: &str,
    symbol: &str,
    precisions: &HashMap<String, Precision>,
) -> Result<Vec<(&'static str, String)>, NatsError> {
    let precision = match (channel, precisions.get(symbol)) {
        ("book", Some(p)) => *p,
        ("book", None) => return Err(NatsError::UnknownSymbol(symbol.to_owned())),
        // Level3 connections have no instrument channel: the precision
        // comes from REST `AssetPairs`.
        ("level3", _) => {
            let rules = client.order_rules(symbol).await?;
            Precision::new(rules.price_precision, rules.qty_precision)
        }
        _ => return Ok(Vec::new()),
    };
    Ok(vec![
        (PRICE_PRECISION_HEADER, precision.price.to_string()),
        (QTY_PRECISION_HEADER, precision.qty.to_string()),
        (DEPTH_HEADER, config.depth.to_string()),
    ])
}

/// The `trade_id` of the subject's last stored trade: `Some(0)` when the
/// subject is empty, `None` when it cannot be read (then only message ids
/// keep repeats out).
async fn stored_trade(js: &jetstream::Context, subject: &str) -> Option<u64> {
    let stream = js.get_stream_no_info(super::names::STREAM).await.ok()?;
    let last = match stream.get_last_raw_message_by_subject(subject).await {
        Ok(last) => last,
        Err(_) => return Some(0),
    };
    let text = std::str::from_utf8(&last.payload).ok()?;
    match kraki_proto::decode(text) {
        Ok(kraki_proto::Inbound::Trade(m)) => m.data.iter().map(|t| t.trade_id).max(),
        _ => None,
    }
}

/// Every pair's precision, from the instrument channel's snapshot.
async fn precisions(client: &Client) -> Result<HashMap<String, Precision>, NatsError> {
    let mut instruments = client.subscribe(Instrument::new()).await?;
    loop {
        match instruments.next().await {
            Some(Event::Data(update)) => {
                return Ok(update
                    .data
                    .pairs
                    .iter()
                    .map(|p| (p.symbol.to_string(), Precision::from(p)))
                    .collect());
            }
            Some(_) => {}
            None => return Err(NatsError::Kraken(crate::Error::Closed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_never_shows_the_nats_password() {
        let config = RelayConfig::new("nats://desk:hunter2@bus:4222", ["book"], ["BTC/USD"]);
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("desk"),
            "{shown}"
        );
        assert!(shown.contains("nats://<redacted>@bus:4222"), "{shown}");
        // Every server of a list.
        let config = RelayConfig::new(
            "nats://bus:4222,nats://desk:hunter2@bus2:4222",
            ["book"],
            ["BTC/USD"],
        );
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
