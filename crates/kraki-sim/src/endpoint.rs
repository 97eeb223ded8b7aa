//! The three WebSocket endpoints a client can connect to, told apart by
//! path.

/// Which endpoint a WebSocket connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/v2`: public market data.
    Public,
    /// `/auth/v2`: private channels and trading.
    Private,
    /// `/l3/v2`: the level3 book.
    Level3,
}

impl Endpoint {
    pub(crate) fn path(self) -> &'static str {
        match self {
            Endpoint::Public => "/v2",
            Endpoint::Private => "/auth/v2",
            Endpoint::Level3 => "/l3/v2",
        }
    }
}
