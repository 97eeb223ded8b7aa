//! Authentication: credentials, REST nonces and signatures, and the
//! WebSocket token.

mod credentials;
mod nonce;
mod signature;
mod token;

pub use credentials::{Credentials, ENV_NAMES};
pub use nonce::next_nonce;
pub(crate) use signature::api_sign;
pub use token::{FixedToken, RestTokenSource, TokenFuture, TokenSource};
