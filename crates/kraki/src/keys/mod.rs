//! The API key pair and what is made with it: REST nonces and signatures.

mod credentials;
mod nonce;
mod signature;

pub use credentials::{Credentials, ENV_NAMES};
pub use nonce::next_nonce;
pub(crate) use signature::api_sign;
