//! `kraki record CHANNEL --symbol S … [--depth D] [--interval I]
//! [--url URL] --out FILE [--duration SECS]`: every frame received, with
//! its receive time, in the recording format of `kraki_proto::recording`.
//!
//! For `book` the instrument snapshot is recorded first, and every
//! subscribe ack is kept, so that `kraki verify FILE` needs no flags.

use futures_util::{SinkExt, StreamExt};
use kraki_proto::recording::{frame_line, header_line};
use kraki_proto::{Channel, Method, ReqId, Request, SubscribeParams, Timestamp};
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_websockets::{ClientBuilder, Message};

/// Arguments of `kraki record`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    sub: super::channel_args::ChannelArgs,
    /// The recording to write.
    #[arg(long)]
    out: String,
    /// Stop after this many seconds (default: at Ctrl-C).
    #[arg(long)]
    duration: Option<u64>,
}

/// The current time with nanoseconds.
pub(crate) fn now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_unix(d.as_secs() as i64, d.subsec_nanos(), 9).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    crate::logging::init();
    // Checked before the file is created and before connecting.
    let channel = Channel::from(args.sub.check()?.name());
    let file = std::fs::File::create(&args.out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.out))?;
    let mut out = BufWriter::new(file);
    let runtime = tokio::runtime::Runtime::new()?;
    let frames = runtime.block_on(async {
        let uri = args
            .sub
            .url
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid URL {:?}: {e}", args.sub.url))?;
        let (mut ws, _) = ClientBuilder::from_uri(uri)
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", args.sub.url))?;
        writeln!(out, "{}", header_line(now(), &args.sub.url))?;
        let mut requests = Vec::new();
        if channel == Channel::Book {
            // The precisions `verify` needs come from the instrument channel.
            requests.push(SubscribeParams::new(Channel::Instrument));
        }
        let mut params = if channel == Channel::Instrument {
            SubscribeParams::new(channel)
        } else {
            SubscribeParams::with_symbols(channel, args.sub.symbols.iter().map(String::as_str))
        };
        params.depth = args.sub.depth;
        params.interval = args.sub.interval;
        requests.push(params);
        for (i, p) in requests.into_iter().enumerate() {
            let text = Request::new(Method::Subscribe(p), ReqId(i as u64 + 1)).encode()?;
            ws.send(Message::text(text)).await?;
        }
        let deadline = args
            .duration
            .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
        let mut frames = 0u64;
        loop {
            let next = async {
                match deadline {
                    Some(d) => tokio::time::timeout_at(d, ws.next()).await.ok(),
                    None => Some(ws.next().await),
                }
            };
            let msg = tokio::select! {
                m = next => m,
                _ = tokio::signal::ctrl_c() => None,
            };
            let Some(Some(Ok(msg))) = msg else { break };
            let text = match msg.as_text() {
                Some(t) => t.to_owned(),
                None if msg.is_binary() => String::from_utf8_lossy(msg.as_payload()).into_owned(),
                None => continue,
            };
            writeln!(out, "{}", frame_line(now(), &text))?;
            frames += 1;
        }
        let _ = ws.close().await;
        anyhow::Ok(frames)
    })?;
    out.flush()?;
    eprintln!("{frames} frames recorded to {}", args.out);
    Ok(ExitCode::SUCCESS)
}
