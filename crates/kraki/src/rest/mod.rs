//! Kraken's REST API where the WebSocket API has no answer: the token
//! and asset pairs the client needs, and the account's history and
//! balances (`Balance`, `BalanceEx`, `TradeBalance`, `OpenOrders`,
//! `ClosedOrders`, `QueryOrders`, `TradesHistory`, `Ledgers`,
//! `TradeVolume`), typed, with exact decimals and v2 names.
//!
//! Every private call is signed with a fresh nonce ([`next_nonce`]:
//! microseconds since the Unix epoch, see there for processes sharing a
//! key), paced by Kraken's REST call counter ([`RestClient::tier`]), and
//! made again after a failure that may pass only when it reads (a nonce
//! another process overtook, a full counter, a busy exchange, a lost
//! connection), never for a call that changes anything.
//!
//! [`next_nonce`]: crate::auth::next_nonce

mod balances;
mod call_counter;
mod client;
mod envelope;
mod form;
mod history;
pub(crate) mod http1;
mod orders;
mod pages;
pub(crate) mod pair_names;
mod trade_volume;

pub use crate::rest_error::{RestError, RestErrorKind};
pub use balances::{ExtendedBalance, TradeBalance};
pub use client::{IssuedToken, REST_URL, RestClient};
pub use history::{HistoryRange, LedgerInfo, PAGE_SIZE, Page, TradeInfo};
pub use orders::{MAX_QUERY_ORDERS, OrderDescription, OrderInfo};
pub use pages::{Paged, Pages};
pub use trade_volume::{FeeTier, TradeVolume};
