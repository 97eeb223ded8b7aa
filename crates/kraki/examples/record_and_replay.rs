//! Records the raw frames of a book subscription to a file, in the
//! recording format of `kraki record`, then replays the file into a
//! verified book offline: every message checked against Kraken's CRC32
//! checksum, as `kraki verify FILE` does.
//!
//! Runs offline against the embedded simulator:
//!
//! `cargo run -p kraki --example record_and_replay`

use futures_util::{SinkExt, StreamExt};
use kraki::proto::book::{L2Book, Precision, Verification};
use kraki::proto::recording::{RecordLine, frame_line, header_line};
use kraki::proto::{Channel, Inbound, Method, ReqId, Request, SubscribeParams, Timestamp, decode};
use std::error::Error;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_websockets::{ClientBuilder, Message};

/// Levels per side.
const DEPTH: u32 = 10;

/// What replaying a recording found.
#[derive(Debug, Default)]
pub(crate) struct Replayed {
    /// Frames in the file.
    pub(crate) frames: usize,
    /// Book messages whose checksum matched.
    pub(crate) verified: usize,
    /// Book messages not verified: a checksum mismatch, or an update
    /// skipped while the book waited for a snapshot after one.
    pub(crate) failed: usize,
}

/// Now, for the receive time of each frame.
fn now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    Timestamp::from_unix(secs, since.subsec_nanos(), 9).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Subscribes to `symbol`'s book at `public_url` over a plain WebSocket
/// (the client decodes what it receives; a recording keeps the text) and
/// writes every frame to `path` until `book_frames` book messages came.
/// Returns the number of frames written.
pub(crate) async fn record(
    public_url: &str,
    symbol: &str,
    path: &Path,
    book_frames: usize,
) -> Result<usize, Box<dyn Error>> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "{}", header_line(now(), public_url))?;
    let (mut ws, _) = ClientBuilder::from_uri(public_url.parse()?)
        .connect()
        .await?;
    // The instrument snapshot first: its precisions are what the checksum
    // is computed with.
    let mut book = SubscribeParams::with_symbols(Channel::Book, [symbol]);
    book.depth = Some(DEPTH);
    let requests = [SubscribeParams::new(Channel::Instrument), book];
    for (id, params) in (1..).zip(requests) {
        let text = Request::new(Method::Subscribe(params), ReqId(id)).encode()?;
        ws.send(Message::text(text)).await?;
    }
    let (mut frames, mut books) = (0, 0);
    while books < book_frames {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await?
            .ok_or("the server closed the connection")??;
        let Some(text) = message.as_text() else {
            continue;
        };
        writeln!(out, "{}", frame_line(now(), text))?;
        frames += 1;
        if matches!(decode(text), Ok(Inbound::Book(_))) {
            books += 1;
        }
    }
    let _ = ws.close().await;
    out.flush()?;
    Ok(frames)
}

/// Reads the recording at `path` and applies every book message of
/// `symbol` to a verified book.
pub(crate) fn replay(path: &Path, symbol: &str) -> Result<Replayed, Box<dyn Error>> {
    let mut replayed = Replayed::default();
    let mut book: Option<L2Book> = None;
    for line in BufReader::new(std::fs::File::open(path)?).lines() {
        let line = line?;
        let RecordLine::Frame { text, .. } = RecordLine::parse(&line)? else {
            continue;
        };
        replayed.frames += 1;
        match decode(&text)? {
            Inbound::Instrument(m) => {
                if let Some(pair) = m.data.pairs.iter().find(|p| p.symbol.as_str() == symbol) {
                    let depth = usize::try_from(DEPTH)?;
                    book = Some(L2Book::new(symbol, Precision::from(pair), depth));
                }
            }
            Inbound::Book(m) => {
                let book = book
                    .as_mut()
                    .ok_or("a book message before the instrument")?;
                for data in &m.data {
                    match book.apply(m.kind, data)? {
                        Verification::Verified => replayed.verified += 1,
                        Verification::Mismatch { .. } | Verification::Skipped => {
                            replayed.failed += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(book) = &book {
        if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) {
            println!("{symbol} at the end: bid {} ask {}", bid.price, ask.price);
        }
    }
    Ok(replayed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let sim = kraki_sim::Simulator::builder()
        .seed(7)
        .rate(400.0)
        .spawn()
        .await?;
    let path = std::env::temp_dir().join("kraki-example-recording.jsonl");
    let frames = record(&sim.public_url(), "BTC/USD", &path, 50).await?;
    sim.shutdown().await;
    println!("{frames} frames recorded to {}", path.display());
    let replayed = replay(&path, "BTC/USD")?;
    println!(
        "{} frames replayed: {} book messages verified, {} not",
        replayed.frames, replayed.verified, replayed.failed
    );
    println!("`kraki verify {}` checks it too", path.display());
    Ok(())
}
