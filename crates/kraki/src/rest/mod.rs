//! The REST part of Kraken's API that the WebSocket client needs.

mod client;
pub(crate) mod http1;
pub(crate) mod pair_names;

pub use client::{IssuedToken, REST_URL, RestClient};
