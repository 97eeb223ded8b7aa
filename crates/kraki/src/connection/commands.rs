//! What the handles ask: subscribe, release, resync, call, handlers.

use super::sending::unsubscribe_params;
use super::{Connection, Local};
use crate::command::{Command, SubId, Subscribed};
use crate::error::Error;
use crate::pending::{PendingCall, PendingOp};
use crate::sink::Deliver;
use crate::snapshot_share::{self, View};
use crate::wire::{Wire, WireState};
use crate::wire_table::WireKey;
use kraki_proto::{Channel, Method, Response, SubscribeParams};
use std::collections::HashSet;
use std::time::Instant;
use tokio::sync::oneshot;

impl Connection {
    pub(crate) fn handle_command(&mut self, command: Command, now: Instant) {
        let watched = self.has_subscriptions();
        self.timer_moved = true;
        match command {
            Command::Subscribe {
                params,
                sink,
                partial,
                reply,
            } => self.subscribe(params, sink, partial, reply, now),
            Command::Release(id) => {
                let gone = self.detach(id);
                self.unsubscribe(gone, now);
            }
            Command::Resync(id) => {
                let keys = self.keys_of(id);
                self.resubscribe(&keys, now);
            }
            Command::ResyncChannel(channel) => {
                let keys: Vec<_> = self
                    .wire
                    .iter()
                    .filter(|(key, _)| key.channel == channel)
                    .map(|(key, _)| key.clone())
                    .collect();
                self.resubscribe(&keys, now);
            }
            Command::Call {
                method,
                expected,
                reply,
            } => self.call(*method, expected, reply, now),
            Command::AddHandler(sink) => {
                for channel in [Channel::Book, Channel::Level3] {
                    if sink.reads(&channel) {
                        self.decoded_readers.add(&channel);
                    }
                }
                self.handlers.push(sink);
            }
            Command::Close(done) => {
                self.shutdown();
                let _ = done.send(());
            }
        }
        // The watchdog starts counting when there is something to watch,
        // not from the last frame of a quiet connection.
        if !watched && self.has_subscriptions() {
            self.alive_at = now;
        }
    }

    pub(super) fn subscribe(
        &mut self,
        params: SubscribeParams,
        sink: Box<dyn Deliver>,
        partial: bool,
        reply: oneshot::Sender<Result<Subscribed, Error>>,
        now: Instant,
    ) {
        let id = SubId(self.next_sub_id);
        self.next_sub_id += 1;
        let keys = WireKey::split(&params);
        let wants_snapshot = snapshot_share::asks_for_snapshot(&params);
        let mut waiting = HashSet::new();
        // Wire subscriptions to make again: for this newcomer's snapshot
        // (`for_newcomer`), or because a subscribe still pending lacks
        // what it asks for.
        let mut for_newcomer = Vec::new();
        let mut widened_pending = Vec::new();
        for key in &keys {
            let mine = single_symbol(&params, key);
            let wire = self
                .wire
                .get_or_insert_with(key, || Wire::new(mine.clone()));
            let joining = !wire.subscribers.is_empty();
            wire.subscribers.push(id);
            let widened = joining && snapshot_share::merge_params(&mut wire.params, &mine);
            if !wire.is_acked() {
                // Its snapshot is still to come: to everyone, or to the
                // newcomers it is made for, this one among them.
                if let (Some(ids), true) = (&mut wire.snapshot_for, wants_snapshot) {
                    ids.push(id);
                }
                if widened && wire.maybe_on_server() {
                    widened_pending.push(key.clone());
                }
                waiting.insert(key.clone());
                continue;
            }
            if !joining || !(wants_snapshot || widened) {
                continue;
            }
            let snapshot_coming = matches!(wire.state, WireState::AwaitingSnapshot { .. });
            if snapshot_coming && !widened {
                if let Some(ids) = &mut wire.snapshot_for {
                    ids.push(id);
                }
                continue;
            }
            // Made again: the snapshot that follows is for the newcomers
            // that asked for one (a newcomer that only widened the params
            // waits for none, and gets updates at once).
            let ids = wire.snapshot_for.get_or_insert_with(Vec::new);
            if wants_snapshot {
                ids.push(id);
            }
            for_newcomer.push(key.clone());
            waiting.insert(key.clone());
        }
        if let Some(channel) = decoded_channel(&keys, sink.as_ref()) {
            self.decoded_readers.add(channel);
        }
        self.locals.insert(
            id,
            Local {
                keys,
                sink,
                view: View::of(&params),
                reconnecting: false,
            },
        );
        if waiting.is_empty() {
            let _ = reply.send(Ok(Subscribed {
                id,
                refused: Vec::new(),
            }));
        } else {
            self.ops.push(PendingOp {
                id,
                waiting,
                errors: Vec::new(),
                partial,
                reply,
                deadline: now + self.settings.request_timeout,
            });
        }
        for_newcomer.extend(widened_pending);
        self.make_again(&for_newcomer, now);
    }

