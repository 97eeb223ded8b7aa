//! A verified book, L2 or level3, rebuilt from the stream alone, never
//! asking Kraken: the latest snapshot kept for the subject, then the
//! subject's messages after it, each applied by the same verified sink
//! that keeps a book fed by Kraken's WebSocket.

use super::error::NatsError;
use super::names::{
    DEPTH_HEADER, PRICE_PRECISION_HEADER, QTY_PRECISION_HEADER, SEQ_HEADER, SNAPSHOT_STREAM,
    STREAM, snapshot_subject, subject,
};
use super::options::NatsOptions;
use crate::Error;
use crate::book_outlet::HandleOutlet;
use crate::book_state::{BookEvent, BookState, BookStatus};
use crate::published::{Changes, Published};
use crate::sink::{Deliver, Delivered};
use crate::verified_book::VerifiedBook;
use crate::verified_sink::{BookSource, VerifiedSink};
use async_nats::HeaderMap;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures_util::StreamExt;
use kraki_proto::MessageType;
use kraki_proto::book::{L2Book, L3Book, Precision};
use std::sync::Arc;

/// Events a reader may leave unread before they are dropped and counted
/// ([`BookEvent::Lagged`]), as a client's default queue holds.
const EVENT_QUEUE: usize = 4096;

/// The depths Kraken offers (book: all of them; level3: 10, 100, 1000).
/// A snapshot stating another is refused: the depth sizes the book.
const DEPTHS: [usize; 5] = [10, 25, 100, 500, 1000];

/// The most decimals a [`kraki_proto::Decimal`] holds.
const MAX_DECIMALS: u8 = 18;

/// A verified book of one pair, read from the relay's JetStream
/// subjects: L2 (`kraki.book.…`) by default, level3 as
/// [`NatsLevel3Book`]. Its state and events are those of
/// [`crate::BookHandle`], so a program reads a book from NATS as it
/// would from Kraken. Dropping it stops the reading.
///
/// `NatsBook::open(…)` opens an L2 book, `NatsLevel3Book::open_level3(…)`
/// a level3 one.
pub struct NatsBook<B: VerifiedBook = L2Book> {
    published: Arc<Published<BookState<B>>>,
    changes: Changes<BookState<B>>,
    events: flume::Receiver<BookEvent>,
    task: tokio::task::AbortHandle,
}

/// A verified level3 (order by order) book read from the relay's
/// `kraki.level3.…` subjects.
pub type NatsLevel3Book = NatsBook<L3Book>;

impl<B: VerifiedBook> std::fmt::Debug for NatsBook<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("NatsBook")
            .field("channel", &B::CHANNEL)
            .field("symbol", state.book.pair())
            .field("status", &state.status)
            .finish_non_exhaustive()
    }
}

impl<B: VerifiedBook> Drop for NatsBook<B> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl NatsBook {
    /// Opens the L2 book of `symbol` from the NATS server at `url` (the
    /// relay's `kraki.book.<symbol>` subject); see [`NatsBook::open_kind`].
    ///
    /// # Errors
    /// As [`NatsBook::open_kind`].
    pub async fn open(url: &str, symbol: &str) -> Result<NatsBook, NatsError> {
        Self::open_kind(url, symbol).await
    }

    /// [`NatsBook::open`] through a server that wants TLS or credentials
    /// beyond the URL's (`options`).
    ///
    /// # Errors
    /// As [`NatsBook::open_kind_with`].
    pub async fn open_with(
        url: &str,
        options: &NatsOptions,
        symbol: &str,
    ) -> Result<NatsBook, NatsError> {
        Self::open_kind_with(url, options, symbol).await
    }
}

impl NatsLevel3Book {
    /// Opens the level3 book of `symbol` from the NATS server at `url`
    /// (the relay's `kraki.level3.<symbol>` subject); see
    /// [`NatsBook::open_kind`].
    ///
    /// # Errors
    /// As [`NatsBook::open_kind`].
    pub async fn open_level3(url: &str, symbol: &str) -> Result<NatsLevel3Book, NatsError> {
        Self::open_kind(url, symbol).await
    }

    /// [`NatsLevel3Book::open_level3`] through a server that wants TLS or
    /// credentials beyond the URL's (`options`).
    ///
    /// # Errors
    /// As [`NatsBook::open_kind_with`].
    pub async fn open_level3_with(
        url: &str,
        options: &NatsOptions,
        symbol: &str,
    ) -> Result<NatsLevel3Book, NatsError> {
        Self::open_kind_with(url, options, symbol).await
    }
}

