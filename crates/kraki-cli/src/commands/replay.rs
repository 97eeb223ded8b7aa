//! `kraki replay FILE [--port P] [--speed X]`: serves a recording as a
//! Kraken-compatible endpoint at `ws://127.0.0.1:P/v2`, so that a session
//! can be re-run offline with any client.
//!
//! Each connection gets the recorded `status`, an ack per symbol for each
//! subscribe, then, for each channel it subscribed to, that channel's
//! recorded frames from the start, in order, at the recorded pace divided
//! by `--speed` (0: as fast as possible). Recorded acks are not replayed: acks answer the client's own
//! requests.

use crate::lines;
use futures_util::{FutureExt, SinkExt, StreamExt};
use kraki_proto::recording::RecordLine;
use kraki_proto::{Method, Timestamp, decode_request};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_websockets::{Message, Payload, ServerBuilder};

/// Frames written before one flush when they are due at once (`--speed
/// 0`, or a burst in the recording): one write for many frames, as a busy
/// exchange sends them.
const BURST: usize = 64;

/// Arguments of `kraki replay`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A recording written by `kraki record` (or raw frames, one per line).
    file: String,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Pace: 1 is as recorded, 2 twice as fast, 0 as fast as possible.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
}

/// One recorded frame.
struct Frame {
    recv: Option<Timestamp>,
    channel: Option<String>,
    /// The frame's text, shared: sending it copies no bytes.
    text: Payload,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if !(args.speed >= 0.0 && args.speed.is_finite()) {
        anyhow::bail!("--speed must be 0 or a positive number");
    }
    crate::logging::init();
    let frames = Arc::new(load(&args.file)?);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
        let addr = listener.local_addr()?;
        println!("public ws://{addr}/v2");
        println!("ready");
        let speed = args.speed;
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    tokio::spawn(serve(stream, frames.clone(), speed));
                }
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

fn load(path: &str) -> anyhow::Result<Vec<Frame>> {
    let mut frames = Vec::new();
    lines::for_each(lines::open(Some(path))?, |_, line| {
        let Ok(line) = line else { return Ok(()) };
        if let Ok(RecordLine::Frame { recv, text }) = RecordLine::parse(line) {
            let value: Option<serde_json::Value> = serde_json::from_str(&text).ok();
            let is_response = value.as_ref().is_some_and(|v| v.get("method").is_some());
            if !is_response && !text.trim().is_empty() {
                let channel = value
                    .as_ref()
                    .and_then(|v| v.get("channel")?.as_str().map(str::to_owned));
                frames.push(Frame {
                    recv,
                    channel,
                    text: Payload::from(text.into_owned()),
                });
            }
        }
        Ok(())
    })?;
    if frames.is_empty() {
        anyhow::bail!("{path} holds no frames to replay");
    }
    Ok(frames)
}

/// One subscribed channel's place in the recording: each subscription
/// replays its channel from the start, at the recorded pace.
struct Cursor {
    /// Indices of the channel's frames.
    frames: Vec<usize>,
    next: usize,
    started: tokio::time::Instant,
    first: Option<Timestamp>,
}

impl Cursor {
    fn due(&self, frames: &[Frame], speed: f64) -> Option<tokio::time::Instant> {
        let frame = &frames[*self.frames.get(self.next)?];
        Some(match (self.first, frame.recv) {
            (Some(first), Some(recv)) if speed > 0.0 => {
                let gap = (recv.unix_nanos() - first.unix_nanos()).max(0) as f64 / speed;
                self.started + Duration::from_nanos(gap as u64)
            }
            _ => self.started,
        })
    }
}

async fn serve(stream: TcpStream, frames: Arc<Vec<Frame>>, speed: f64) {
    let Ok((_, mut ws)) = ServerBuilder::new().accept(stream).await else {
        return;
    };
    for f in frames
        .iter()
        .filter(|f| f.channel.as_deref() == Some("status"))
        .take(1)
    {
        if ws.send(Message::text(f.text.clone())).await.is_err() {
            return;
        }
    }
    let mut cursors: HashMap<String, Cursor> = HashMap::new();
    loop {
        // Frames already due go out in bursts, without a timer per frame;
        // requests that arrived meanwhile are answered between bursts.
        if due_now(&cursors, &frames, speed) {
            let sent = match ws.next().now_or_never() {
                None => send_burst(&mut ws, &mut cursors, &frames, speed)
                    .await
                    .map_err(drop),
                Some(msg) => on_request(msg, &mut ws, &mut cursors, &frames).await,
            };
            if sent.is_err() {
                return;
            }
            continue;
        }
        let next = cursors
            .iter()
            .filter_map(|(c, cur)| Some((cur.due(&frames, speed)?, c.clone())))
            .min();
        tokio::select! {
            msg = ws.next() => {
                if on_request(msg, &mut ws, &mut cursors, &frames).await.is_err() {
                    return;
                }
            }
            () = async {
                match &next {
                    Some((due, _)) => tokio::time::sleep_until(*due).await,
                    None => std::future::pending::<()>().await,
                }
            } => {
                let Some((_, channel)) = next else { continue };
                let Some(cursor) = cursors.get_mut(&channel) else { continue };
                if let Some(&i) = cursor.frames.get(cursor.next) {
                    if ws.send(Message::text(frames[i].text.clone())).await.is_err() {
                        return;
                    }
                }
                cursor.next += 1;
            }
        }
    }
}

