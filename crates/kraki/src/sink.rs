//! The connection's end of a subscription: turns routed messages into typed
//! events and applies the backpressure policy.

use crate::Event;
use crate::connection_event::ConnectionEvent;
use crate::event_queue::QueueSender;
use crate::liveness::Liveness;
use crate::spec::Subscribe;
use crate::verified_book::WarmStage;
use kraki_proto::MessageType;
use kraki_proto::book::{BookView, Level3View};
use kraki_proto::{Channel, Inbound};
use std::marker::PhantomData;

/// What a subscriber asks of the connection after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivered {
    /// Nothing more.
    Done,
    /// Its state can no longer be trusted (a book that lost sync): a fresh
    /// snapshot, please.
    WantsSnapshot,
}

/// A subscriber as the connection sees it, independent of its item type.
pub(crate) trait Deliver: Send {
    /// Extracts this subscriber's item for `symbol` from `msg` and queues
    /// (or applies) it.
    fn deliver(&mut self, msg: &Inbound, symbol: Option<&str>) -> Delivered;
    /// Queues a connection event.
    fn control(&mut self, control: ConnectionEvent);
    /// Whether it reads messages of `channel` (as [`Inbound::channel`]
    /// names it). Asked of handlers, which read their channel's messages
    /// from every subscription.
    fn reads(&self, channel: &Channel) -> bool;
    /// Whether [`Self::deliver_book`] and [`Self::deliver_level3`] do all
    /// it needs: then the connection may apply frames parsed in place, without
    /// decoding an owned message. Only the verified books do without it.
    fn takes_in_place(&self) -> bool {
        false
    }
    /// Loads what delivering its next item will read first (see
    /// `connection::warm`); nothing by default.
    fn warm(&self, _stage: WarmStage) {}
    /// One item of a book frame parsed in place, with the item's JSON
    /// object as it stands in the frame; called only when
    /// [`Self::takes_in_place`].
    fn deliver_book(
        &mut self,
        _kind: MessageType,
        _update: &BookView<'_>,
        _text: &str,
    ) -> Delivered {
        Delivered::Done
    }
    /// One item of a level3 frame parsed in place, with its JSON object;
    /// called only when [`Self::takes_in_place`].
    fn deliver_level3(
        &mut self,
        _kind: MessageType,
        _update: &Level3View<'_>,
        _text: &str,
    ) -> Delivered {
        Delivered::Done
    }
    /// A heartbeat or a pong; asked of handlers only. Most ignore them.
    fn liveness(&mut self, _event: &Liveness) {}
}

/// Queues events of one subscription. Never blocks the reader: when the
/// queue holds its capacity of data, a data event is dropped and counted,
/// and the count is delivered as [`Event::Lagged`] before the next event
/// that goes in. Connection events always go in ([`crate::event_queue`]).
pub(crate) struct TypedSink<S: Subscribe> {
    tx: QueueSender<S::Item>,
    lagged: u64,
    _spec: PhantomData<fn() -> S>,
}

impl<S: Subscribe> TypedSink<S> {
    pub(crate) fn new(tx: QueueSender<S::Item>) -> Self {
        TypedSink {
            tx,
            lagged: 0,
            _spec: PhantomData,
        }
    }

    fn push(&mut self, event: Event<S::Item>) {
        let room = match event {
            Event::Data(_) => self.tx.has_room(),
            _ => self.tx.has_control_room(),
        };
        if !room {
            self.lagged += 1;
            return;
        }
        if self.lagged > 0 {
            self.tx.send(Event::Lagged(self.lagged));
            self.lagged = 0;
        }
        self.tx.send(event);
    }
}

impl<S: Subscribe> Deliver for TypedSink<S> {
    fn deliver(&mut self, msg: &Inbound, symbol: Option<&str>) -> Delivered {
        let Some(item) = S::extract(msg, symbol) else {
            return Delivered::Done;
        };
        let dropped_before = self.lagged;
        self.push(Event::Data(item));
        // Executions and balances describe state (open orders, balances)
        // that a dropped update changed: the reader asks for a fresh
        // snapshot as soon as it has room for one
        // ([`crate::event_queue`]).
        if self.lagged > dropped_before
            && matches!(S::CHANNEL, Channel::Executions | Channel::Balances)
        {
            self.tx.want_resync();
        }
        Delivered::Done
    }

    fn control(&mut self, control: ConnectionEvent) {
        self.push(control.into_event());
    }

    fn reads(&self, channel: &Channel) -> bool {
        S::CHANNEL == *channel
    }
}
