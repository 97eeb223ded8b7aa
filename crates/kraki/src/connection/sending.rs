//! What goes out: subscribes grouped by params, unsubscribes, pings,
//! each with a req_id and, where Kraken wants one, the token.

use super::{Connection, LostReason, Transmit};
use crate::wire::WireState;
use crate::wire_table::WireKey;
use kraki_proto::{Channel, Method, ReqId, Request, SubscribeParams, Token};
use std::time::Instant;

impl Connection {
    /// Unsubscribes and subscribes `keys` again, for a fresh snapshot for
    /// every subscriber.
    pub(super) fn resubscribe(&mut self, keys: &[WireKey], now: Instant) {
        for key in keys {
            if let Some(wire) = self.wire.get_mut(key) {
                wire.snapshot_for = None;
            }
        }
        self.make_again(keys, now);
    }

    /// Subscribes `keys` afresh, unsubscribing first those that may be on
    /// the server: without that, Kraken would answer `Already
    /// subscribed`. Without a connection they wait for the next one.
    pub(super) fn make_again(&mut self, keys: &[WireKey], now: Instant) {
        let mut unsubscribes = Vec::new();
        for key in keys {
            if let Some(wire) = self.wire.get_mut(key) {
                if wire.maybe_on_server() {
                    unsubscribes.push(unsubscribe_params(wire.params.clone()));
                }
                wire.state = WireState::Unsent;
            }
        }
        self.unsubscribe(unsubscribes, now);
        self.send_unsent(now);
    }

    /// Resubscribes those that lost sync while a message was routed.
    pub(super) fn resubscribe_wanting(&mut self, now: Instant) {
        for id in std::mem::take(&mut self.wants_snapshot) {
            let keys = self.keys_of(id);
            self.resubscribe(&keys, now);
        }
    }

    pub(super) fn unsubscribe(&mut self, params: Vec<SubscribeParams>, now: Instant) {
        for params in params {
            self.send_method(Method::Unsubscribe(params), now);
        }
    }

    /// Sends one subscribe per group of unsent keys that share params.
    pub(super) fn send_unsent(&mut self, now: Instant) {
        if !self.connected || self.awaiting_token {
            return;
        }
        let mut groups: Vec<(SubscribeParams, Vec<WireKey>)> = Vec::new();
        for (key, wire) in self.wire.iter() {
            if wire.state != WireState::Unsent {
                continue;
            }
            let mut without_symbol = wire.params.clone();
            without_symbol.symbol = None;
            match groups.iter_mut().find(|(p, _)| {
                let mut q = p.clone();
                q.symbol = None;
                q == without_symbol
            }) {
                Some((p, keys)) => {
                    if let (Some(all), Some(mine)) = (&mut p.symbol, &wire.params.symbol) {
                        all.extend(mine.iter().cloned());
                    }
                    keys.push(key.clone());
                }
                None => groups.push((wire.params.clone(), vec![key.clone()])),
            }
        }
        let paced = groups.len() > 1;
        let ack_by = now + self.settings.request_timeout;
        for (params, keys) in groups {
            let Some(req_id) = self.send_method_paced(Method::Subscribe(params), paced, now) else {
                return;
            };
            let token_generation = self.token_generation;
            for key in &keys {
                if let Some(wire) = self.wire.get_mut(key) {
                    wire.state = WireState::Pending {
                        req_id,
                        ack_by,
                        token_generation,
                    };
                }
            }
        }
    }

    pub(super) fn send_method(&mut self, method: Method, now: Instant) -> Option<ReqId> {
        self.send_method_paced(method, false, now)
    }

    /// Queues `method` with a new req_id and, on an authenticated
    /// connection, the current token where Kraken wants one. `None`
    /// without a connection to send on.
    pub(super) fn send_method_paced(
        &mut self,
        mut method: Method,
        paced: bool,
        now: Instant,
    ) -> Option<ReqId> {
        if !self.connected || self.lost {
            return None;
        }
        if let Some(token) = &self.token {
            authorize(&mut method, token);
        }
        let req_id = self.req_id();
        self.queue(&Request::new(method, req_id), paced, now)
            .then_some(req_id)
    }

    pub(super) fn queue(&mut self, request: &Request, paced: bool, now: Instant) -> bool {
        match request.encode() {
            Ok(text) => {
                tracing::trace!(method = request.method.name(), "send");
                self.transmits.push_back(Transmit { text, paced });
                self.last_sent = now;
                self.timer_moved = true;
                true
            }
            Err(e) => {
                self.lose(LostReason::Unencodable(e.to_string()));
                false
            }
        }
    }

    pub(super) fn req_id(&mut self) -> ReqId {
        let id = ReqId(self.next_req_id);
        self.next_req_id += 1;
        id
    }
}

/// Unsubscribe echoes the identifying params only (`snapshot` is
/// subscribe-only).
pub(super) fn unsubscribe_params(mut params: SubscribeParams) -> SubscribeParams {
    params.snapshot = None;
    params
}

/// Puts the token where Kraken wants one: private and level3
/// subscriptions and every trading method.
pub(super) fn authorize(method: &mut Method, token: &Token) {
    let slot = match method {
        Method::Subscribe(p) | Method::Unsubscribe(p) => {
            if !matches!(
                p.channel,
                Channel::Executions | Channel::Balances | Channel::Level3
            ) {
                return;
            }
            &mut p.token
        }
        Method::AddOrder(p) => &mut p.token,
        Method::AmendOrder(p) => &mut p.token,
        Method::EditOrder(p) => &mut p.token,
        Method::CancelOrder(p) => &mut p.token,
        Method::CancelAll(p) => &mut p.token,
        Method::CancelAllOrdersAfter(p) => &mut p.token,
        Method::BatchAdd(p) => &mut p.token,
        Method::BatchCancel(p) => &mut p.token,
        _ => return,
    };
    if slot.is_none() {
        *slot = Some(token.clone());
    }
}
