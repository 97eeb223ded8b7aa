//! Kraken's answers: subscribe acks, trading responses, stale tokens.

use super::{Connection, Needs, ParkedCall};
use crate::command::Subscribed;
use crate::connection_event::ConnectionEvent;
use crate::error::{Error, Rejection};
use crate::wire::{Wire, WireState};
use crate::wire_table::WireKey;
use kraki_proto::{Response, SubscribeParams};
use std::time::Instant;

impl Connection {
    pub(super) fn on_response(&mut self, r: &Response, now: Instant) {
        self.timer_moved = true;
        match r {
            Response::Subscribe(_) => self.on_subscribe_ack(r, now),
            Response::Pong(_) | Response::Unsubscribe(_) => {}
            _ => self.on_call_response(r, now),
        }
    }

    pub(super) fn on_subscribe_ack(&mut self, r: &Response, now: Instant) {
        let Some(req_id) = r.req_id() else {
            return;
        };
        let symbol = r.symbol().map(|s| s.as_str().to_owned());
        // An error without a symbol (e.g. an unknown channel) concerns every
        // key of the request.
        let mut keys = self.wire_keys(|k, w| {
            w.pending_req() == Some(req_id) && (symbol.is_none() || k.symbol == symbol)
        });
        if keys.is_empty() {
            // A late ack for a subscribe given up while pending: the
            // unsubscribe sent then already undid it on the server, and
            // another one now could end a newer subscription of the same
            // key.
            return;
        }
        let error = r.error().unwrap_or("unknown error");
        if !r.success() && is_stale_token(error) && self.authenticated {
            let (retry, refused): (Vec<WireKey>, Vec<WireKey>) = keys
                .into_iter()
                .partition(|k| self.wire.get(k).is_some_and(|w| !w.retried.token));
            keys = refused;
            self.retry_with_fresh_token(&retry, error, now);
            if keys.is_empty() {
                return;
            }
        }
        if r.success() {
            for key in &keys {
                if let Some(wire) = self.wire.get_mut(key) {
                    wire.acked(now, self.settings.request_timeout);
                }
            }
            let unused = self.settle_ops(&keys, None);
            self.announce_reconnected(&keys);
            self.unsubscribe(unused, now);
        } else {
            let rejection = Rejection {
                symbol,
                error: error.to_owned(),
            };
            self.reject(&keys, &rejection, now);
        }
    }

    /// Subscribes `keys` again, refused for a stale token: at once when a
    /// newer token is already in, else once a fresh one is.
    pub(super) fn retry_with_fresh_token(&mut self, keys: &[WireKey], refusal: &str, now: Instant) {
        if keys.is_empty() {
            return;
        }
        let used = keys
            .iter()
            .filter_map(|k| match self.wire.get(k)?.state {
                WireState::Pending {
                    token_generation, ..
                } => Some(token_generation),
                _ => None,
            })
            .min()
            .unwrap_or(self.token_generation);
        let fresh_in = used != self.token_generation;
        for key in keys {
            if let Some(wire) = self.wire.get_mut(key) {
                wire.retried.token = true;
                wire.state = if fresh_in {
                    WireState::Unsent
                } else {
                    WireState::AwaitingToken {
                        refusal: refusal.to_owned(),
                    }
                };
            }
        }
        if fresh_in {
            self.send_unsent(now);
        } else {
            self.need_token();
        }
    }

    pub(super) fn need_token(&mut self) {
        if !self.awaiting_token {
            self.awaiting_token = true;
            self.events.push_back(Needs::Token);
        }
    }

    /// Kraken refused `keys`: they are forgotten, and the subscribe calls
    /// waiting for them fail.
    pub(super) fn reject(&mut self, keys: &[WireKey], rejection: &Rejection, now: Instant) {
        for key in keys {
            self.wire.remove(key);
        }
        // A refused subscription is not on the server: nothing to undo
        // there, but what the failed calls did subscribe is released.
        let unused = self.settle_ops(keys, Some(rejection));
        self.unsubscribe(unused, now);
    }

