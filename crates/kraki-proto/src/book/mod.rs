//! Order books verified with Kraken's CRC32 checksums.
//!
//! [`L2Book`] (the `book` channel) and [`L3Book`] (`level3`) apply
//! snapshots and updates in message order, keep the subscribed depth and
//! check every message's checksum (protocol reference §7). Prices and
//! quantities are kept as integer units of the pair's [`Precision`], which
//! is why a book cannot be built without one.
//!
//! Both books take a borrowed view of a message item ([`BookView`],
//! [`Level3View`]), made from a decoded message or by the
//! allocation-free [`FrameParser`]:
//!
//! ```
//! use kraki_proto::book::{FastFrame, FrameParser, L2Book, Precision};
//!
//! let frame = r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD",
//!     "bids":[{"price":45283.5,"qty":0.10000000}],"asks":[{"price":45285.2,"qty":0.001}],
//!     "checksum":2383917627}]}"#;
//! let mut book = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
//! let mut parser = FrameParser::new();
//! let Some(FastFrame::Book(msg)) = parser.parse(frame) else { panic!() };
//! for update in msg.updates() {
//!     let verdict = book.apply_update(msg.kind(), &update).unwrap();
//!     assert!(verdict.is_verified());
//! }
//! assert_eq!(book.spread().unwrap().to_string(), "1.7");
//! ```

mod checksum;
mod error;
mod fast_parse;
mod l2;
mod l2_side;
mod l3;
mod precision;
mod view;

pub use crate::time_reader::TimeReader;
pub use checksum::{Checksum, level3_checksum};
pub use error::BookError;
pub use fast_parse::{BookFrame, FastFrame, FrameParser, KeptFrame, Level3Frame};
pub use l2::{L2Book, Level, Verification};
pub use l3::{L3Book, L3Level};
pub use precision::Precision;
pub use view::{BookView, Level3OrderRef, Level3Orders, Level3View};
