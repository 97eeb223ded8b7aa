//! Authentication: credentials, REST nonces and signatures, and the
//! WebSocket token.

pub use crate::keys::{Credentials, ENV_NAMES, next_nonce};
pub use crate::token_source::{FixedToken, RestTokenSource, TokenFuture, TokenSource};
