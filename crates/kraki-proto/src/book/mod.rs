//! Order books verified with Kraken's CRC32 checksums.

mod checksum;
mod error;
mod l2;
mod l3;
mod precision;

pub use checksum::{Checksum, level3_checksum, write_digits};
pub use error::BookError;
pub use l2::{L2Book, Level, Verification};
pub use l3::{L3Book, L3Level};
pub use precision::Precision;
