//! Kraken's REST API where the WebSocket API has no answer: the token the
//! client needs, the public market data (`Time`, `SystemStatus`,
//! `Assets`, `AssetPairs`, `Ticker`, `OHLC`, `Depth`, `Trades`, `Spread`)
//! and the account's history and balances (`Balance`, `BalanceEx`,
//! `TradeBalance`, `OpenOrders`, `ClosedOrders`, `QueryOrders`,
//! `TradesHistory`, `Ledgers`, `TradeVolume`), typed, with exact decimals
//! and v2 names (`BTC/USD`, `BTC`).
//!
//! Public calls are made again after a failure that may pass on its own
//! (a lost connection, HTTP 5xx or 429, a busy or unavailable exchange).
//! Every private call is signed with a fresh nonce (`kraki::auth::next_nonce`:
//! microseconds since the Unix epoch, see there for processes sharing a
//! key), paced by Kraken's REST call counter ([`RestClient::tier`]), and
//! made again after a failure that may pass only when it reads (a nonce
//! another process overtook, a full counter, a busy exchange, a lost
//! connection), never for a call that changes anything.

mod asset_pairs;
mod assets;
mod balances;
mod call_counter;
mod client;
mod depth;
mod env_proxy;
mod envelope;
mod form;
mod history;
pub(crate) mod http1;
mod ohlc;
mod orders;
mod pages;
mod pair_request;
mod public_call;
mod recent_trades;
mod rows;
mod server_status;
mod spreads;
mod ticker;
mod trade_volume;

pub use crate::rest_error::{RestError, RestErrorKind};
pub use asset_pairs::AssetPair;
pub use assets::AssetInfo;
pub use balances::{ExtendedBalance, TradeBalance};
pub use client::{IssuedToken, REST_URL, RestClient};
pub use depth::{DepthLevel, MAX_DEPTH, OrderBook};
pub use history::{HistoryRange, LedgerInfo, PAGE_SIZE, Page, TradeInfo};
pub use ohlc::{OHLC_INTERVALS, OhlcCandle, OhlcPage};
pub use orders::{MAX_QUERY_ORDERS, OrderDescription, OrderInfo};
pub use pages::{Paged, Pages};
pub use recent_trades::{MAX_TRADES, PublicTrade, TradesPage, TradesSince};
pub use server_status::{ServerTime, SystemState};
pub use spreads::{SpreadEntry, SpreadPage};
pub use ticker::{LastTrade, TickerInfo, TodayAnd24h, TopOfBook};
pub use trade_volume::{FeeTier, TradeVolume};