    pub(super) fn call(
        &mut self,
        method: Method,
        expected: usize,
        reply: oneshot::Sender<Result<Vec<Response>, Error>>,
        now: Instant,
    ) {
        let name = method.name();
        if !self.connected {
            let _ = reply.send(Err(Error::NotConnected(name)));
            return;
        }
        // Kept only where a stale-token refusal can make it worth sending
        // again.
        let request = self.authenticated.then(|| method.clone());
        let Some(req_id) = self.send_method(method, now) else {
            let _ = reply.send(Err(Error::NotConnected(name)));
            return;
        };
        self.calls.push(PendingCall {
            req_id,
            method: name,
            request,
            token_generation: self.token_generation,
            expected: expected.max(1),
            responses: Vec::new(),
            reply,
            deadline: now + self.settings.request_timeout,
        });
    }

    /// Removes a local subscriber; returns the params of wire
    /// subscriptions nobody uses any more and that must be unsubscribed.
    pub(super) fn detach(&mut self, id: SubId) -> Vec<SubscribeParams> {
        let mut gone = Vec::new();
        let Some(local) = self.locals.remove(&id) else {
            return gone;
        };
        if let Some(channel) = decoded_channel(&local.keys, local.sink.as_ref()) {
            self.decoded_readers.remove(channel);
        }
        self.ops.retain(|op| op.id != id);
        for key in local.keys {
            let Some(wire) = self.wire.get_mut(&key) else {
                continue;
            };
            wire.subscribers.retain(|s| *s != id);
            if let Some(ids) = &mut wire.snapshot_for {
                ids.retain(|s| *s != id);
            }
            if wire.subscribers.is_empty() {
                if let Some(wire) = self.wire.remove(&key) {
                    // A pending subscribe may have taken effect even if its
                    // ack never comes (a timeout): unsubscribing now leaves
                    // the server as the client believes it, whatever a
                    // late ack says.
                    if wire.maybe_on_server() {
                        gone.push(unsubscribe_params(wire.params));
                    }
                }
            }
        }
        gone
    }

    /// Drops from subscriber `id` the wire subscriptions Kraken refused.
    /// Returns whether any is left.
    pub(super) fn keep_accepted(&mut self, id: SubId) -> bool {
        let wire = &self.wire;
        let Some(local) = self.locals.get_mut(&id) else {
            return false;
        };
        local.keys.retain(|k| wire.get(k).is_some());
        !local.keys.is_empty()
    }
}

pub(super) fn single_symbol(params: &SubscribeParams, key: &WireKey) -> SubscribeParams {
    let mut p = params.clone();
    p.symbol = key
        .symbol
        .as_ref()
        .map(|s| vec![kraki_proto::Symbol::from(s.as_str())]);
    p
}

/// The channel a subscriber with `keys` reads decoded messages of, if it
/// is one that could be applied in place (see [`Connection::in_place`]).
/// A subscription is of one channel.
pub(super) fn decoded_channel<'k>(keys: &'k [WireKey], sink: &dyn Deliver) -> Option<&'k Channel> {
    if sink.takes_in_place() {
        return None;
    }
    keys.first().map(|k| &k.channel)
}