    /// Hands a trading response to the call that sent its req_id. A call
    /// refused for a stale token was not executed, so it is sent once more
    /// with a fresh token.
    pub(super) fn on_call_response(&mut self, r: &Response, now: Instant) {
        let Some(req_id) = r.req_id() else {
            tracing::debug!(method = r.method(), "response without req_id ignored");
            return;
        };
        let Some(i) = self.calls.iter().position(|c| c.req_id == req_id) else {
            return;
        };
        if r.error().is_some_and(is_stale_token) && self.calls[i].request.is_some() {
            let mut call = self.calls.swap_remove(i);
            let Some(request) = call.request.take() else {
                return;
            };
            if call.token_generation != self.token_generation {
                // A fresh token came since this was sent.
                let Some(req_id) = self.send_method(request, now) else {
                    return;
                };
                call.req_id = req_id;
                call.token_generation = self.token_generation;
                call.responses.clear();
                self.calls.push(call);
            } else {
                // Kept so that, if no token comes, the caller learns what
                // Kraken said.
                call.responses = vec![r.clone()];
                self.parked.push(ParkedCall { call, request });
                self.need_token();
            }
            return;
        }
        self.calls[i].responses.push(r.clone());
        if self.calls[i].responses.len() >= self.calls[i].expected {
            let call = self.calls.swap_remove(i);
            let _ = call.reply.send(Ok(call.responses));
        }
    }

    /// Marks `keys` resolved in every waiting op; completes the ops that
    /// have nothing left to wait for. Returns wire subscriptions left
    /// without subscribers by a failed op, to unsubscribe.
    pub(super) fn settle_ops(
        &mut self,
        keys: &[WireKey],
        rejection: Option<&Rejection>,
    ) -> Vec<SubscribeParams> {
        let mut unused = Vec::new();
        let mut done = Vec::new();
        for (i, op) in self.ops.iter_mut().enumerate() {
            let mut touched = false;
            for key in keys {
                if op.waiting.remove(key) {
                    touched = true;
                }
            }
            if touched {
                if let Some(r) = rejection {
                    if !op.errors.contains(r) {
                        op.errors.push(r.clone());
                    }
                }
            }
            if op.waiting.is_empty() {
                done.push(i);
            }
        }
        for i in done.into_iter().rev() {
            let op = self.ops.swap_remove(i);
            if op.errors.is_empty() {
                let _ = op.reply.send(Ok(Subscribed {
                    id: op.id,
                    refused: Vec::new(),
                }));
                continue;
            }
            if op.partial && self.keep_accepted(op.id) {
                let _ = op.reply.send(Ok(Subscribed {
                    id: op.id,
                    refused: op.errors,
                }));
                continue;
            }
            // All or nothing: a partly failed subscribe releases what did
            // succeed.
            unused.extend(self.detach(op.id));
            let _ = op.reply.send(Err(Error::Rejected(op.errors)));
        }
        unused
    }

    /// Tells subscribers whose every key is active again that the
    /// connection is back.
    pub(super) fn announce_reconnected(&mut self, keys: &[WireKey]) {
        let wire = &self.wire;
        for local in self.locals.values_mut() {
            if !local.reconnecting || !local.keys.iter().any(|k| keys.contains(k)) {
                continue;
            }
            let all_acked = local
                .keys
                .iter()
                .all(|k| wire.get(k).is_some_and(Wire::is_acked));
            if all_acked {
                local.reconnecting = false;
                local.sink.control(ConnectionEvent::Reconnected);
            }
        }
        if self.handlers_reconnecting && self.wire.values().all(Wire::is_acked) {
            self.handlers_reconnecting = false;
            for handler in &mut self.handlers {
                handler.control(ConnectionEvent::Reconnected);
            }
        }
    }
}

/// Kraken's answers to a request that carried a stale token (§8.4): the
/// request was not executed, and a fresh token cures it.
pub(super) fn is_stale_token(error: &str) -> bool {
    matches!(error, "ESession:Invalid session" | "EAPI:Invalid token")
}
