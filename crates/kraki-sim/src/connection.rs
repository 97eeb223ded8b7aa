//! One client's WebSocket connection: status on connect, requests in and
//! responses out, subscription frames, heartbeats, faults and the idle
//! timeout. Only this task writes to the socket.

use crate::connections::{Control, Registered};
use crate::endpoint::Endpoint;
use crate::frame_queue::frame_queue;
use crate::outbox::Outbox;
use crate::session::{self, Session};
use crate::shared::Shared;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, sleep_until};
use tokio_websockets::{Message, WebSocketStream};

/// The text the `send_garbage` fault sends, as Kraken's proxy sometimes
/// does.
const GARBAGE: &str = "CloudFlare WebSocket proxy restarting";

/// Feed frames written together at most, when more are queued.
const MAX_BATCH: usize = 256;

/// Serves one WebSocket until it closes, errs, idles out or a fault ends
/// it.
pub(crate) async fn serve<S>(
    mut ws: WebSocketStream<S>,
    shared: Arc<Shared>,
    endpoint: Endpoint,
    connection_id: u64,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Registered before the first frame, so a plan queued for this
    // connection applies to all of it.
    let Registered {
        plan,
        mut control,
        _guard,
    } = shared.registry.register(connection_id, endpoint.path());
    let mut outbox = Outbox::new(plan);
    let (frames_tx, mut frames) = frame_queue();
    let idle_timeout = shared.idle_timeout;
    let heartbeat = shared.heartbeat;
    let mut system = shared.system.clone();
    let sends_status = endpoint == Endpoint::Public || shared.status_on_private;
    let mut outgoing = Vec::new();
    if sends_status {
        let current = system.borrow_and_update().clone();
        outgoing.extend(outbox.push(session::status_frame(current, Some(connection_id))));
    }
    let mut conn = Session::new(shared, endpoint, frames_tx);
    conn.set_reject_subscriptions(outbox.plan().reject_subscriptions);
    let mut idle_deadline = Instant::now() + idle_timeout;
    let mut last_sent = Instant::now();
    let mut stalled = false;
    loop {
        if !stalled && !outgoing.is_empty() {
            // Everything ready goes out in one write: a frame per write
            // syscall would cap a busy feed far below what the engine
            // makes, and the feed would lag and drop its own client.
            for text in outgoing.drain(..) {
                if outbox.must_close() {
                    break;
                }
                if ws.feed(Message::text(text)).await.is_err() {
                    conn.stop();
                    return;
                }
                outbox.sent();
            }
            if ws.flush().await.is_err() {
                conn.stop();
                return;
            }
            last_sent = Instant::now();
        }
        if outbox.must_close() {
            tracing::debug!(connection_id, "closed after its message count (fault)");
            break;
        }
        // Heartbeats fill silence only: any frame sent moves the deadline.
        // Held frames and a stall are silence on purpose.
        let heartbeat_at = last_sent + heartbeat;
        let beats = conn.has_subscriptions() && !stalled && !outbox.is_holding();
        let release_at = outbox.next_release();
        outgoing = tokio::select! {
            incoming = ws.next() => {
                let msg = match incoming {
                    Some(Ok(msg)) => msg,
                    _ => break,
                };
                if msg.is_close() {
                    break;
                }
                // Requests in binary frames are read like text ones.
                let text = match msg.as_text() {
                    Some(t) => t.to_owned(),
                    None if msg.is_binary() => String::from_utf8_lossy(msg.as_payload()).into_owned(),
                    None => continue,
                };
                idle_deadline = Instant::now() + idle_timeout;
                let reply = conn.on_request(&text).await;
                outbox.reply(reply, Instant::now())
            }
            frame = frames.recv() => match frame {
                Some(Some(frame)) => {
                    let mut ready: Vec<String> = outbox.push(frame.to_string()).into_iter().collect();
                    // Frames queued meanwhile join this write, up to a
                    // bound that keeps requests and faults answered.
                    let mut lagged = false;
                    for _ in 0..MAX_BATCH {
                        match frames.try_recv() {
                            Ok(Some(frame)) => ready.extend(outbox.push(frame.to_string())),
                            Ok(None) => {
                                lagged = true;
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    if lagged {
                        break;
                    }
                    ready
                }
                // A feed fell too far behind: drop the client, as a real
                // exchange drops a consumer that cannot keep up.
                Some(None) | None => break,
            },
            // The registry keeps a sender while this task runs, so the
            // channel never ends here.
            Some(fault) = control.recv() => match fault {
                Control::Close => break,
                Control::Cut => {
                    // Dropped without a close frame, like a network failure.
                    conn.stop();
                    return;
                }
                Control::Stall => {
                    stalled = true;
                    Vec::new()
                }
                Control::Garbage => outbox.push(String::from(GARBAGE)).into_iter().collect(),
                Control::Plan(plan) => {
                    conn.set_reject_subscriptions(plan.reject_subscriptions);
                    outbox.set_plan(plan);
                    Vec::new()
                }
            },
            // Kraken pushes a `status` update on every change of the
            // engine's state, to every connection that got one on connect.
            changed = system.changed(), if sends_status => {
                if changed.is_err() {
                    break;
                }
                let current = system.borrow_and_update().clone();
                outbox.push(session::status_frame(current, Some(connection_id))).into_iter().collect()
            }
            () = sleep_until(release_at.unwrap_or(heartbeat_at)), if release_at.is_some() => {
                outbox.due(Instant::now())
            }
            () = sleep_until(heartbeat_at), if beats => {
                outbox.push(String::from(r#"{"channel":"heartbeat"}"#)).into_iter().collect()
            }
            () = sleep_until(idle_deadline) => {
                tracing::debug!(connection_id, "idle connection closed");
                break;
            }
        };
    }
    conn.stop();
    let _ = ws.close().await;
}
