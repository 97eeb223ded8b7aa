//! Where the authenticated connection gets its token: by default a fresh
//! one from REST `GetWebSocketsToken` for every (re)connect; users can
//! plug in their own (a token service, a cache shared by processes).

use crate::Error;
use crate::keys::Credentials;
use crate::rest::RestClient;
use kraki_proto::Token;
use std::future::Future;
use std::pin::Pin;

/// A future returning a token.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Token, Error>> + Send + 'a>>;

/// Gives a WebSocket token for each (re)connect of the authenticated
/// connection.
pub trait TokenSource: Send + Sync + 'static {
    /// A token valid for a new connection.
    fn token(&self) -> TokenFuture<'_>;
}

/// Fetches a new token over REST for every call.
#[derive(Debug, Clone)]
pub struct RestTokenSource {
    rest: RestClient,
    credentials: Credentials,
}

impl RestTokenSource {
    /// Tokens from `rest` with `credentials`.
    pub fn new(rest: RestClient, credentials: Credentials) -> Self {
        RestTokenSource { rest, credentials }
    }
}

impl TokenSource for RestTokenSource {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let issued = self.rest.websockets_token(&self.credentials).await?;
            Ok(issued.token)
        })
    }
}

/// Always the same token (tests, or a token obtained elsewhere).
#[derive(Debug, Clone)]
pub struct FixedToken(pub Token);

impl TokenSource for FixedToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}
