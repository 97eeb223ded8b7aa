//! A verified book rebuilt from the stream alone, never asking Kraken:
//! the latest snapshot kept for the subject, then the subject's messages
//! after it, each verified against the book before it, just as a book
//! fed by Kraken's WebSocket.

use super::error::NatsError;
use super::names::{
    DEPTH_HEADER, PRICE_PRECISION_HEADER, QTY_PRECISION_HEADER, SEQ_HEADER, SNAPSHOT_STREAM,
    STREAM, snapshot_subject, subject,
};
use crate::book_state::{BookEvent, BookState, BookStatus};
use async_nats::HeaderMap;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures_util::StreamExt;
use kraki_proto::book::{BookView, L2Book, Precision, Verification};
use kraki_proto::{Inbound, MessageType};
use std::sync::{Arc, Mutex};

/// A verified L2 book of one pair, read from the relay's JetStream
/// subjects. Its events are those of [`crate::BookHandle`], so a program
/// reads a book from NATS as it would from Kraken. Dropping it stops the
/// reading.
pub struct NatsBook {
    state: Arc<Mutex<Arc<BookState>>>,
    events: flume::Receiver<BookEvent>,
    task: tokio::task::AbortHandle,
}

impl std::fmt::Debug for NatsBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("NatsBook")
            .field("symbol", state.book.symbol())
            .field("status", &state.status)
            .finish_non_exhaustive()
    }
}

impl Drop for NatsBook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl NatsBook {
    /// Opens the book of `symbol` from the NATS server at `url`: from the
    /// latest kept snapshot when there is one, else from the start of the
    /// subject (waiting for its first snapshot).
    ///
    /// # Errors
    /// [`NatsError::Connect`] when NATS cannot be reached,
    /// [`NatsError::Stream`] when the relay's stream is missing.
    pub async fn open(url: &str, symbol: &str) -> Result<NatsBook, NatsError> {
        let js = super::streams::connect(url, None).await?;
        let stream = js
            .get_stream(STREAM)
            .await
            .map_err(|e| NatsError::stream(STREAM, format!("{e} (has a relay run?)")))?;
        let mut reader = Reader {
            book: None,
            symbol: symbol.to_owned(),
            events: Vec::new(),
            verified: 0,
            mismatches: 0,
            resyncs: 0,
            live: false,
        };
        let mut deliver_policy = DeliverPolicy::All;
        if let Ok(snapshots) = js.get_stream(SNAPSHOT_STREAM).await {
            if let Ok(kept) = snapshots
                .get_last_raw_message_by_subject(&snapshot_subject("book", symbol))
                .await
            {
                let seq: Option<u64> = header_number(&kept.headers, SEQ_HEADER);
                if let Some(seq) = seq {
                    reader.on_message(&kept.payload, &kept.headers);
                    if reader.book.is_some() {
                        deliver_policy = DeliverPolicy::ByStartSequence {
                            start_sequence: seq.saturating_add(1),
                        };
                    }
                }
            }
        }
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: subject("book", symbol),
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(|e| NatsError::stream(STREAM, e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| NatsError::stream(STREAM, e))?;
        let initial = reader.state();
        let state = Arc::new(Mutex::new(Arc::new(initial)));
        let (tx, events) = flume::unbounded();
        for event in reader.events.drain(..) {
            let _ = tx.send(event);
        }
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                let message = match message {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the book subject failed; continuing");
                        continue;
                    }
                };
                let headers = message.headers.clone().unwrap_or_default();
                reader.on_message(&message.payload, &headers);
                if let Ok(mut state) = shared.lock() {
                    *state = Arc::new(reader.state());
                }
                for event in reader.events.drain(..) {
                    if tx.send(event).is_err() {
                        return;
                    }
                }
            }
        });
        Ok(NatsBook {
            state,
            events,
            task: task.abort_handle(),
        })
    }

    /// The book as last applied.
    pub fn state(&self) -> Arc<BookState> {
        match self.state.lock() {
            Ok(state) => state.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
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

/// The book and what happened to it since the last look.
struct Reader {
    book: Option<L2Book>,
    symbol: String,
    events: Vec<BookEvent>,
    verified: u64,
    mismatches: u64,
    resyncs: u64,
    live: bool,
}

impl Reader {
    fn state(&self) -> BookState {
        BookState {
            status: if self.live {
                BookStatus::Live
            } else if self.resyncs > 0 {
                BookStatus::Resyncing
            } else {
                BookStatus::Syncing
            },
            book: self
                .book
                .clone()
                .unwrap_or_else(|| L2Book::new(self.symbol.as_str(), Precision::new(0, 0), 10)),
            verified: self.verified,
            mismatches: self.mismatches,
            resyncs: self.resyncs,
        }
    }

    /// One message of the subject (or the kept snapshot).
    fn on_message(&mut self, payload: &[u8], headers: &HeaderMap) {
        let Ok(text) = std::str::from_utf8(payload) else {
            tracing::warn!("book message is not UTF-8; skipped");
            return;
        };
        let message = match kraki_proto::decode(text) {
            Ok(Inbound::Book(m)) => m,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "book message undecodable; skipped");
                return;
            }
        };
        for data in &message.data {
            if message.kind == MessageType::Snapshot {
                let price = header_number(headers, PRICE_PRECISION_HEADER);
                let qty = header_number(headers, QTY_PRECISION_HEADER);
                let depth: Option<usize> = header_number(headers, DEPTH_HEADER);
                match (price, qty, &self.book) {
                    (Some(price), Some(qty), _) => {
                        let precision = Precision::new(price, qty);
                        self.book = Some(L2Book::new(
                            data.symbol.clone(),
                            precision,
                            depth.unwrap_or(10),
                        ));
                    }
                    // A snapshot without the relay's headers keeps the
                    // book's precision.
                    (_, _, Some(_)) => {}
                    (_, _, None) => {
                        tracing::warn!("book snapshot without precision headers; skipped");
                        continue;
                    }
                }
            }
            let Some(book) = self.book.as_mut() else {
                // Updates before the first snapshot: nothing to apply to.
                continue;
            };
            let (checksum, computed, reason) = match book
                .apply_update(message.kind, &BookView::from(data))
            {
                Ok(Verification::Verified) => {
                    self.verified += 1;
                    self.live = true;
                    (data.checksum, data.checksum, None)
                }
                Ok(Verification::Skipped) => continue,
                Ok(Verification::Mismatch { expected, computed }) => {
                    self.mismatches += 1;
                    (
                        expected,
                        computed,
                        Some(format!(
                            "checksum mismatch: expected {expected}, computed {computed}; waiting for the subject's next snapshot"
                        )),
                    )
                }
                Err(e) => {
                    self.events.push(BookEvent::Resyncing {
                        reason: format!("{e}; waiting for the subject's next snapshot"),
                    });
                    self.resyncs += 1;
                    self.live = false;
                    continue;
                }
            };
            let (best_bid, best_ask) = (book.best_bid(), book.best_ask());
            self.events.push(BookEvent::Applied {
                kind: message.kind,
                checksum,
                computed,
                ok: reason.is_none(),
                best_bid,
                best_ask,
            });
            if let Some(reason) = reason {
                self.resyncs += 1;
                self.live = false;
                self.events.push(BookEvent::Resyncing { reason });
            }
        }
    }
}