impl<B: VerifiedBook> NatsBook<B> {
    /// Opens the book of `symbol`, of the kind `B`, from the NATS server at `url`: from the
    /// latest kept snapshot when there is one, else from the start of the
    /// subject (waiting for its first snapshot). A later snapshot on the
    /// subject replaces the book; a message that does not verify is
    /// reported ([`BookEvent::Applied`] with `ok: false`, then
    /// [`BookEvent::Resyncing`]) and the book waits for the subject's
    /// next snapshot.
    ///
    /// # Errors
    /// [`NatsError::Connect`] when NATS cannot be reached,
    /// [`NatsError::Stream`] when the relay's stream is missing.
    pub async fn open_kind(url: &str, symbol: &str) -> Result<NatsBook<B>, NatsError> {
        Self::open_kind_with(url, &NatsOptions::new(), symbol).await
    }

    /// [`NatsBook::open_kind`] through a server that wants TLS or
    /// credentials beyond the URL's (`options`).
    ///
    /// # Errors
    /// As [`NatsBook::open_kind`], and [`NatsError::Options`] for a file
    /// of `options` that cannot be used (before connecting).
    pub async fn open_kind_with(
        url: &str,
        options: &NatsOptions,
        symbol: &str,
    ) -> Result<NatsBook<B>, NatsError> {
        let secured = options.load()?;
        let channel = B::CHANNEL;
        let channel = channel.as_str();
        let js = super::streams::connect(url, &secured).await?;
        let stream = js
            .get_stream(STREAM)
            .await
            .map_err(|e| NatsError::stream(STREAM, format!("{e} (has a relay run?)")))?;
        let initial = Arc::new(BookState {
            status: BookStatus::Syncing,
            // Replaced by the first snapshot, whose headers give the
            // precision and depth.
            book: B::empty(symbol, Precision::new(0, 0), DEPTHS[0]),
            verified: 0,
            mismatches: 0,
            resyncs: 0,
        });
        let (published, changes) = Published::new(initial);
        let (events_tx, events) = flume::bounded(EVENT_QUEUE);
        let mut reader = SubjectReader {
            sink: VerifiedSink::from_source(
                HandleOutlet::new(published.clone(), events_tx),
                BookSource::Nats,
            ),
            published: published.clone(),
            symbol: symbol.to_owned(),
            has_book: false,
            lost_sync: false,
        };
        let mut deliver_policy = DeliverPolicy::All;
        if let Ok(snapshots) = js.get_stream(SNAPSHOT_STREAM).await {
            if let Ok(kept) = snapshots
                .get_last_raw_message_by_subject(&snapshot_subject(channel, symbol))
                .await
            {
                if let Some(seq) = header_number::<u64>(&kept.headers, SEQ_HEADER) {
                    reader.on_message(&kept.payload, &kept.headers);
                    // A kept snapshot that did not verify is reported, and
                    // the subject is read from its start instead.
                    if reader.has_book && !reader.lost_sync {
                        deliver_policy = DeliverPolicy::ByStartSequence {
                            start_sequence: seq.saturating_add(1),
                        };
                    }
                }
            }
        }
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: subject(channel, symbol),
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(|e| NatsError::stream(STREAM, e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| NatsError::stream(STREAM, e))?;
        let task = tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                match message {
                    Ok(message) => {
                        let headers = message.headers.clone().unwrap_or_default();
                        reader.on_message(&message.payload, &headers);
                    }
                    // The ordered consumer recreates itself after a gap.
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the book subject failed; continuing");
                    }
                }
            }
        });
        Ok(NatsBook {
            published,
            changes,
            events,
            task: task.abort_handle(),
        })
    }

    /// The book as last applied.
    pub fn state(&self) -> Arc<BookState<B>> {
        self.published.read()
    }

    /// Waits until the book changes.
    ///
    /// Cancel safety: cancel safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once no more changes can come (the reading
    /// stopped).
    pub async fn changed(&mut self) -> Result<Arc<BookState<B>>, Error> {
        self.changes.changed().await.ok_or(Error::Closed)
    }

    /// The next event, waiting for it. `None` once the reading stopped.
    ///
    /// Cancel safety: cancel safe.
    pub async fn next_event(&self) -> Option<BookEvent> {
        self.events.recv_async().await.ok()
    }
}

fn header_number<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.as_str().parse().ok()
}

