//! Typed subscriptions for every public channel: what to subscribe to and
//! what each message becomes.

use kraki_proto::channels::{
    BookData, Candle, InstrumentData, Ticker as TickerData, Trade as TradeData,
};
use kraki_proto::{
    Channel, EventTrigger, Inbound, MessageType, SubscribeParams, Symbol, Timestamp,
};

/// A subscription request with a typed item. Implemented by [`Ticker`],
/// [`Book`], [`Trades`], [`Ohlc`] and [`Instrument`].
pub trait Subscribe: Send + 'static {
    /// What each message yields.
    type Item: Clone + Send + 'static;

    /// The channel.
    const CHANNEL: Channel;

    /// The wire params (with every symbol).
    fn params(&self) -> SubscribeParams;

    /// The item for `symbol` in `msg`, if `msg` carries one.
    fn extract(msg: &Inbound, symbol: Option<&str>) -> Option<Self::Item>;
}

fn symbols<S: Into<Symbol>>(symbols: impl IntoIterator<Item = S>) -> Vec<Symbol> {
    symbols.into_iter().map(Into::into).collect()
}

/// A ticker message for one symbol.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TickerUpdate {
    /// Snapshot or update.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The ticker.
    pub ticker: TickerData,
}

/// The `ticker` channel.
#[derive(Debug, Clone)]
#[must_use]
pub struct Ticker {
    symbols: Vec<Symbol>,
    event_trigger: Option<EventTrigger>,
    snapshot: Option<bool>,
}

impl Ticker {
    /// Ticker of `symbols`. Default trigger is Kraken's (`trades`), with a
    /// snapshot.
    pub fn new<S: Into<Symbol>>(symbols_: impl IntoIterator<Item = S>) -> Self {
        Ticker {
            symbols: symbols(symbols_),
            event_trigger: None,
            snapshot: None,
        }
    }

    /// Update on best bid/offer changes instead of trades. Default is `trades`.
    pub fn bbo(mut self) -> Self {
        self.event_trigger = Some(EventTrigger::Bbo);
        self
    }

    /// Whether to start with a snapshot. Default is true.
    pub fn snapshot(mut self, snapshot: bool) -> Self {
        self.snapshot = Some(snapshot);
        self
    }
}

impl Subscribe for Ticker {
    type Item = TickerUpdate;
    const CHANNEL: Channel = Channel::Ticker;

    fn params(&self) -> SubscribeParams {
        let mut p = SubscribeParams::with_symbols(Self::CHANNEL, self.symbols.clone());
        p.event_trigger = self.event_trigger.clone();
        p.snapshot = self.snapshot;
        p
    }

    fn extract(msg: &Inbound, symbol: Option<&str>) -> Option<TickerUpdate> {
        let Inbound::Ticker(m) = msg else { return None };
        let ticker = m.data.iter().find(|t| Some(t.symbol.as_str()) == symbol)?;
        Some(TickerUpdate {
            kind: m.kind,
            ticker: ticker.clone(),
        })
    }
}

/// A book message for one symbol, as sent (not yet applied to a book).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BookUpdate {
    /// Snapshot or update.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The levels and checksum.
    pub book: BookData,
}

/// The `book` channel (level 2 messages; for a verified book use
/// `Client::book`).
#[derive(Debug, Clone)]
#[must_use]
pub struct Book {
    symbols: Vec<Symbol>,
    depth: Option<u32>,
    snapshot: Option<bool>,
}

impl Book {
    /// Book messages of `symbols`. Default depth is Kraken's (10).
    pub fn new<S: Into<Symbol>>(symbols_: impl IntoIterator<Item = S>) -> Self {
        Book {
            symbols: symbols(symbols_),
            depth: None,
            snapshot: None,
        }
    }

    /// Levels per side: 10, 25, 100, 500 or 1000. Default is 10.
    pub fn depth(mut self, depth: u32) -> Self {
        self.depth = Some(depth);
        self
    }

    /// Whether to start with a snapshot. Default is true.
    pub fn snapshot(mut self, snapshot: bool) -> Self {
        self.snapshot = Some(snapshot);
        self
    }
}

impl Subscribe for Book {
    type Item = BookUpdate;
    const CHANNEL: Channel = Channel::Book;

    fn params(&self) -> SubscribeParams {
        let mut p = SubscribeParams::with_symbols(Self::CHANNEL, self.symbols.clone());
        p.depth = self.depth;
        p.snapshot = self.snapshot;
        p
    }

    fn extract(msg: &Inbound, symbol: Option<&str>) -> Option<BookUpdate> {
        let Inbound::Book(m) = msg else { return None };
        let book = m.data.iter().find(|b| Some(b.symbol.as_str()) == symbol)?;
        Some(BookUpdate {
            kind: m.kind,
            book: book.clone(),
        })
    }
}

