//! The verified book as the connection's reader sees it, for L2
//! (`client.book`) and level3 (`client.level3_book`) alike: it applies
//! every message in place, hands the state and what happened to its
//! outlet, and asks for a fresh snapshot whenever the book cannot be
//! trusted.

use crate::book_outlet::BookOutlet;
use crate::book_state::{BookEvent, BookState, BookStatus};
use crate::client_metrics::BookMetrics;
use crate::connection_event::ConnectionEvent;
use crate::sink::{Deliver, Delivered};
use crate::verified_book::{VerifiedBook, WarmStage};
use kraki_proto::book::{BookView, Level3View, Verification};
use kraki_proto::{Channel, Inbound, MessageType};
use std::marker::PhantomData;

/// Applies each message to the book, hands the state and what happened
/// to its outlet, and asks for a fresh snapshot whenever the book cannot
/// be trusted.
pub(crate) struct VerifiedSink<B: VerifiedBook, O: BookOutlet<B>> {
    outlet: O,
    metrics: BookMetrics,
    source: BookSource,
    _book: PhantomData<fn() -> B>,
}

/// Where a verified book's messages come from. It decides what follows a
/// loss of sync, and labels the book's counters, so that a program
/// holding books of both kinds tells a relay's trouble from Kraken's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BookSource {
    /// A WebSocket connection (Kraken, or anything speaking its
    /// protocol): a loss of sync resubscribes.
    WebSocket,
    /// A relay's JetStream subject: a loss of sync waits for the
    /// subject's next snapshot, as nobody can be asked for one.
    #[cfg(feature = "nats")]
    Nats,
}

impl BookSource {
    /// The `source` label of the book's counters.
    pub(crate) fn label(self) -> &'static str {
        match self {
            BookSource::WebSocket => "websocket",
            #[cfg(feature = "nats")]
            BookSource::Nats => "nats",
        }
    }

    /// What follows a loss of sync, for the log.
    fn remedy(self) -> &'static str {
        match self {
            BookSource::WebSocket => "resubscribing",
            #[cfg(feature = "nats")]
            BookSource::Nats => "waiting for the subject's next snapshot",
        }
    }
}

impl<B: VerifiedBook, O: BookOutlet<B>> VerifiedSink<B, O> {
    /// A sink of a book fed by a WebSocket connection.
    pub(crate) fn new(outlet: O) -> Self {
        VerifiedSink::from_source(outlet, BookSource::WebSocket)
    }

    /// A sink of a book fed by `source`.
    pub(crate) fn from_source(outlet: O, source: BookSource) -> Self {
        VerifiedSink {
            outlet,
            metrics: BookMetrics::new(&B::CHANNEL, source.label()),
            source,
            _book: PhantomData,
        }
    }

    /// Applies one item and reports the event; when the book can no
    /// longer be trusted, says it wants a snapshot. `text` is the item as
    /// it stands in the frame, when the frame was read in place.
    fn apply(
        &mut self,
        kind: MessageType,
        update: &B::Update<'_>,
        text: Option<&str>,
    ) -> Delivered {
        let (event, resync_reason) = self.outlet.update(|state| on_data(state, kind, update));
        match &event {
            Some(BookEvent::Applied { ok: true, .. }) => self.metrics.verified(),
            // A mismatch, or a message that could not be applied.
            Some(_) => self.metrics.mismatched(),
            None if resync_reason.is_some() => self.metrics.mismatched(),
            None => {}
        }
        if let Some(event) = event {
            self.outlet.emit(event, B::sent_timestamp(update), text);
        }
        let Some(reason) = resync_reason else {
            return Delivered::Done;
        };
        let symbol = self.outlet.update(|state| {
            state.status = BookStatus::Resyncing;
            state.resyncs += 1;
            state.book.pair().clone()
        });
        self.metrics.resynced();
        tracing::warn!(%symbol, channel = %B::CHANNEL, %reason, remedy = self.source.remedy(), "book out of sync");
        self.outlet
            .emit(BookEvent::Resyncing { reason }, None, None);
        Delivered::WantsSnapshot
    }
}

/// Applies one message; returns the event to report and, when the book
/// can no longer be trusted, why.
fn on_data<B: VerifiedBook>(
    state: &mut BookState<B>,
    kind: MessageType,
    update: &B::Update<'_>,
) -> (Option<BookEvent>, Option<String>) {
    let (checksum, computed, reason) = match state.book.apply(kind, update) {
        Ok(Verification::Skipped) => return (None, None),
        Ok(Verification::Verified) => {
            state.verified += 1;
            state.status = BookStatus::Live;
            // Verified: the book's checksum is the one Kraken sent.
            let sent = B::sent_checksum(update);
            (sent, sent, None)
        }
        Ok(Verification::Mismatch { expected, computed }) => {
            state.mismatches += 1;
            let reason = format!("checksum mismatch: expected {expected}, computed {computed}");
            (expected, computed, Some(reason))
        }
        Err(e) => return (None, Some(e.to_string())),
    };
    let (best_bid, best_ask) = state.book.best();
    let event = BookEvent::Applied {
        kind,
        checksum,
        computed,
        ok: reason.is_none(),
        best_bid,
        best_ask,
    };
    (Some(event), reason)
}

impl<B: VerifiedBook, O: BookOutlet<B>> Deliver for VerifiedSink<B, O> {
    fn deliver(&mut self, msg: &Inbound, symbol: Option<&str>) -> Delivered {
        match B::item(msg, symbol) {
            Some((kind, update)) => self.apply(kind, &update, None),
            None => Delivered::Done,
        }
    }

    fn control(&mut self, control: ConnectionEvent) {
        self.on_control(control);
    }

    fn reads(&self, channel: &Channel) -> bool {
        *channel == B::CHANNEL
    }

    fn takes_in_place(&self) -> bool {
        true
    }

    fn warm(&self, stage: WarmStage) {
        self.outlet.warm(stage);
    }

    fn deliver_book(&mut self, kind: MessageType, update: &BookView<'_>, text: &str) -> Delivered {
        match B::from_book(update) {
            Some(update) => self.apply(kind, update, Some(text)),
            None => Delivered::Done,
        }
    }

    fn deliver_level3(
        &mut self,
        kind: MessageType,
        update: &Level3View<'_>,
        text: &str,
    ) -> Delivered {
        match B::from_level3(update) {
            Some(update) => self.apply(kind, update, Some(text)),
            None => Delivered::Done,
        }
    }
}

impl<B: VerifiedBook, O: BookOutlet<B>> VerifiedSink<B, O> {
    fn on_control(&mut self, control: ConnectionEvent) {
        let event = self.outlet.update(|state| match control {
            ConnectionEvent::Reconnecting => {
                state.status = BookStatus::Reconnecting;
                Some(BookEvent::Reconnecting)
            }
            ConnectionEvent::Reconnected => {
                state.status = BookStatus::Syncing;
                Some(BookEvent::Reconnected)
            }
            // The engine's state does not change the book itself; the
            // connection never reports its own lag to a sink.
            _ => None,
        });
        if let Some(event) = event {
            self.outlet.emit(event, None, None);
        }
    }
}