/// The precision and depth a snapshot's headers state: `None` when it
/// states none, an error naming the header when one is unusable.
fn snapshot_shape(headers: &HeaderMap) -> Result<Option<(Precision, usize)>, String> {
    if headers.get(PRICE_PRECISION_HEADER).is_none() && headers.get(QTY_PRECISION_HEADER).is_none()
    {
        return Ok(None);
    }
    let decimals = |name: &str| match headers.get(name).map(|v| v.as_str().parse::<u8>()) {
        Some(Ok(n)) if n <= MAX_DECIMALS => Ok(n),
        Some(_) => Err(format!(
            "{name} is not a number of decimals up to {MAX_DECIMALS}"
        )),
        None => Err(format!("{name} is missing")),
    };
    let precision = Precision::new(
        decimals(PRICE_PRECISION_HEADER)?,
        decimals(QTY_PRECISION_HEADER)?,
    );
    let depth = match headers
        .get(DEPTH_HEADER)
        .map(|v| v.as_str().parse::<usize>())
    {
        None => DEPTHS[0],
        Some(Ok(depth)) if DEPTHS.contains(&depth) => depth,
        Some(_) => return Err(format!("{DEPTH_HEADER} is not one of {DEPTHS:?}")),
    };
    Ok(Some((precision, depth)))
}

/// Feeds one subject's messages to the verified sink, giving each
/// snapshot the book its headers describe. After a mismatch the book
/// itself (out of sync) skips updates until the next snapshot.
struct SubjectReader<B: VerifiedBook> {
    sink: VerifiedSink<B, HandleOutlet<B>>,
    published: Arc<Published<BookState<B>>>,
    symbol: String,
    /// A snapshot has given the book its precision.
    has_book: bool,
    /// The last message left the book out of sync.
    lost_sync: bool,
}

impl<B: VerifiedBook> SubjectReader<B> {
    /// One message of the subject (or the kept snapshot).
    fn on_message(&mut self, payload: &[u8], headers: &HeaderMap) {
        let Ok(text) = std::str::from_utf8(payload) else {
            tracing::warn!(channel = %B::CHANNEL, "message is not UTF-8; skipped");
            return;
        };
        let message = match kraki_proto::decode(text) {
            Ok(message) => message,
            Err(e) => {
                tracing::warn!(channel = %B::CHANNEL, error = %e, "message undecodable; skipped");
                return;
            }
        };
        let Some((kind, _)) = B::item(&message, Some(&self.symbol)) else {
            return;
        };
        if kind == MessageType::Snapshot {
            match snapshot_shape(headers) {
                Ok(Some((precision, depth))) => {
                    let book = B::empty(&self.symbol, precision, depth);
                    self.published.update(|state| state.book = book);
                    self.has_book = true;
                }
                // A snapshot without the relay's headers keeps the book's
                // precision.
                Ok(None) if self.has_book => {}
                Ok(None) => {
                    tracing::warn!(channel = %B::CHANNEL, "snapshot without precision headers; skipped");
                    return;
                }
                Err(problem) => {
                    tracing::warn!(channel = %B::CHANNEL, %problem, "snapshot headers unusable; skipped");
                    return;
                }
            }
        } else if !self.has_book {
            // Nothing to apply it to yet.
            return;
        }
        self.lost_sync = matches!(
            self.sink.deliver(&message, Some(&self.symbol)),
            Delivered::WantsSnapshot
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, *value);
        }
        headers
    }

    #[test]
    fn a_snapshots_shape_comes_from_its_headers_and_is_bounded() {
        let good = headers(&[
            (PRICE_PRECISION_HEADER, "1"),
            (QTY_PRECISION_HEADER, "8"),
            (DEPTH_HEADER, "100"),
        ]);
        assert_eq!(snapshot_shape(&good), Ok(Some((Precision::new(1, 8), 100))));
        assert_eq!(snapshot_shape(&headers(&[])), Ok(None));
        let huge_depth = headers(&[
            (PRICE_PRECISION_HEADER, "1"),
            (QTY_PRECISION_HEADER, "8"),
            (DEPTH_HEADER, "99999999999"),
        ]);
        assert_eq!(
            snapshot_shape(&huge_depth),
            Err("Kraki-Depth is not one of [10, 25, 100, 500, 1000]".to_owned())
        );
        let too_fine = headers(&[(PRICE_PRECISION_HEADER, "19"), (QTY_PRECISION_HEADER, "8")]);
        assert_eq!(
            snapshot_shape(&too_fine),
            Err("Kraki-Price-Precision is not a number of decimals up to 18".to_owned())
        );
        let half = headers(&[(PRICE_PRECISION_HEADER, "2")]);
        assert_eq!(
            snapshot_shape(&half),
            Err("Kraki-Qty-Precision is missing".to_owned())
        );
    }
}
