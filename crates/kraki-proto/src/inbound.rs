//! Server → client messages as one typed enum.

use crate::channels::{
    AssetBalance, BookData, Candle, ExecutionReport, InstrumentData, LedgerEntry, Level3Data,
    Status, Ticker, Trade,
};
use crate::wire_enum::closed_enum;
use crate::{Response, Symbol, Timestamp};
use serde::ser::SerializeMap;
use std::fmt;

closed_enum! {
    /// Whether channel data replaces state or changes it.
    pub enum MessageType {
        /// Full state.
        Snapshot = "snapshot",
        /// A change to the state.
        Update = "update",
    }
}

/// Channel data: `{"channel":…,"type":…,"data":…}` with the optional
/// top-level `sequence` (executions, balances) and `timestamp` (ohlc).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChannelMessage<T> {
    /// Snapshot or update.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The payload.
    pub data: T,
    /// Per-subscription sequence number (executions, balances).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// Message time (ohlc).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// The `balances` payload: per-asset balances in a snapshot, ledger
/// entries in updates.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum BalancesData {
    /// One entry per asset.
    Snapshot(Vec<AssetBalance>),
    /// One completed ledger entry per message, usually.
    Update(Vec<LedgerEntry>),
}

/// A message this version of kraki does not know: an unknown channel or
/// method. Nothing is guessed; the raw text is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    /// The channel or method name.
    pub name: String,
    /// The frame as received.
    pub raw: String,
}

/// Every message the server sends.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Inbound {
    /// `{"channel":"heartbeat"}`.
    Heartbeat,
    /// Engine status.
    Status(ChannelMessage<Vec<Status>>),
    /// Level 1.
    Ticker(ChannelMessage<Vec<Ticker>>),
    /// Level 2.
    Book(ChannelMessage<Vec<BookData>>),
    /// Level 3.
    Level3(ChannelMessage<Vec<Level3Data>>),
    /// Candles.
    Ohlc(ChannelMessage<Vec<Candle>>),
    /// Public trades.
    Trade(ChannelMessage<Vec<Trade>>),
    /// Reference data.
    Instrument(ChannelMessage<InstrumentData>),
    /// Own orders and fills.
    Executions(ChannelMessage<Vec<ExecutionReport>>),
    /// Own balances and ledger entries.
    Balances(ChannelMessage<BalancesData>),
    /// A response to a request (boxed: responses are rare and large next
    /// to the market-data variants).
    Response(Box<Response>),
    /// An unknown channel or method.
    Unknown(Unknown),
}

impl Inbound {
    /// The channel name for channel data.
    pub fn channel(&self) -> Option<&'static str> {
        Some(match self {
            Inbound::Heartbeat => "heartbeat",
            Inbound::Status(_) => "status",
            Inbound::Ticker(_) => "ticker",
            Inbound::Book(_) => "book",
            Inbound::Level3(_) => "level3",
            Inbound::Ohlc(_) => "ohlc",
            Inbound::Trade(_) => "trade",
            Inbound::Instrument(_) => "instrument",
            Inbound::Executions(_) => "executions",
            Inbound::Balances(_) => "balances",
            Inbound::Response(_) | Inbound::Unknown(_) => return None,
        })
    }

    /// Snapshot or update, for channel data that has a type.
    pub fn message_type(&self) -> Option<MessageType> {
        Some(match self {
            Inbound::Status(m) => m.kind,
            Inbound::Ticker(m) => m.kind,
            Inbound::Book(m) => m.kind,
            Inbound::Level3(m) => m.kind,
            Inbound::Ohlc(m) => m.kind,
            Inbound::Trade(m) => m.kind,
            Inbound::Instrument(m) => m.kind,
            Inbound::Executions(m) => m.kind,
            Inbound::Balances(m) => m.kind,
            Inbound::Heartbeat | Inbound::Response(_) | Inbound::Unknown(_) => return None,
        })
    }

    /// The symbol of the first data item, for market-data channels.
    pub fn symbol(&self) -> Option<&Symbol> {
        match self {
            Inbound::Ticker(m) => m.data.first().map(|d| &d.symbol),
            Inbound::Book(m) => m.data.first().map(|d| &d.symbol),
            Inbound::Level3(m) => m.data.first().map(|d| &d.symbol),
            Inbound::Ohlc(m) => m.data.first().map(|d| &d.symbol),
            Inbound::Trade(m) => m.data.first().map(|d| &d.symbol),
            _ => None,
        }
    }

    /// A short description such as `book.update BTC/USD`, `add_order.ok`,
    /// `subscribe.error`, `pong` or `unknown <name>`.
    pub fn kind(&self) -> Kind<'_> {
        Kind(self)
    }

    /// The typed value as normalized JSON: numbers as plain exact decimals,
    /// timestamps in RFC 3339 with `Z`. An unknown message is written as
    /// received.
    ///
    /// # Errors
    /// Only if serialization fails, which kraki's types never cause.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// Display form of [`Inbound::kind`].
pub struct Kind<'a>(&'a Inbound);

impl fmt::Display for Kind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            // A ping's error ack echoes `ping`; only a real pong reads `pong`.
            Inbound::Response(r) if r.method() == "pong" => f.write_str("pong"),
            Inbound::Response(r) => {
                let outcome = if r.success() { "ok" } else { "error" };
                write!(f, "{}.{outcome}", r.method())
            }
            Inbound::Unknown(u) => write!(f, "unknown {}", u.name),
            Inbound::Heartbeat => f.write_str("heartbeat"),
            other => {
                let channel = other.channel().unwrap_or_default();
                match other.message_type() {
                    Some(t) => write!(f, "{channel}.{t}")?,
                    None => f.write_str(channel)?,
                }
                match other.symbol() {
                    Some(s) => write!(f, " {s}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl serde::Serialize for Inbound {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        fn channel<S: serde::Serializer, T: serde::Serialize>(
            serializer: S,
            name: &str,
            msg: &ChannelMessage<T>,
        ) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(None)?;
            map.serialize_entry("channel", name)?;
            map.serialize_entry("type", &msg.kind)?;
            map.serialize_entry("data", &msg.data)?;
            if let Some(seq) = msg.sequence {
                map.serialize_entry("sequence", &seq)?;
            }
            if let Some(ts) = &msg.timestamp {
                map.serialize_entry("timestamp", ts)?;
            }
            map.end()
        }
        match self {
            Inbound::Heartbeat => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("channel", "heartbeat")?;
                map.end()
            }
            Inbound::Status(m) => channel(serializer, "status", m),
            Inbound::Ticker(m) => channel(serializer, "ticker", m),
            Inbound::Book(m) => channel(serializer, "book", m),
            Inbound::Level3(m) => channel(serializer, "level3", m),
            Inbound::Ohlc(m) => channel(serializer, "ohlc", m),
            Inbound::Trade(m) => channel(serializer, "trade", m),
            Inbound::Instrument(m) => channel(serializer, "instrument", m),
            Inbound::Executions(m) => channel(serializer, "executions", m),
            Inbound::Balances(m) => channel(serializer, "balances", m),
            Inbound::Response(r) => r.serialize(serializer),
            Inbound::Unknown(u) => match serde_json::value::RawValue::from_string(u.raw.clone()) {
                Ok(raw) => raw.serialize(serializer),
                Err(_) => serializer.serialize_str(&u.raw),
            },
        }
    }
}
