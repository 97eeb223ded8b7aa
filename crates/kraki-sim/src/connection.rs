//! One client's WebSocket connection: status on connect, requests in and
//! responses out, subscription frames, heartbeats, faults and the idle
//! timeout. Only this task writes to the socket.

use crate::auth::Auth;
use crate::engine::EngineCommand;
use crate::markets::PairSpec;
use crate::session::{self, Session};
use futures_util::{SinkExt, StreamExt};
use kraki_proto::channels::SystemStatus;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};
use tokio_websockets::{Message, WebSocketStream};

/// What every connection shares.
pub(crate) struct Shared {
    pub(crate) auth: Arc<Auth>,
    pub(crate) specs: Vec<PairSpec>,
    /// `maxratecount` of the executions ack.
    pub(crate) max_rate_count: u32,
    pub(crate) engine: mpsc::Sender<EngineCommand>,
    pub(crate) idle_timeout: Duration,
    pub(crate) heartbeat: Duration,
    /// Whether `/auth/v2` and `/l3/v2` send `status` on connect too.
    pub(crate) status_on_private: bool,
    pub(crate) faults: watch::Receiver<Faults>,
    /// The trading engine's state, as the `status` channel and REST
    /// `SystemStatus` report it.
    pub(crate) system: watch::Receiver<SystemStatus>,
}

/// Faults applied to the connections open when they were raised: each
/// counter goes up by one per request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    /// Close with a close frame.
    pub(crate) close: u64,
    /// Drop the TCP connection without a close frame.
    pub(crate) cut: u64,
    /// Stop sending anything, keep the socket open.
    pub(crate) stall: u64,
    /// Send one frame that is not JSON.
    pub(crate) garbage: u64,
    /// While set, new subscriptions are acknowledged but get no data.
    pub(crate) mute: bool,
    /// Each increment makes every executions subscription skip one
    /// sequence number on its next update.
    pub(crate) sequence_gap: u64,
}

/// Which endpoint a WebSocket connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/v2`: public market data.
    Public,
    /// `/auth/v2`: private channels and trading.
    Private,
    /// `/l3/v2`: the level3 book.
    Level3,
}

/// Serves one WebSocket until it closes, errs or idles out.
pub(crate) async fn serve<S>(
    mut ws: WebSocketStream<S>,
    shared: Arc<Shared>,
    endpoint: Endpoint,
    connection_id: u64,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (frames_tx, mut frames) = mpsc::channel(1024);
    let idle_timeout = shared.idle_timeout;
    let heartbeat = shared.heartbeat;
    let mut faults = shared.faults.clone();
    let mut system = shared.system.clone();
    let sends_status = endpoint == Endpoint::Public || shared.status_on_private;
    if sends_status {
        let current = system.borrow_and_update().clone();
        let status = session::status_frame(current, Some(connection_id));
        if ws.send(Message::text(status)).await.is_err() {
            return;
        }
    }
    let mut conn = Session::new(shared, endpoint, frames_tx);
    let mut idle_deadline = Instant::now() + idle_timeout;
    let mut last_sent = Instant::now();
    let at_start = *faults.borrow_and_update();
    let mut garbage_sent = at_start.garbage;
    let mut stalled = false;
    loop {
        // Heartbeats fill silence only: any frame sent moves the deadline.
        let heartbeat_at = last_sent + heartbeat;
        let outgoing: Vec<String> = tokio::select! {
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
                conn.on_request(&text).await
            }
            frame = frames.recv() => match frame {
                Some(Some(frame)) => vec![frame.to_string()],
                // A feed fell too far behind: drop the client, as a real
                // exchange drops a consumer that cannot keep up.
                Some(None) | None => break,
            },
            changed = faults.changed() => {
                let now = *faults.borrow_and_update();
                if changed.is_err() {
                    break;
                }
                if now.cut > at_start.cut {
                    // Dropped without a close frame, like a network failure.
                    conn.stop();
                    return;
                }
                if now.close > at_start.close {
                    break;
                }
                stalled |= now.stall > at_start.stall;
                if now.garbage > garbage_sent {
                    garbage_sent = now.garbage;
                    vec![String::from("CloudFlare WebSocket proxy restarting")]
                } else {
                    continue;
                }
            }
            // Kraken pushes a `status` update on every change of the
            // engine's state, to every connection that got one on connect.
            changed = system.changed(), if sends_status => {
                if changed.is_err() {
                    break;
                }
                let current = system.borrow_and_update().clone();
                vec![session::status_frame(current, Some(connection_id))]
            }
            () = sleep_until(heartbeat_at), if conn.has_subscriptions() => {
                vec![String::from(r#"{"channel":"heartbeat"}"#)]
            }
            () = sleep_until(idle_deadline) => {
                tracing::debug!(connection_id, "idle connection closed");
                break;
            }
        };
        if stalled {
            continue;
        }
        for text in outgoing {
            if ws.send(Message::text(text)).await.is_err() {
                return;
            }
            last_sent = Instant::now();
        }
    }
    conn.stop();
    let _ = ws.close().await;
}