/// The trades of one message for one symbol.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TradeUpdate {
    /// Snapshot (recent trades) or update.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The trades, oldest first.
    pub trades: Vec<TradeData>,
}

/// The `trade` channel.
#[derive(Debug, Clone)]
#[must_use]
pub struct Trades {
    symbols: Vec<Symbol>,
    snapshot: Option<bool>,
}

impl Trades {
    /// Trades of `symbols`. Default snapshot is the server's (live: true).
    pub fn new<S: Into<Symbol>>(symbols_: impl IntoIterator<Item = S>) -> Self {
        Trades {
            symbols: symbols(symbols_),
            snapshot: None,
        }
    }

    /// Whether to start with the last 50 trades. Default is the server's.
    pub fn snapshot(mut self, snapshot: bool) -> Self {
        self.snapshot = Some(snapshot);
        self
    }
}

impl Subscribe for Trades {
    type Item = TradeUpdate;
    const CHANNEL: Channel = Channel::Trade;

    fn params(&self) -> SubscribeParams {
        let mut p = SubscribeParams::with_symbols(Self::CHANNEL, self.symbols.clone());
        p.snapshot = self.snapshot;
        p
    }

    fn extract(msg: &Inbound, symbol: Option<&str>) -> Option<TradeUpdate> {
        let Inbound::Trade(m) = msg else { return None };
        let trades: Vec<TradeData> = m
            .data
            .iter()
            .filter(|t| Some(t.symbol.as_str()) == symbol)
            .cloned()
            .collect();
        (!trades.is_empty()).then_some(TradeUpdate {
            kind: m.kind,
            trades,
        })
    }
}

/// Candles of one message for one symbol.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CandleUpdate {
    /// Snapshot (recent candles) or update (the running candle).
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The candles.
    pub candles: Vec<Candle>,
    /// Message time.
    pub timestamp: Option<Timestamp>,
}

/// The `ohlc` channel.
#[derive(Debug, Clone)]
#[must_use]
pub struct Ohlc {
    symbols: Vec<Symbol>,
    interval: u32,
    snapshot: Option<bool>,
}

impl Ohlc {
    /// Candles of `interval` minutes (1, 5, 15, 30, 60, 240, 1440, 10080,
    /// 21600) for `symbols`.
    pub fn new<S: Into<Symbol>>(symbols_: impl IntoIterator<Item = S>, interval: u32) -> Self {
        Ohlc {
            symbols: symbols(symbols_),
            interval,
            snapshot: None,
        }
    }

    /// Whether to start with recent candles. Default is true.
    pub fn snapshot(mut self, snapshot: bool) -> Self {
        self.snapshot = Some(snapshot);
        self
    }
}

impl Subscribe for Ohlc {
    type Item = CandleUpdate;
    const CHANNEL: Channel = Channel::Ohlc;

    fn params(&self) -> SubscribeParams {
        let mut p = SubscribeParams::with_symbols(Self::CHANNEL, self.symbols.clone());
        p.interval = Some(self.interval);
        p.snapshot = self.snapshot;
        p
    }

    fn extract(msg: &Inbound, symbol: Option<&str>) -> Option<CandleUpdate> {
        let Inbound::Ohlc(m) = msg else { return None };
        let candles: Vec<Candle> = m
            .data
            .iter()
            .filter(|c| Some(c.symbol.as_str()) == symbol)
            .cloned()
            .collect();
        (!candles.is_empty()).then_some(CandleUpdate {
            kind: m.kind,
            candles,
            timestamp: m.timestamp,
        })
    }
}

/// Reference data: assets and pairs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InstrumentUpdate {
    /// Snapshot (everything) or update (changed entries).
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// Assets and pairs.
    pub data: InstrumentData,
}

/// The `instrument` channel.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Instrument {
    snapshot: Option<bool>,
}

impl Instrument {
    /// Reference data with a snapshot.
    pub fn new() -> Self {
        Instrument::default()
    }

    /// Whether to start with a snapshot. Default is true.
    pub fn snapshot(mut self, snapshot: bool) -> Self {
        self.snapshot = Some(snapshot);
        self
    }
}

impl Subscribe for Instrument {
    type Item = InstrumentUpdate;
    const CHANNEL: Channel = Channel::Instrument;

    fn params(&self) -> SubscribeParams {
        let mut p = SubscribeParams::new(Self::CHANNEL);
        p.snapshot = self.snapshot;
        p
    }

    fn extract(msg: &Inbound, _symbol: Option<&str>) -> Option<InstrumentUpdate> {
        let Inbound::Instrument(m) = msg else {
            return None;
        };
        Some(InstrumentUpdate {
            kind: m.kind,
            data: m.data.clone(),
        })
    }
}
