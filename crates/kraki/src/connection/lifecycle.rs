//! Connecting, losing the connection, getting a fresh token, closing.

use super::{Connection, ParkedCall};
use crate::connection_event::ConnectionEvent;
use crate::error::{Error, Rejection};
use crate::wire::{Wire, WireState};
use kraki_proto::Token;
use std::time::{Duration, Instant};

/// How often a connection still proving itself looks at whether every
/// subscription is acknowledged (far finer than any `healthy_after`
/// worth setting).
const HEALTH_SAMPLE: Duration = Duration::from_millis(10);

impl Connection {
    /// When the next connection attempt may start.
    pub(crate) fn next_attempt(&mut self, now: Instant) -> Instant {
        self.backoff.next_attempt(now)
    }

    /// An attempt to connect failed with `cause`. Returns whether the
    /// configured attempts in a row have now come to nothing; the
    /// subscribes waiting for a connection are failed then.
    pub(crate) fn handle_connect_failed(&mut self, cause: &str) -> bool {
        self.backoff.failed();
        self.fail_waiting_if_exhausted(cause);
        self.backoff.exhausted(self.settings.connect_attempts)
    }

    /// The error for a client that never got a healthy connection in the
    /// configured attempts.
    pub(crate) fn connect_error(&self, last: String) -> Error {
        Error::Connect {
            url: self.url.clone(),
            attempts: self.settings.connect_attempts.max(1),
            last,
        }
    }

    /// A socket is open (with `token`, on the authenticated endpoint):
    /// everything waiting is subscribed.
    pub(crate) fn handle_connected(&mut self, now: Instant, token: Option<Token>) {
        self.backoff.opened();
        self.metrics.opened();
        if let Some(token) = token {
            self.token = Some(token);
            self.token_generation += 1;
        }
        self.connected = true;
        self.lost = false;
        self.alive_at = now;
        self.heard_at = now;
        self.last_sent = now;
        self.timer_moved = true;
        self.send_unsent(now);
    }

    /// The socket is gone, for `reason`: answers what can no longer be
    /// answered, tells every stream, and marks every wire subscription
    /// for the next connection.
    pub(crate) fn handle_disconnect(&mut self, now: Instant, reason: &str) {
        let proving = self.backoff.is_proving();
        self.backoff.lost(now);
        self.connected = false;
        self.lost = false;
        self.awaiting_token = false;
        self.transmits.clear();
        self.events.clear();
        for call in self.calls.drain(..) {
            call.outcome_unknown("the connection was lost before the answer".to_owned());
        }
        // Refused for a stale token: certainly not executed.
        for parked in self.parked.drain(..) {
            let _ = parked.call.reply.send(Ok(parked.call.responses));
        }
        // Sequence numbers are per connection.
        self.sequences.clear();
        for wire in self.wire.values_mut() {
            wire.connection_lost();
        }
        for local in self.locals.values_mut() {
            if !local.reconnecting {
                local.reconnecting = true;
                local.sink.control(ConnectionEvent::Reconnecting);
            }
        }
        if !self.handlers_reconnecting {
            self.handlers_reconnecting = true;
            for handler in &mut self.handlers {
                handler.control(ConnectionEvent::Reconnecting);
            }
        }
        if proving {
            tracing::warn!(url = %self.url, %reason, "connection lost before it was healthy; reconnecting after a backoff");
            self.fail_waiting_if_exhausted(&format!(
                "connected, but lost the connection before it was healthy: {reason}"
            ));
        } else {
            tracing::warn!(url = %self.url, %reason, "connection lost; reconnecting");
        }
    }

