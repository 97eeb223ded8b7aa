//! The `level3` channel (every order of the book, on the level3
//! endpoint: [`crate::ClientBuilder::connect_level3`]) and
//! `client.level3_book(symbol, depth)`: a verified order-by-order book
//! that resyncs itself on a checksum mismatch.

use crate::book_handle::BookHandle;
use crate::book_state::BookState;
use crate::spec::Subscribe;
use crate::{Client, Error};
use kraki_proto::book::{L3Book, Precision};
use kraki_proto::channels::Level3Data;
use kraki_proto::{Channel, Inbound, MessageType, SubscribeParams, Symbol};

/// A level3 message for one symbol.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Level3Update {
    /// Snapshot or update.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The orders and checksum.
    pub data: Level3Data,
}

/// The `level3` channel (needs the authenticated level3 connection).
#[derive(Debug, Clone)]
#[must_use]
pub struct Level3 {
    symbols: Vec<Symbol>,
    depth: Option<u32>,
}

impl Level3 {
    /// Level3 of `symbols` at Kraken's default depth (10).
    pub fn new<S: Into<Symbol>>(symbols: impl IntoIterator<Item = S>) -> Self {
        Level3 {
            symbols: symbols.into_iter().map(Into::into).collect(),
            depth: None,
        }
    }

    /// Price levels per side: 10, 100 or 1000.
    pub fn depth(mut self, depth: u32) -> Self {
        self.depth = Some(depth);
        self
    }
}

impl Subscribe for Level3 {
    type Item = Level3Update;
    const CHANNEL: Channel = Channel::Level3;

    fn params(&self) -> SubscribeParams {
        let mut p = SubscribeParams::with_symbols(Self::CHANNEL, self.symbols.clone());
        p.depth = self.depth;
        p
    }

    fn extract(msg: &Inbound, symbol: Option<&str>) -> Option<Level3Update> {
        let Inbound::Level3(m) = msg else { return None };
        let data = m.data.iter().find(|d| Some(d.symbol.as_str()) == symbol)?;
        Some(Level3Update {
            kind: m.kind,
            data: data.clone(),
        })
    }
}

/// The level3 book as last published.
pub type Level3State = BookState<L3Book>;

/// A handle to a verified level3 book; the subscription is released when
/// it is dropped. Like [`crate::BookHandle`], the connection's reader
/// applies each message as it arrives (no queue, no task hop), so the
/// book never lags.
pub type Level3Handle = BookHandle<L3Book>;

impl Client {
    /// A verified level3 book of `symbol` at `depth` (10, 100, 1000) on a
    /// level3 connection. The precision comes from REST `AssetPairs` (the
    /// level3 endpoint has no instrument channel) unless set with
    /// [`Client::set_order_rules`].
    ///
    /// # Errors
    /// The errors of [`Client::order_rules`] and [`Client::subscribe`].
    pub async fn level3_book(&self, symbol: &str, depth: u32) -> Result<Level3Handle, Error> {
        let (book, params) = self.new_level3_book(symbol, depth).await?;
        self.verified(book, params).await
    }

    /// An empty level3 book of `symbol` with its precision, and the params
    /// that subscribe it.
    pub(crate) async fn new_level3_book(
        &self,
        symbol: &str,
        depth: u32,
    ) -> Result<(L3Book, SubscribeParams), Error> {
        let rules = self.order_rules(symbol).await?;
        let precision = Precision::new(rules.price_precision, rules.qty_precision);
        let book = L3Book::new(symbol, precision, depth as usize);
        Ok((book, Level3::new([symbol]).depth(depth).params()))
    }
}
