//! One subscription's events, handed to asyncio in batches.
//!
//! A forwarding task on kraki's runtime reads the typed subscription and
//! passes each event on, as JSON text of kraki's typed value (exact
//! decimals keep their digits in it), through a small bounded queue. When
//! Python reads too slowly, that queue fills, the forwarder waits, and
//! kraki's own queue behind it drops data and counts it: the count comes
//! through as a `lagged` event, and the socket is never held up.

use crate::errors;
use futures_util::StreamExt;
use kraki::Event;
use pyo3::prelude::*;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc};

/// Events waiting between the forwarder and Python: enough for a large
/// batch (one asyncio wake-up per batch, not per event: at full speed the
/// wake-up, not the message, is what costs), small next to kraki's own
/// queue so that a slow reader still shows up as lag there soon.
const HANDOFF: usize = 256;

/// One event as Python receives it: `(kind, json, a, b)`, where kind is
/// `snapshot` or `update` (json is the message), `data` (a message whose
/// kind is not known here), `reconnecting`, `reconnected`, `lagged`
/// (a = messages dropped), `gap` (a = expected, b = received sequence) or
/// `status` (json is the system status string).
pub(crate) type Item = (&'static str, String, u64, u64);

/// The kind of a message from its JSON: kraki's message types serialize
/// their `type` first, so reading it here spares Python a parse of the
/// whole text just to pick the message's class.
fn message_kind(json: &str) -> &'static str {
    if json.starts_with(r#"{"type":"update""#) {
        "update"
    } else if json.starts_with(r#"{"type":"snapshot""#) {
        "snapshot"
    } else {
        "data"
    }
}

fn item<T: serde::Serialize>(event: Event<T>) -> Item {
    match event {
        Event::Data(value) => match serde_json::to_string(&value) {
            Ok(json) => (message_kind(&json), json, 0, 0),
            // kraki's types always serialize; should one not, say so
            // rather than drop it.
            Err(e) => ("error", format!("cannot serialize a message: {e}"), 0, 0),
        },
        Event::Reconnecting => ("reconnecting", String::new(), 0, 0),
        Event::Reconnected => ("reconnected", String::new(), 0, 0),
        Event::Lagged(n) => ("lagged", String::new(), n, 0),
        Event::Status(s) => ("status", s.as_str().to_owned(), 0, 0),
        Event::Gap { expected, received } => ("gap", String::new(), expected, received),
        // A kind of event added to kraki later: passed on by name.
        _ => ("other", String::new(), 0, 0),
    }
}

/// The events of one subscription (`kraki._kraki.Feed`).
#[pyclass(module = "kraki._kraki")]
pub(crate) struct Feed {
    rx: Arc<Mutex<mpsc::Receiver<Item>>>,
    /// The task that fills the queue, if one does (not for liveness,
    /// which kraki's handler thread fills).
    forwarder: Option<tokio::task::AbortHandle>,
}

impl Feed {
    /// Starts forwarding `subscription` (on kraki's runtime).
    pub(crate) fn start<T>(subscription: kraki::Subscription<T>) -> Feed
    where
        T: serde::Serialize + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(HANDOFF);
        let mut subscription = subscription;
        let task = pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
            while let Some(event) = subscription.next().await {
                if tx.send(item(event)).await.is_err() {
                    return; // Python dropped the feed: unsubscribe (drop).
                }
            }
        });
        Feed {
            rx: Arc::new(Mutex::new(rx)),
            forwarder: Some(task.abort_handle()),
        }
    }

    /// Heartbeats and pongs of `client`: `heartbeat` items, and `pong`
    /// items with the pong as JSON. kraki's handler thread offers each
    /// without waiting; those that find the queue full are counted and
    /// the count comes through as a `lagged` item.
    pub(crate) fn liveness(client: &kraki::Client) -> Result<Feed, kraki::Error> {
        let (tx, rx) = mpsc::channel(HANDOFF);
        let mut dropped = 0u64;
        client.on_liveness(move |event| {
            if dropped > 0 && tx.try_send(("lagged", String::new(), dropped, 0)).is_ok() {
                dropped = 0;
            }
            let item = match event {
                kraki::Liveness::Heartbeat => ("heartbeat", String::new(), 0, 0),
                kraki::Liveness::Pong(pong) => match serde_json::to_string(&pong) {
                    Ok(json) => ("pong", json, 0, 0),
                    Err(e) => ("error", format!("cannot serialize a pong: {e}"), 0, 0),
                },
                _ => ("other", String::new(), 0, 0),
            };
            if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(item) {
                dropped += 1;
            }
        })?;
        Ok(Feed {
            rx: Arc::new(Mutex::new(rx)),
            forwarder: None,
        })
    }
}

#[pymethods]
impl Feed {
    /// Waits for at least one event, then returns every event ready, up to
    /// `max`, as a list of `(kind, json, a, b)` tuples; an empty list once
    /// the subscription has ended (the client closed).
    #[pyo3(signature = (max = HANDOFF))]
    fn next_batch<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyAny>> {
        let rx = self.rx.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let mut rx = rx.lock().await;
            let mut batch = Vec::new();
            match rx.recv().await {
                Some(first) => batch.push(first),
                None => return Ok(batch),
            }
            while batch.len() < max.max(1) {
                match rx.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            Ok(batch)
        })
    }

    /// Ends the subscription (kraki unsubscribes once no one else uses it).
    fn close(&self) {
        if let Some(forwarder) = &self.forwarder {
            forwarder.abort();
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.close();
    }
}

/// Subscribes `spec` on `client` and starts its feed.
pub(crate) async fn subscribe<S>(client: kraki::Client, spec: S) -> PyResult<Feed>
where
    S: kraki::Subscribe,
    S::Item: serde::Serialize,
{
    let subscription = client.subscribe(spec).await.map_err(errors::to_py)?;
    Ok(Feed::start(subscription))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraki::proto::MessageType;
    use kraki::proto::channels::BookData;

    fn book(kind: MessageType) -> Event<kraki::BookUpdate> {
        let data: BookData = serde_json::from_str(
            r#"{"symbol":"BTC/USD","bids":[{"price":"1.5","qty":"2"}],"asks":[],"checksum":7}"#,
        )
        .expect("a book message");
        Event::Data(kraki::BookUpdate { kind, book: data })
    }

    #[test]
    fn a_message_goes_to_python_with_its_kind_read_here() {
        let (kind, json, _, _) = item(book(MessageType::Update));
        assert_eq!(kind, "update");
        // The digits as Kraken sent them, as a JSON number.
        assert!(json.contains(r#""price":1.5,"#), "{json}");
        assert_eq!(item(book(MessageType::Snapshot)).0, "snapshot");
    }

    #[test]
    fn text_without_a_leading_type_is_left_for_python_to_read() {
        assert_eq!(
            message_kind(r#"{"symbol":"BTC/USD","type":"update"}"#),
            "data"
        );
        assert_eq!(message_kind(""), "data");
    }
}