    /// The answer to [`Needs::Token`]: what was refused
    /// for the stale token goes again with the fresh one, or fails with
    /// the reason none came.
    pub(crate) fn handle_token(&mut self, token: Result<Token, Error>, now: Instant) {
        self.awaiting_token = false;
        self.timer_moved = true;
        let parked = std::mem::take(&mut self.parked);
        let waiting = self.wire_keys(|_, w| matches!(w.state, WireState::AwaitingToken { .. }));
        match token {
            Ok(token) => {
                self.token = Some(token);
                self.token_generation += 1;
                tracing::info!("token refused as stale; sending again with a fresh one");
                for ParkedCall { mut call, request } in parked {
                    let Some(req_id) = self.send_method(request, now) else {
                        return;
                    };
                    call.req_id = req_id;
                    call.token_generation = self.token_generation;
                    call.responses.clear();
                    call.deadline = now + self.settings.request_timeout;
                    self.calls.push(call);
                }
                for key in &waiting {
                    if let Some(wire) = self.wire.get_mut(key) {
                        wire.state = WireState::Unsent;
                    }
                }
                self.send_unsent(now);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not refresh the token");
                let described = e.to_string();
                let mut first = Some(e);
                for ParkedCall { call, .. } in parked {
                    let error = first.take().unwrap_or_else(|| {
                        Error::Credentials(format!("could not refresh the token: {described}"))
                    });
                    let _ = call.reply.send(Err(error));
                }
                for key in waiting {
                    let refusal = match self.wire.get(&key).map(|w| &w.state) {
                        Some(WireState::AwaitingToken { refusal }) => refusal.clone(),
                        _ => continue,
                    };
                    let rejection = Rejection {
                        symbol: key.symbol.clone(),
                        error: refusal,
                    };
                    self.reject(&[key], &rejection, now);
                }
            }
        }
    }

    /// After the configured attempts in a row came to nothing, fails the
    /// subscribes waiting for a connection with the cause, rather than let
    /// them wait for a server that may never work. The client goes on
    /// reconnecting, on the backoff schedule; subscriptions already made
    /// come back with it.
    pub(super) fn fail_waiting_if_exhausted(&mut self, last: &str) {
        if self.ops.is_empty() || !self.backoff.exhausted(self.settings.connect_attempts) {
            return;
        }
        tracing::warn!(url = %self.url, cause = %last, "no healthy connection; failing the subscribes waiting for one");
        for op in std::mem::take(&mut self.ops) {
            // Without a socket there is nothing to unsubscribe on the
            // server: the reconnect would only have sent the subscribes.
            let _ = self.detach(op.id);
            let _ = op.reply.send(Err(self.connect_error(last.to_owned())));
        }
    }

    /// Ends every stream: dropping the sinks disconnects their receivers.
    pub(super) fn shutdown(&mut self) {
        self.closed = true;
        for op in self.ops.drain(..) {
            let _ = op.reply.send(Err(Error::Closed));
        }
        for call in self.calls.drain(..) {
            call.outcome_unknown("the client was closed before the answer".to_owned());
        }
        for parked in self.parked.drain(..) {
            let _ = parked.call.reply.send(Ok(parked.call.responses));
        }
        self.locals.clear();
        self.handlers.clear();
        self.decoded_readers.clear();
        self.wire.clear();
    }

    /// Reports a frame read at `now` to the backoff while the connection
    /// proves itself. With subscriptions, only data and heartbeats show
    /// the feed alive; without, any frame does.
    ///
    /// Whether every subscription is acknowledged is looked at once per
    /// [`HEALTH_SAMPLE`], not per frame: on a connection of hundreds of
    /// pairs that look walks every subscription, and the frames of the
    /// first seconds (or of a subscribe Kraken never answers) would each
    /// pay for it.
    pub(super) fn check_health(&mut self, now: Instant) {
        if self
            .health_sampled_at
            .is_some_and(|at| now.saturating_duration_since(at) < HEALTH_SAMPLE)
        {
            return;
        }
        let subscribed = self.wire.values().next().is_some();
        if subscribed && self.alive_at != now {
            return;
        }
        self.health_sampled_at = Some(now);
        let settled = self.wire.values().all(Wire::is_acked);
        if self.backoff.frame(now, settled) {
            tracing::debug!(url = %self.url, "connection healthy; backoff reset");
        }
    }
}
