//! Subscribe and unsubscribe: the params of every channel and the ack.

use crate::wire_enum::open_enum;
use crate::{Symbol, Token};

open_enum! {
    /// A channel name.
    pub enum Channel {
        /// Engine status (pushed; not subscribable).
        Status = "status",
        /// Heartbeats (pushed; not subscribable).
        Heartbeat = "heartbeat",
        /// Level 1.
        Ticker = "ticker",
        /// Level 2.
        Book = "book",
        /// Level 3 (authenticated endpoint).
        Level3 = "level3",
        /// Candles.
        Ohlc = "ohlc",
        /// Public trades.
        Trade = "trade",
        /// Reference data.
        Instrument = "instrument",
        /// Own orders and fills (authenticated).
        Executions = "executions",
        /// Own balances (authenticated).
        Balances = "balances",
    }
}

open_enum! {
    /// When the ticker channel sends an update.
    pub enum EventTrigger {
        /// On every trade (default).
        Trades = "trades",
        /// On any change of the best bid or offer.
        Bbo = "bbo",
    }
}

/// The params of `subscribe` and `unsubscribe` for any channel. Fields a
/// channel does not use stay `None` and are not sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubscribeParams {
    /// The channel.
    pub channel: Channel,
    /// Pairs (every public channel but `instrument`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Vec<Symbol>>,
    /// Levels per side (`book`: 10, 25, 100, 500, 1000; `level3`: 10, 100, 1000).
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub depth: Option<u32>,
    /// Candle length in minutes (`ohlc`).
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval: Option<u32>,
    /// Ticker update trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_trigger: Option<EventTrigger>,
    /// Whether to send a snapshot first (subscribe only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<bool>,
    /// Session token (private channels and `level3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
    /// `executions`: open orders in the snapshot (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snap_orders: Option<bool>,
    /// `executions`: last 50 fills in the snapshot (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snap_trades: Option<bool>,
    /// `executions`: every status transition (true) or open/close only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<bool>,
    /// `executions`: include the trading rate counter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratecounter: Option<bool>,
    /// xStocks: underlying-equity terms (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebased: Option<bool>,
    /// `all` for master accounts: include subaccounts, no snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<String>,
    /// `instrument`: include tokenised assets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_tokenized_assets: Option<bool>,
    /// `instrument`: `international` or `bitnomial-exchange`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_venue: Option<String>,
    /// Deprecated alias of `snap_trades`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_trades: Option<bool>,
}

impl SubscribeParams {
    /// Params for `channel` with nothing else set.
    pub fn new(channel: Channel) -> Self {
        SubscribeParams {
            channel,
            symbol: None,
            depth: None,
            interval: None,
            event_trigger: None,
            snapshot: None,
            token: None,
            snap_orders: None,
            snap_trades: None,
            order_status: None,
            ratecounter: None,
            rebased: None,
            users: None,
            include_tokenized_assets: None,
            execution_venue: None,
            snapshot_trades: None,
        }
    }

    /// Params for `channel` on `symbols`.
    pub fn with_symbols<S: Into<Symbol>>(
        channel: Channel,
        symbols: impl IntoIterator<Item = S>,
    ) -> Self {
        SubscribeParams {
            symbol: Some(symbols.into_iter().map(Into::into).collect()),
            ..SubscribeParams::new(channel)
        }
    }
}

/// The `result` of a subscribe or unsubscribe ack: the effective params,
/// one ack per symbol.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubscriptionResult {
    /// The channel.
    pub channel: Channel,
    /// The one symbol this ack is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Effective depth.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub depth: Option<u32>,
    /// Effective interval.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval: Option<u32>,
    /// Effective ticker trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_trigger: Option<EventTrigger>,
    /// Whether a snapshot follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<bool>,
    /// `executions`: open orders in the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snap_orders: Option<bool>,
    /// `executions`: fills in the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snap_trades: Option<bool>,
    /// `executions`: the rate-counter ceiling of the account's tier.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub maxratecount: Option<u32>,
    /// Deprecation advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}
