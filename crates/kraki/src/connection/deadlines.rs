//! What is due by when: unanswered requests, unacked or silent
//! subscriptions, the idle watchdog, the ping.

use super::{Connection, LostReason, Needs};
use crate::error::Error;
use crate::pending::{PendingCall, PendingOp};
use crate::wire::WireState;
use kraki_proto::{Method, Request, SubscribeParams};
use std::time::Instant;

/// What `expire_ops` gave up on.
struct Expired {
    /// When the latest of the expired requests was sent, if any.
    latest_sent: Option<Instant>,
    /// Wire subscriptions given up while pending, to unsubscribe.
    unsubscribe: Vec<SubscribeParams>,
}

impl Connection {
    /// Everything due by `now`: requests that went unanswered, wire
    /// subscriptions silent or unacked, the idle watchdog, the ping.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if !self.connected || self.lost {
            return;
        }
        self.timer_moved = true;
        let expired = self.expire_ops(now);
        self.unsubscribe(expired.unsubscribe, now);
        // Kraken answers every request: one that got no frame at all back
        // within the timeout means a dead socket.
        if expired
            .latest_sent
            .is_some_and(|sent| sent >= self.heard_at)
        {
            self.lose(LostReason::NoAnswer {
                waited: self.settings.request_timeout,
            });
            return;
        }
        if !self.check_subscriptions(now) {
            return;
        }
        if self.has_subscriptions() && now >= self.alive_at + self.settings.idle_timeout {
            self.lose(LostReason::Idle {
                waited: self.settings.idle_timeout,
            });
            return;
        }
        if now >= self.last_sent + self.settings.ping_interval {
            let req_id = self.req_id();
            self.queue(&Request::new(Method::Ping, req_id), false, now);
        }
    }

    pub(super) fn lose(&mut self, reason: LostReason) {
        if !self.lost {
            self.lost = true;
            self.events.push_back(Needs::Reconnect(reason));
        }
    }

    /// A subscription acked but silent is subscribed again once; silent
    /// again, the connection is taken for broken. The same for a
    /// subscribe without an ack (those of a subscribe call have already
    /// failed it in `expire_ops`; these are resubscribes after a reconnect
    /// or a resync, which nobody awaits), so a stream is never left
    /// waiting for `Reconnected` forever. Returns `false` when the
    /// connection is lost.
    pub(super) fn check_subscriptions(&mut self, now: Instant) -> bool {
        let due = self.wire_keys(|_, w| w.deadline().is_some_and(|by| by <= now));
        for key in due {
            let Some(wire) = self.wire.get_mut(&key) else {
                continue;
            };
            let silent = matches!(wire.state, WireState::AwaitingSnapshot { .. });
            let retried = if silent {
                &mut wire.retried.silence
            } else {
                &mut wire.retried.ack
            };
            if *retried {
                let (channel, symbol) = (key.channel.clone(), key.symbol.clone());
                self.lose(if silent {
                    LostReason::Silent { channel, symbol }
                } else {
                    LostReason::Unacked { channel, symbol }
                });
                return false;
            }
            *retried = true;
            if silent {
                tracing::warn!(channel = %key.channel, symbol = ?key.symbol, "acknowledged but silent; resubscribing");
            } else {
                tracing::warn!(channel = %key.channel, symbol = ?key.symbol, "no subscribe ack in time; subscribing again");
            }
            self.make_again(std::slice::from_ref(&key), now);
        }
        true
    }

    /// Fails the calls and subscribes past their deadline.
    fn expire_ops(&mut self, now: Instant) -> Expired {
        let timeout = self.settings.request_timeout;
        let (expired, kept): (Vec<PendingCall>, Vec<PendingCall>) =
            self.calls.drain(..).partition(|c| c.deadline <= now);
        self.calls = kept;
        let deadlines = expired.iter().map(|c| c.deadline).chain(
            self.ops
                .iter()
                .filter(|o| o.deadline <= now)
                .map(|o| o.deadline),
        );
        let latest_sent = deadlines.max().map(|d| d - timeout);
        for call in expired {
            call.outcome_unknown(format!("no answer within {} ms", timeout.as_millis()));
        }
        let (expired, kept): (Vec<PendingOp>, Vec<PendingOp>) =
            self.ops.drain(..).partition(|op| op.deadline <= now);
        self.ops = kept;
        let mut gone = Vec::new();
        for op in expired {
            gone.extend(self.detach(op.id));
            let _ = op.reply.send(Err(Error::Timeout {
                method: "subscribe",
                timeout_ms: timeout.as_millis() as u64,
            }));
        }
        Expired {
            latest_sent,
            unsubscribe: gone,
        }
    }
}
