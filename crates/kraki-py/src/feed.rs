//! One subscription's events, handed to asyncio in batches.
//!
//! A forwarding task on kraki's runtime reads the typed subscription and
//! passes each event on, the typed value itself (made into Python objects
//! only if Python reads it), through a small bounded queue. When
//! Python reads too slowly, that queue fills, the forwarder waits, and
//! kraki's own queue behind it drops data and counts it: the count comes
//! through as a `lagged` event, and the socket is never held up.

use crate::errors;
use crate::pending::Pending;
use futures_util::StreamExt;
use kraki::Event;
use kraki::proto::MessageType;
use pyo3::prelude::*;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc};

/// Events waiting between the forwarder and Python: enough for a large
/// batch (one asyncio wake-up per batch, not per event: at full speed the
/// wake-up, not the message, is what costs), small next to kraki's own
/// queue so that a slow reader still shows up as lag there soon.
const HANDOFF: usize = 256;

/// One event as Python receives it: `(kind, payload, a, b)`, where kind
/// is `snapshot` or `update` (the payload is the message, not yet read:
/// a [`Pending`]), `reconnecting`, `reconnected`, `lagged` (a = messages
/// dropped), `gap` (a = expected, b = received sequence), `status` (the
/// payload is the system status string), `heartbeat` or `pong` (the pong
/// as JSON text).
pub(crate) type Item = (&'static str, Payload, u64, u64);

/// An event's payload: text, or a message for Python to read when it
/// wants its fields.
#[derive(IntoPyObject)]
pub(crate) enum Payload {
    Text(String),
    Message(Pending),
}

fn text(kind: &'static str, text: String, a: u64, b: u64) -> Item {
    (kind, Payload::Text(text), a, b)
}

/// The messages a feed carries: kraki's typed updates, each a snapshot or
/// an update, which picks the Python class.
pub(crate) trait Message: serde::Serialize + Send + Sync + 'static {
    fn kind(&self) -> &MessageType;
}

macro_rules! messages {
    ($($t:ty),* $(,)?) => {
        $(impl Message for $t {
            fn kind(&self) -> &MessageType {
                &self.kind
            }
        })*
    };
}

messages!(
    kraki::TickerUpdate,
    kraki::BookUpdate,
    kraki::TradeUpdate,
    kraki::CandleUpdate,
    kraki::InstrumentUpdate,
    kraki::ExecutionsUpdate,
    kraki::BalancesUpdate,
);

fn item<T: Message>(event: Event<T>) -> Item {
    match event {
        Event::Data(value) => {
            let kind = match value.kind() {
                MessageType::Snapshot => "snapshot",
                MessageType::Update => "update",
            };
            (kind, Payload::Message(Pending::new(value)), 0, 0)
        }
        Event::Reconnecting => text("reconnecting", String::new(), 0, 0),
        Event::Reconnected => text("reconnected", String::new(), 0, 0),
        Event::Lagged(n) => text("lagged", String::new(), n, 0),
        Event::Status(s) => text("status", s.as_str().to_owned(), 0, 0),
        Event::Gap { expected, received } => text("gap", String::new(), expected, received),
        // A kind of event added to kraki later: passed on by name.
        _ => text("other", String::new(), 0, 0),
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
        T: Message,
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
            if dropped > 0
                && tx
                    .try_send(text("lagged", String::new(), dropped, 0))
                    .is_ok()
            {
                dropped = 0;
            }
            let item = match event {
                kraki::Liveness::Heartbeat => text("heartbeat", String::new(), 0, 0),
                kraki::Liveness::Pong(pong) => match serde_json::to_string(&pong) {
                    Ok(json) => text("pong", json, 0, 0),
                    Err(e) => text("error", format!("cannot serialize a pong: {e}"), 0, 0),
                },
                _ => text("other", String::new(), 0, 0),
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
        crate::awaitable::future_into_py(py, async move {
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
    S::Item: Message,
{
    let subscription = client.subscribe(spec).await.map_err(errors::to_py)?;
    Ok(Feed::start(subscription))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraki::proto::channels::BookData;

    fn book(kind: MessageType) -> Event<kraki::BookUpdate> {
        let data: BookData = serde_json::from_str(
            r#"{"symbol":"BTC/USD","bids":[{"price":"1.5","qty":"2"}],"asks":[],"checksum":7}"#,
        )
        .expect("a book message");
        Event::Data(kraki::BookUpdate { kind, book: data })
    }

    #[test]
    fn a_message_goes_to_python_unread_with_its_kind() {
        let (kind, payload, _, _) = item(book(MessageType::Update));
        assert_eq!(kind, "update");
        let Payload::Message(pending) = payload else {
            panic!("a message goes as a Pending");
        };
        // The digits as Kraken sent them, when asked for as JSON.
        let json = pending.json().expect("JSON of a book message");
        assert!(json.contains(r#""price":1.5,"#), "{json}");
        assert_eq!(item(book(MessageType::Snapshot)).0, "snapshot");
    }

    #[test]
    fn connection_events_carry_their_numbers() {
        let (kind, _, expected, received) = item(Event::<kraki::BookUpdate>::Gap {
            expected: 4,
            received: 6,
        });
        assert_eq!((kind, expected, received), ("gap", 4, 6));
    }
}
