//! The tasks that copy one subscription's updates from the engine into a
//! connection's frame queue, one task per subscription. They tell the
//! connection when the engine's feed outran them, so it drops the client
//! as a real exchange drops a consumer that cannot keep up.

use crate::feed_faults::FeedFaults;
use crate::frame_queue::FrameSender;
use crate::private_events::PrivateEvent;
use crate::private_feeds::{self, PrivateChannel};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// Copies a public feed's frames, which the engine renders once for
/// every subscriber.
pub(crate) async fn forward_feed(mut updates: broadcast::Receiver<Arc<str>>, frames: FrameSender) {
    loop {
        match updates.recv().await {
            Ok(frame) => {
                if frames.send(Some(frame)).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let _ = frames.send(None).await;
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Copies an account's events of one private channel, numbering them from
/// `sequence`: the numbering is per subscription, so it is done here and
/// not by the engine. The sequence-gap fault skips one number of the next
/// executions message.
pub(crate) async fn forward_private(
    mut updates: broadcast::Receiver<Arc<PrivateEvent>>,
    frames: FrameSender,
    channel: PrivateChannel,
    mut sequence: u64,
    faults: watch::Receiver<FeedFaults>,
) {
    let mut gaps_seen = faults.borrow().sequence_gap;
    loop {
        let event = match updates.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let _ = frames.send(None).await;
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if !private_feeds::carries(&event, channel) {
            continue;
        }
        if matches!(channel, PrivateChannel::Executions { .. }) {
            let gaps = faults.borrow().sequence_gap;
            if gaps > gaps_seen {
                gaps_seen = gaps;
                sequence += 1;
            }
        }
        let text = private_feeds::update(&event, sequence);
        sequence += 1;
        if frames.send(Some(Arc::from(text))).await.is_err() {
            return;
        }
    }
}
