//! Frames read: decoded or applied in place, and routed to subscribers
//! and handlers at once.

use super::Connection;
use crate::command::SubId;
use crate::connection_event::ConnectionEvent;
use crate::liveness::Liveness;
use crate::sink::{Deliver, Delivered};
use crate::snapshot_share;
use crate::snapshot_share::Share;
use kraki_proto::book::FastFrame;
use kraki_proto::channels::Status;
use kraki_proto::{Channel, ChannelMessage, Inbound, MessageType, decode};
use std::time::Instant;

/// How Kraken starts `book` and `level3` frames: only such frames are
/// tried in place (others, and book frames written otherwise, are
/// decoded).
const BOOK_FRAME_START: &str = r#"{"channel":"book","#;
const LEVEL3_FRAME_START: &str = r#"{"channel":"level3","#;

impl Connection {
    /// One text frame, read at `now`: decoded (or applied in place) and
    /// routed at once.
    pub(crate) fn handle_text(&mut self, text: &str, now: Instant) {
        self.heard_at = now;
        if self.on_text(text, now) {
            self.alive_at = now;
        }
        if !self.wants_snapshot.is_empty() {
            self.resubscribe_wanting(now);
        }
        if self.backoff.is_proving() {
            self.check_health(now);
        }
    }

    /// A frame that is not text (a ping, a pong): proof the socket carries
    /// answers, not that the feed is alive.
    pub(crate) fn handle_other_frame(&mut self, now: Instant) {
        self.heard_at = now;
    }