/// Answers one request and starts or stops the cursors it names. `Err`
/// when the connection is over.
async fn on_request<S>(
    msg: Option<Result<Message, tokio_websockets::Error>>,
    ws: &mut tokio_websockets::WebSocketStream<S>,
    cursors: &mut HashMap<String, Cursor>,
    frames: &[Frame],
) -> Result<(), ()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Some(Ok(msg)) = msg else { return Err(()) };
    if msg.is_close() {
        return Err(());
    }
    let Some(text) = msg.as_text() else {
        return Ok(());
    };
    let mut channels: HashSet<String> = cursors.keys().cloned().collect();
    for reply in answer(text, &mut channels) {
        ws.send(Message::text(reply)).await.map_err(drop)?;
    }
    cursors.retain(|c, _| channels.contains(c));
    for channel in channels {
        cursors.entry(channel.clone()).or_insert_with(|| {
            let list: Vec<usize> = frames
                .iter()
                .enumerate()
                .filter(|(_, f)| f.channel.as_deref() == Some(channel.as_str()))
                .map(|(i, _)| i)
                .collect();
            let first = list.first().and_then(|&i| frames[i].recv);
            Cursor {
                frames: list,
                next: 0,
                started: tokio::time::Instant::now(),
                first,
            }
        });
    }
    Ok(())
}

/// Whether some subscribed channel has a frame due already.
fn due_now(cursors: &HashMap<String, Cursor>, frames: &[Frame], speed: f64) -> bool {
    let now = tokio::time::Instant::now();
    cursors
        .values()
        .any(|c| c.due(frames, speed).is_some_and(|due| due <= now))
}

/// Writes up to [`BURST`] due frames, earliest first, then flushes once.
async fn send_burst<S>(
    ws: &mut tokio_websockets::WebSocketStream<S>,
    cursors: &mut HashMap<String, Cursor>,
    frames: &[Frame],
    speed: f64,
) -> Result<(), tokio_websockets::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let now = tokio::time::Instant::now();
    for _ in 0..BURST {
        let Some(cursor) = cursors
            .values_mut()
            .filter_map(|c| Some((c.due(frames, speed)?, c)))
            .filter(|(due, _)| *due <= now)
            .min_by_key(|(due, _)| *due)
            .map(|(_, c)| c)
        else {
            break;
        };
        let i = cursor.frames[cursor.next];
        cursor.next += 1;
        ws.feed(Message::text(frames[i].text.clone())).await?;
    }
    ws.flush().await
}

/// Acks (one per symbol) for a subscribe, a pong for a ping, an error
/// otherwise.
fn answer(text: &str, channels: &mut HashSet<String>) -> Vec<String> {
    let now = crate::commands::record::now().to_string();
    let req = match decode_request(text) {
        Ok(r) => r,
        Err(_) => {
            return vec![
                json!({"error":"Unsupported event","success":false,"time_in":now,"time_out":now})
                    .to_string(),
            ];
        }
    };
    let mut out = Vec::new();
    let mut ack = |method: &str, result: serde_json::Value| {
        let mut v = json!({"method": method, "result": result, "success": true, "time_in": now, "time_out": now});
        if let Some(id) = req.req_id {
            v["req_id"] = id.0.into();
        }
        out.push(v.to_string());
    };
    match &req.method {
        Method::Ping => {
            let mut v = json!({"method":"pong","time_in":now,"time_out":now});
            if let Some(id) = req.req_id {
                v["req_id"] = id.0.into();
            }
            return vec![v.to_string()];
        }
        Method::Subscribe(p) | Method::Unsubscribe(p) => {
            let subscribe = matches!(req.method, Method::Subscribe(_));
            let channel = p.channel.as_str().to_owned();
            let symbols: Vec<Option<String>> = match &p.symbol {
                Some(s) => s.iter().map(|s| Some(s.to_string())).collect(),
                None => vec![None],
            };
            for symbol in symbols {
                let mut result = json!({"channel": channel});
                if let Some(s) = symbol {
                    result["symbol"] = s.into();
                }
                if let Some(d) = p.depth {
                    result["depth"] = d.into();
                }
                if let Some(i) = p.interval {
                    result["interval"] = i.into();
                }
                if subscribe {
                    result["snapshot"] = p.snapshot.unwrap_or(true).into();
                }
                ack(
                    if subscribe {
                        "subscribe"
                    } else {
                        "unsubscribe"
                    },
                    result,
                );
            }
            if subscribe {
                channels.insert(channel);
            } else {
                channels.remove(&channel);
            }
        }
        other => {
            let mut v = json!({"error":"EGeneral:Permission denied","method":other.name(),"success":false,"time_in":now,"time_out":now});
            if let Some(id) = req.req_id {
                v["req_id"] = id.0.into();
            }
            out.push(v.to_string());
        }
    }
    out
}
