//! Sans-IO core of kraki: every Kraken WebSocket v2 message as exact, typed
//! Rust values, with one decode entry point and encoding of every request.
//!
//! No sockets, no async runtime, no clock: bytes in, typed values out.
//!
//! ```
//! use kraki_proto::{decode, Inbound};
//!
//! let frame = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD",
//!     "bids":[],"asks":[{"price":29433.3,"qty":0.80000000}],"checksum":3547452596}]}"#;
//! let Inbound::Book(msg) = decode(frame).unwrap() else { panic!() };
//! assert_eq!(msg.data[0].asks[0].qty.to_string(), "0.80000000");
//! ```

pub mod book;
pub mod channels;
mod decimal;
mod decode;
mod fast;
mod flex_int;
mod ids;
mod inbound;
mod order_enums;
pub mod recording;
mod request;
mod response;
pub mod rest_names;
mod scan;
mod subscription;
mod time_reader;
mod timestamp;
pub mod trading;
mod wire_enum;

pub use decimal::{Decimal, DecimalError, MAX_SCALE};
pub use decode::{DecodeError, DecodeErrorKind, decode, decode_request, recycle};
pub use ids::{Asset, ClOrdId, OrderId, ReqId, Symbol, Token};
pub use inbound::{BalancesData, ChannelMessage, Inbound, Kind, MessageType, Unknown};
pub use order_enums::{
    FeePreference, OrderType, PriceType, Side, StpType, TimeInForce, TriggerReference,
};
pub use request::{Method, Request};
pub use response::{MethodResponse, Pong, Response};
pub use subscription::{Channel, EventTrigger, SubscribeParams, SubscriptionResult};
pub use timestamp::{Timestamp, TimestampError};
pub use wire_enum::UnknownValue;