    /// Returns whether the frame shows the feed alive (anything but a
    /// pong).
    pub(super) fn on_text(&mut self, text: &str, now: Instant) -> bool {
        if self.in_place(text) {
            return true;
        }
        let inbound = match decode(text) {
            Ok(inbound) => inbound,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable frame ignored");
                return true;
            }
        };
        if let Some(channel) = inbound.channel() {
            self.metrics.received(channel);
        }
        match inbound {
            Inbound::Response(r) => {
                let pong = r.method() == "pong";
                if let kraki_proto::Response::Pong(p) = &*r {
                    self.tell_handlers(&Liveness::Pong(p.clone()));
                }
                self.on_response(&r, now);
                !pong
            }
            Inbound::Executions(_) | Inbound::Balances(_) => {
                self.on_sequenced(&inbound, now);
                true
            }
            Inbound::Status(m) => {
                self.on_status(&m);
                true
            }
            Inbound::Heartbeat => {
                self.tell_handlers(&Liveness::Heartbeat);
                true
            }
            Inbound::Unknown(_) => true,
            data => {
                self.route(&data);
                // Every sink has read it (those keeping it cloned it): its
                // buffers go back to the decoder for the next frame.
                kraki_proto::recycle(data);
                true
            }
        }
    }

    /// Applies a `book` or `level3` frame from its text straight to the
    /// verified books it goes to, when nothing reads that channel decoded:
    /// no owned message is built, nothing is allocated. `false` when the
    /// frame must be decoded instead: it is of another channel, a handler
    /// or a subscription wants the message itself, or the in-place parser
    /// does not recognise the frame (decode then gives the proper error).
    pub(super) fn in_place(&mut self, text: &str) -> bool {
        let (channel, name) = if text.starts_with(BOOK_FRAME_START) {
            (Channel::Book, "book")
        } else if text.starts_with(LEVEL3_FRAME_START) {
            (Channel::Level3, "level3")
        } else {
            return false;
        };
        if !self.decoded_readers.none_for(&channel) {
            return false;
        }
        let Some(frame) = self.frames.parse(text) else {
            return false;
        };
        self.metrics.received(name);
        let (wire, locals, wants_snapshot) =
            (&mut self.wire, &mut self.locals, &mut self.wants_snapshot);
        // Books take every snapshot (see `snapshot_share`): it is their
        // resync when a newcomer's re-subscribe left a gap.
        let snapshot = frame_kind(&frame) == MessageType::Snapshot;
        let mut deliver = |symbol: &str, apply: &mut dyn FnMut(&mut dyn Deliver) -> Delivered| {
            for w in wire.routed_mut(channel.as_str(), Some(symbol)) {
                w.fed();
                if snapshot {
                    w.snapshot_for = None;
                }
                for id in &w.subscribers {
                    if let Some(local) = locals.get_mut(id) {
                        if apply(local.sink.as_mut()) == Delivered::WantsSnapshot {
                            wants_snapshot.push(*id);
                        }
                    }
                }
            }
        };
        match frame {
            FastFrame::Book(frame) => {
                for (update, text) in frame.updates().zip(frame.item_texts()) {
                    deliver(update.symbol, &mut |sink| {
                        sink.deliver_book(frame.kind(), &update, text)
                    });
                }
            }
            FastFrame::Level3(frame) => {
                for (update, text) in frame.updates().zip(frame.item_texts()) {
                    deliver(update.symbol, &mut |sink| {
                        sink.deliver_level3(frame.kind(), &update, text)
                    });
                }
            }
        }
        true
    }

    /// Hands a heartbeat or a pong to the handlers (`on_liveness`).
    fn tell_handlers(&mut self, event: &Liveness) {
        for handler in &mut self.handlers {
            handler.liveness(event);
        }
    }

    pub(super) fn route(&mut self, msg: &Inbound) {
        let Some(channel) = msg.channel() else { return };
        let symbol = msg.symbol().map(|s| s.as_str());
        for handler in &mut self.handlers {
            handler.deliver(msg, symbol);
        }
        let snapshot = msg.message_type() == Some(MessageType::Snapshot);
        for wire in self.wire.routed_mut(channel, symbol) {
            wire.fed();
            let audience = if snapshot {
                wire.snapshot_for.take()
            } else {
                None
            };
            for id in &wire.subscribers {
                let Some(local) = self.locals.get_mut(id) else {
                    continue;
                };
                let delivered = if snapshot {
                    let newcomer = snapshot_share::is_newcomer(audience.as_deref(), *id);
                    match snapshot_share::share(msg, local.view, newcomer, wire.seen) {
                        Share::Same(msg) => local.sink.deliver(msg, symbol),
                        Share::Changed(own) => local.sink.deliver(&own, symbol),
                        Share::Nothing => Delivered::Done,
                    }
                } else if awaits_own_snapshot(wire.snapshot_for.as_deref(), *id) {
                    // Still in flight from before its re-subscribe: its
                    // snapshot, which comes next, already covers it.
                    Delivered::Done
                } else {
                    local.sink.deliver(msg, symbol)
                };
                if delivered == Delivered::WantsSnapshot {
                    self.wants_snapshot.push(*id);
                }
            }
            wire.seen.note(msg);
        }
    }

    pub(super) fn on_status(&mut self, m: &ChannelMessage<Vec<Status>>) {
        let Some(status) = m.data.last() else { return };
        tracing::info!(system = %status.system, "exchange status");
        // The first status of a client is its starting point, not a
        // change.
        let changed = self
            .status
            .borrow()
            .as_ref()
            .is_some_and(|old| old.system != status.system);
        self.status.send_replace(Some(status.clone()));
        // Every stream and handler hears of a change of the engine's state
        // (maintenance, cancel_only, …), in order with its data.
        if changed {
            for local in self.locals.values_mut() {
                local
                    .sink
                    .control(ConnectionEvent::Status(status.system.clone()));
            }
            for handler in &mut self.handlers {
                handler.control(ConnectionEvent::Status(status.system.clone()));
            }
        }
    }

    /// Executions or balances: a gap in their `sequence` asks for a fresh
    /// snapshot.
    pub(super) fn on_sequenced(&mut self, inbound: &Inbound, now: Instant) {
        let Some((channel, expected, received)) = self.sequence_gap(inbound) else {
            self.route(inbound);
            return;
        };
        tracing::warn!(
            channel,
            expected,
            received,
            "sequence gap; asking for a fresh snapshot"
        );
        let channel = Channel::from(channel);
        let keys = self.wire_keys(|k, _| k.channel == channel);
        let gap = ConnectionEvent::Gap {
            channel: channel.clone(),
            expected,
            received,
        };
        for local in self.locals.values_mut() {
            if local.keys.iter().any(|k| k.channel == channel) {
                local.sink.control(gap.clone());
            }
        }
        for handler in &mut self.handlers {
            handler.control(gap.clone());
        }
        self.route(inbound);
        self.sequences.remove(channel.as_str());
        self.resubscribe(&keys, now);
    }

    /// Checks the `sequence` of an executions or balances message: a
    /// snapshot starts the count, each update must be the next number.
    /// Returns the channel, the number expected and the one received on a
    /// gap.
    pub(super) fn sequence_gap(&mut self, inbound: &Inbound) -> Option<(&'static str, u64, u64)> {
        let channel = inbound.channel()?;
        let (kind, sequence) = match inbound {
            Inbound::Executions(m) => (m.kind, m.sequence?),
            Inbound::Balances(m) => (m.kind, m.sequence?),
            _ => return None,
        };
        let last = self.sequences.insert(channel, sequence);
        let gap = crate::sequence::check(kind, last, sequence)?;
        Some((channel, gap.expected, gap.received))
    }
}

pub(super) fn frame_kind(frame: &FastFrame<'_>) -> MessageType {
    match frame {
        FastFrame::Book(f) => f.kind(),
        FastFrame::Level3(f) => f.kind(),
    }
}

/// Whether `id` joined a wire subscription that is being made again for
/// its snapshot, and the snapshot has not come yet.
fn awaits_own_snapshot(snapshot_for: Option<&[SubId]>, id: SubId) -> bool {
    snapshot_for.is_some_and(|ids| ids.contains(&id))
}
