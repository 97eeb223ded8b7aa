//! The data of every channel: admin, public market data and private.

mod balances;
mod book;
mod executions;
mod instrument;
mod level3;
mod ohlc;
mod status;
mod ticker;
mod trade;

pub use balances::*;
pub use book::*;
pub use executions::*;
pub use instrument::*;
pub use level3::*;
pub use ohlc::*;
pub use status::*;
pub use ticker::*;
pub use trade::*;
