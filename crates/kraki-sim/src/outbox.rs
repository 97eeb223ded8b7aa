//! What a connection's [`FaultPlan`] does to the frames it sends: holds
//! responses back, drops them, and counts frames towards a close. Kept free
//! of sockets and of the clock (time is an argument) so the connection task
//! only carries out its decisions.

use crate::fault_plan::FaultPlan;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::VecDeque;
use tokio::time::Instant;

/// The outgoing side of one connection under a fault plan.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    plan: FaultPlan,
    /// Frames left before the connection closes.
    budget: Option<u64>,
    /// Frames held back, each with the time it may go; times never
    /// decrease along the queue, so the wire order is kept.
    held: VecDeque<(Instant, String)>,
}

impl Outbox {
    pub(crate) fn new(plan: FaultPlan) -> Outbox {
        let mut outbox = Outbox::default();
        outbox.set_plan(plan);
        outbox
    }

    /// Follows `plan` from now on: the close count starts again; frames
    /// already held keep their time.
    pub(crate) fn set_plan(&mut self, plan: FaultPlan) {
        self.budget = plan.close_after;
        self.plan = plan;
    }

    pub(crate) fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// The frames answering one request, in order; returns those to send
    /// now.
    pub(crate) fn reply(&mut self, mut frames: Vec<String>, now: Instant) -> Vec<String> {
        if self.plan.drop_acks {
            frames.retain(|f| !is_response(f));
        }
        let release = match self.plan.ack_delay {
            // After a drop only data may be left, which is not held.
            Some(delay) if frames.iter().any(|f| is_response(f)) => now + delay,
            _ => return self.behind_held(frames),
        };
        // A later release than what is held keeps the queue in time order.
        let release = self
            .last_release()
            .map_or(release, |last| last.max(release));
        self.held.extend(frames.into_iter().map(|f| (release, f)));
        Vec::new()
    }

    /// A frame that answers no request (data, heartbeat, status, garbage):
    /// sent now unless something is held, then it waits behind.
    pub(crate) fn push(&mut self, frame: String) -> Option<String> {
        self.behind_held(vec![frame]).pop()
    }

    fn behind_held(&mut self, frames: Vec<String>) -> Vec<String> {
        match self.last_release() {
            Some(last) => {
                self.held.extend(frames.into_iter().map(|f| (last, f)));
                Vec::new()
            }
            None => frames,
        }
    }

    fn last_release(&self) -> Option<Instant> {
        self.held.back().map(|(at, _)| *at)
    }

    /// When the first held frame may go.
    pub(crate) fn next_release(&self) -> Option<Instant> {
        self.held.front().map(|(at, _)| *at)
    }

    /// Whether anything is held back.
    pub(crate) fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// The held frames whose time has come, in order.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<String> {
        let mut out = Vec::new();
        while let Some((at, _)) = self.held.front() {
            if *at > now {
                break;
            }
            if let Some((_, frame)) = self.held.pop_front() {
                out.push(frame);
            }
        }
        out
    }

    /// Counts one frame sent.
    pub(crate) fn sent(&mut self) {
        if let Some(left) = &mut self.budget {
            *left = left.saturating_sub(1);
        }
    }

    /// Whether the plan's close count is used up.
    pub(crate) fn must_close(&self) -> bool {
        self.budget == Some(0)
    }
}

/// Whether a frame is a response to a request: acks, errors and pongs all
/// carry `method` or `success` at the top level, channel data never does.
/// Reading the wire text keeps the session unaware of faults.
fn is_response(frame: &str) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        method: Option<IgnoredAny>,
        success: Option<IgnoredAny>,
    }
    serde_json::from_str::<Probe>(frame).is_ok_and(|p| p.method.is_some() || p.success.is_some())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::time::Duration;

    const ACK: &str = r#"{"method":"subscribe","success":true,"req_id":1}"#;
    const ERROR: &str = r#"{"error":"Unsupported event","success":false}"#;
    const DATA: &str = r#"{"channel":"book","type":"snapshot","data":[]}"#;

    fn frames(f: &[&str]) -> Vec<String> {
        f.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn responses_are_told_from_data() {
        assert!(is_response(ACK));
        assert!(is_response(ERROR));
        assert!(is_response(r#"{"method":"pong","req_id":3}"#));
        assert!(!is_response(DATA));
        assert!(!is_response(r#"{"channel":"heartbeat"}"#));
        assert!(!is_response("CloudFlare WebSocket proxy restarting"));
    }

    #[test]
    fn dropped_acks_leave_the_data() {
        let mut out = Outbox::new(FaultPlan::new().drop_acks(true));
        let now = Instant::now();
        assert_eq!(out.reply(frames(&[ACK, DATA, ERROR]), now), frames(&[DATA]));
        assert!(!out.is_holding());
    }

    #[test]
    fn a_delayed_ack_holds_what_follows_in_order() {
        let delay = Duration::from_millis(300);
        let mut out = Outbox::new(FaultPlan::new().delay_acks(delay));
        let now = Instant::now();
        assert!(out.reply(frames(&[ACK, DATA]), now).is_empty());
        assert_eq!(out.push("later".to_owned()), None);
        assert_eq!(out.next_release(), Some(now + delay));
        assert!(out.due(now + delay / 2).is_empty());
        assert_eq!(out.due(now + delay), frames(&[ACK, DATA, "later"]));
        assert!(!out.is_holding());
        assert_eq!(out.push(DATA.to_owned()), Some(DATA.to_owned()));
    }

    #[test]
    fn the_close_count_restarts_with_a_new_plan() {
        let mut out = Outbox::new(FaultPlan::new().close_after(2));
        out.sent();
        assert!(!out.must_close());
        out.sent();
        assert!(out.must_close());
        out.set_plan(FaultPlan::new().close_after(1));
        assert!(!out.must_close());
        out.set_plan(FaultPlan::default());
        out.sent();
        assert!(!out.must_close());
        assert!(Outbox::new(FaultPlan::new().close_after(0)).must_close());
    }
}
