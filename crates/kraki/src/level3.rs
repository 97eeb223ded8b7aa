//! The `level3` channel (every order of the book, on the level3
//! endpoint: [`crate::ClientBuilder::connect_level3`]) and
//! `client.level3_book(symbol, depth)`: a verified order-by-order book
//! that resyncs itself on a checksum mismatch.

use crate::book_handle::BookStatus;
use crate::published::{Changes, Published};
use crate::sink::{Control, Deliver, Delivered};
use crate::spec::Subscribe;
use crate::subscription::Release;
use crate::{Client, Error};
use kraki_proto::book::{L3Book, Level3Update as Level3View, Precision, Verification};
use kraki_proto::channels::Level3Data;
use kraki_proto::{Channel, Inbound, MessageType, SubscribeParams, Symbol};
use std::sync::Arc;

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
#[derive(Debug, Clone)]
pub struct Level3State {
    /// Where the book stands.
    pub status: BookStatus,
    /// The orders (valid when `status` is `Live`).
    pub book: L3Book,
    /// Messages verified so far.
    pub verified: u64,
    /// Checksum mismatches so far.
    pub mismatches: u64,
    /// Fresh snapshots asked for so far.
    pub resyncs: u64,
}

/// A handle to a verified level3 book; the subscription is released when
/// it is dropped.
///
/// Like [`crate::BookHandle`], the connection's reader applies each
/// message as it arrives (no queue, no task hop), so the book never lags.
pub struct Level3Handle {
    published: Arc<Published<Level3State>>,
    changes: Changes<Level3State>,
    _release: Release,
}

impl std::fmt::Debug for Level3Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.published.read();
        f.debug_struct("Level3Handle")
            .field("symbol", state.book.symbol())
            .field("status", &state.status)
            .finish_non_exhaustive()
    }
}

impl Level3Handle {
    /// The book as last published.
    pub fn state(&self) -> Arc<Level3State> {
        self.published.read()
    }

    /// Waits until the book changes.
    ///
    /// Cancel safety: cancel safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once the client is closed.
    pub async fn changed(&mut self) -> Result<Arc<Level3State>, Error> {
        self.changes.changed().await.ok_or(Error::Closed)
    }
}

impl Client {
    /// A verified level3 book of `symbol` at `depth` (10, 100, 1000) on a
    /// level3 connection. The precision comes from REST `AssetPairs` (the
    /// level3 endpoint has no instrument channel) unless set with
    /// [`Client::set_order_rules`].
    ///
    /// # Errors
    /// The errors of [`Client::order_rules`] and [`Client::subscribe`].
    pub async fn level3_book(&self, symbol: &str, depth: u32) -> Result<Level3Handle, Error> {
        let rules = self.order_rules(symbol).await?;
        let precision = Precision::new(rules.price_precision, rules.qty_precision);
        let initial = Arc::new(Level3State {
            status: BookStatus::Syncing,
            book: L3Book::new(symbol, precision, depth as usize),
            verified: 0,
            mismatches: 0,
            resyncs: 0,
        });
        let (published, changes) = Published::new(initial);
        let sink = Level3Sink {
            published: published.clone(),
        };
        let params = Level3::new([symbol]).depth(depth).params();
        let id = self.attach(params, Box::new(sink)).await?;
        Ok(Level3Handle {
            published,
            changes,
            _release: self.release_on_drop(id),
        })
    }
}

/// The level3 book as the connection's reader sees it: applies every
/// message in place, publishes the state, and asks for a snapshot whenever
/// the book cannot be trusted.
struct Level3Sink {
    published: Arc<Published<Level3State>>,
}

impl Drop for Level3Sink {
    /// Dropped when the subscription is released or the client closes: no
    /// more changes will come.
    fn drop(&mut self) {
        self.published.close();
    }
}

impl Level3Sink {
    /// Applies one item and publishes the state; when the book can no
    /// longer be trusted, says it wants a snapshot.
    fn apply(&mut self, kind: MessageType, update: &Level3View<'_>) -> Delivered {
        let resync = self
            .published
            .update(|state| match state.book.apply_update(kind, update) {
                Ok(Verification::Skipped) => None,
                Ok(Verification::Verified) => {
                    state.verified += 1;
                    state.status = BookStatus::Live;
                    None
                }
                Ok(Verification::Mismatch { expected, computed }) => {
                    state.mismatches += 1;
                    Some(format!(
                        "checksum mismatch: expected {expected}, computed {computed}"
                    ))
                }
                Err(e) => Some(e.to_string()),
            });
        let Some(reason) = resync else {
            return Delivered::Done;
        };
        let symbol = self.published.update(|state| {
            state.status = BookStatus::Resyncing;
            state.resyncs += 1;
            state.book.symbol().clone()
        });
        tracing::warn!(%symbol, %reason, "level3 book out of sync; resubscribing");
        Delivered::WantsSnapshot
    }
}

impl Deliver for Level3Sink {
    fn deliver(&mut self, msg: &Inbound, symbol: Option<&str>) -> Delivered {
        let Inbound::Level3(m) = msg else {
            return Delivered::Done;
        };
        let Some(data) = m.data.iter().find(|d| Some(d.symbol.as_str()) == symbol) else {
            return Delivered::Done;
        };
        self.apply(m.kind, &Level3View::from(data))
    }

    fn control(&mut self, control: Control) {
        let status = match control {
            Control::Reconnecting => BookStatus::Reconnecting,
            Control::Reconnected => BookStatus::Syncing,
            // The engine's state does not change the book itself.
            Control::Status(_) | Control::Gap { .. } => return,
        };
        self.published.update(|state| state.status = status);
    }

    fn reads(&self, channel: &str) -> bool {
        channel == "level3"
    }

    fn takes_in_place(&self) -> bool {
        true
    }

    fn deliver_level3(&mut self, kind: MessageType, update: &Level3View<'_>) -> Delivered {
        self.apply(kind, update)
    }
}
