//! What a verified book (L2 or level3) shows its readers: where it
//! stands, the book itself, and what happened to it.

use kraki_proto::MessageType;
use kraki_proto::book::{L2Book, Level};

/// Where a book stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BookStatus {
    /// Waiting for the first snapshot.
    Syncing,
    /// Verified: the last message's checksum matched.
    Live,
    /// A checksum mismatched (or a message could not be applied); a fresh
    /// snapshot has been asked for. The levels shown are stale.
    Resyncing,
    /// The connection is being re-established. The levels shown are stale.
    Reconnecting,
}

/// The book as last published: an [`L2Book`] by default, an
/// [`kraki_proto::book::L3Book`] for [`crate::Level3State`].
#[derive(Debug, Clone)]
pub struct BookState<B = L2Book> {
    /// Where the book stands.
    pub status: BookStatus,
    /// The levels (valid when `status` is `Live`).
    pub book: B,
    /// Messages verified so far.
    pub verified: u64,
    /// Checksum mismatches so far.
    pub mismatches: u64,
    /// Fresh snapshots asked for so far.
    pub resyncs: u64,
}

/// One thing that happened to the book, in order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BookEvent {
    /// A message was applied. (Level3: the best levels are the first
    /// price levels, with their total quantity.)
    Applied {
        /// Snapshot or update.
        kind: MessageType,
        /// The checksum Kraken sent.
        checksum: u32,
        /// The checksum of the book after applying it.
        computed: u32,
        /// Whether they matched.
        ok: bool,
        /// Best bid afterwards.
        best_bid: Option<Level>,
        /// Best ask afterwards.
        best_ask: Option<Level>,
    },
    /// The book lost sync and asked for a fresh snapshot; `reason` says why.
    Resyncing {
        /// e.g. `checksum mismatch: expected 1, computed 2`.
        reason: String,
    },
    /// The connection dropped.
    Reconnecting,
    /// The connection is back; a snapshot follows.
    Reconnected,
    /// The reader of these events fell behind by this many events (the
    /// book itself is unaffected).
    Lagged(u64),
}
