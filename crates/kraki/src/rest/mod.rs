//! Kraken's REST API: the WebSocket token (signed, §8) and the public
//! market data, typed, with exact decimals and pairs keyed by their v2
//! symbols (`BTC/USD`).

mod asset_pairs;
mod assets;
mod client;
mod depth;
mod env_proxy;
pub(crate) mod http1;
mod ohlc;
mod pair_request;
mod public_call;
mod recent_trades;
mod rows;
mod server_status;
mod spreads;
mod ticker;

pub use asset_pairs::AssetPair;
pub use assets::AssetInfo;
pub use client::{IssuedToken, REST_URL, RestClient};
pub use depth::{DepthLevel, MAX_DEPTH, OrderBook};
pub use ohlc::{OHLC_INTERVALS, OhlcCandle, OhlcPage};
pub use recent_trades::{MAX_TRADES, PublicTrade, TradesPage, TradesSince};
pub use server_status::{ServerTime, SystemState};
pub use spreads::{SpreadEntry, SpreadPage};
pub use ticker::{LastTrade, TickerInfo, TodayAnd24h, TopOfBook};
