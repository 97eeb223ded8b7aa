//! The whole market on one client: a verified depth-10 book of every
//! online pair, all on one connection and one thread, each applied in
//! place by the connection's reader (`book_inline`). Reports updates per
//! second, this process's CPU per update, its memory, whole and per
//! book (Linux: read from `/proc/self`), and the latency from each
//! update's exchange timestamp to its verified book, p50 and p99
//! (exchange and client must share a clock: the same machine).
//!
//! ```sh
//! kraki sim --port 0 --pairs 500 --rate 60000 &   # prints its URL
//! cargo run --release -p kraki --example market_books -- ws://127.0.0.1:PORT/v2 15
//! ```
//!
//! Arguments: the public WebSocket URL, the seconds to measure (after 5 s
//! for every book's snapshot to arrive) and optionally a coalescing
//! period in microseconds: the thread then sleeps that long whenever it
//! has nothing left to do (as `kraki relay --coalesce` does), so each
//! wake-up reads many frames. Without it, at tens of thousands of
//! updates a second spread over 500 pairs, most of the CPU goes to waking
//! up for a frame or two.

use futures_util::StreamExt;
use kraki::proto::channels::PairStatus;
use kraki::{BookEvent, Client, Event, Instrument};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Counts {
    verified: AtomicU64,
    mismatched: AtomicU64,
    /// Whether the window is open: latencies are kept only within it.
    measuring: AtomicBool,
    /// Exchange timestamp to verified book, in µs, within the window.
    latencies_us: Mutex<Vec<i64>>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: market_books URL SECONDS [COALESCE_MICROS]")?;
    let seconds: u64 = args.next().ok_or("missing SECONDS")?.parse()?;
    let coalesce = Duration::from_micros(args.next().map_or(Ok(0), |m| m.parse())?);
    let mut runtime = tokio::runtime::Builder::new_current_thread();
    runtime.enable_all();
    if !coalesce.is_zero() {
        runtime.on_thread_park(move || std::thread::sleep(coalesce));
    }
    runtime.build()?.block_on(measure(&url, seconds))
}

async fn measure(url: &str, seconds: u64) -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::builder().public_url(url).connect().await?;
    let pairs = online_pairs(&client).await?;
    let before_books = memory_kib("VmRSS")?;
    let counts = Arc::new(Counts::default());
    let mut books = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        let counts = Arc::clone(&counts);
        books.push(
            client
                .book_inline(pair, 10, move |book| {
                    if let BookEvent::Applied { ok, .. } = book.event() {
                        let counter = if *ok {
                            &counts.verified
                        } else {
                            &counts.mismatched
                        };
                        counter.fetch_add(1, Relaxed);
                        if *ok && counts.measuring.load(Relaxed) {
                            if let (Some(sent), Ok(now)) = (
                                book.timestamp(),
                                SystemTime::now().duration_since(UNIX_EPOCH),
                            ) {
                                let waited = (now.as_nanos() as i128 - sent.unix_nanos()) / 1_000;
                                if let Ok(mut latencies) = counts.latencies_us.lock() {
                                    latencies.push(waited as i64);
                                }
                            }
                        }
                    }
                })
                .await?,
        );
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Every book holds its snapshot by now; read before the latencies
    // kept in the window take memory of their own.
    let rss = memory_kib("VmRSS")?;
    counts.measuring.store(true, Relaxed);
    let (verified0, cpu0, started) = (
        counts.verified.load(Relaxed),
        cpu_seconds()?,
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (verified1, cpu1, elapsed) = (
        counts.verified.load(Relaxed),
        cpu_seconds()?,
        started.elapsed(),
    );
    counts.measuring.store(false, Relaxed);
    let updates = verified1 - verified0;
    println!(
        "{} books on one connection: {updates} verified updates in {:.1} s ({:.0}/s), {} mismatched",
        books.len(),
        elapsed.as_secs_f64(),
        updates as f64 / elapsed.as_secs_f64(),
        counts.mismatched.load(Relaxed)
    );
    println!(
        "process CPU {:.2} s: {:.2} µs per update",
        cpu1 - cpu0,
        (cpu1 - cpu0) * 1e6 / updates.max(1) as f64
    );
    println!(
        "memory: RSS {} MB with the books (peak {} MB); {} MB before them, so {:.1} KB per book",
        rss / 1024,
        memory_kib("VmHWM")? / 1024,
        before_books / 1024,
        rss.saturating_sub(before_books) as f64 / books.len().max(1) as f64
    );
    let mut latencies = counts
        .latencies_us
        .lock()
        .map_err(|_| "a book callback panicked")?
        .clone();
    latencies.sort_unstable();
    let at = |q: f64| {
        let last = latencies.len().saturating_sub(1) as f64;
        latencies.get((last * q) as usize).copied().unwrap_or(0)
    };
    println!(
        "exchange timestamp to verified book: p50 {} µs, p99 {} µs, max {} µs",
        at(0.5),
        at(0.99),
        at(1.0)
    );
    Ok(())
}

/// Every online pair of the instrument channel's snapshot.
async fn online_pairs(client: &Client) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut instruments = client.subscribe(Instrument::new()).await?;
    while let Some(event) = instruments.next().await {
        if let Event::Data(update) = event {
            return Ok(update
                .data
                .pairs
                .iter()
                .filter(|p| p.status == PairStatus::Online)
                .map(|p| p.symbol.to_string())
                .collect());
        }
    }
    Err("the connection closed before the instrument snapshot came".into())
}

/// User plus system time of this process, from `/proc/self/stat`.
fn cpu_seconds() -> Result<f64, Box<dyn std::error::Error>> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name, which is in parentheses and may
    // hold spaces: utime and stime are the 12th and 13th of them.
    let after = stat.rsplit_once(')').ok_or("unreadable /proc/self/stat")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).ok_or("no utime")?.parse::<u64>()?
        + fields.get(12).ok_or("no stime")?.parse::<u64>()?;
    // The kernel's USER_HZ, 100 on every Linux this runs on.
    Ok(ticks as f64 / 100.0)
}

/// A `/proc/self/status` field in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(field: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .ok_or("no such field in /proc/self/status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("unreadable /proc/self/status")?
        .parse()?)
}
