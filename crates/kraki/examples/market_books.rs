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
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What one measurement saw.
#[derive(Debug)]
pub(crate) struct Report {
    /// Books followed, one per online pair.
    pub(crate) books: usize,
    /// Updates verified within the window.
    pub(crate) updates: u64,
    /// Checksum mismatches, from the first snapshot on.
    pub(crate) mismatched: u64,
    pub(crate) window: Duration,
    /// This process's user and system time within the window.
    pub(crate) cpu_seconds: f64,
    /// Resident memory before the books were opened, and with them.
    pub(crate) rss_before_kib: u64,
    pub(crate) rss_kib: u64,
    /// Exchange timestamp to verified book, in µs, sorted.
    pub(crate) latencies_us: Vec<i64>,
}

impl Report {
    /// The latency at quantile `q` (0 to 1), in µs.
    pub(crate) fn latency_us(&self, q: f64) -> i64 {
        let last = self.latencies_us.len().saturating_sub(1) as f64;
        self.latencies_us
            .get((last * q) as usize)
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Default)]
struct Counts {
    verified: AtomicU64,
    mismatched: AtomicU64,
    /// Whether the window is open: latencies are kept only within it.
    measuring: AtomicBool,
    latencies_us: Mutex<Vec<i64>>,
}

fn main() -> Result<(), Box<dyn Error>> {
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
    let report = runtime.build()?.block_on(run(
        &url,
        Duration::from_secs(5),
        Duration::from_secs(seconds),
    ))?;
    let seconds = report.window.as_secs_f64();
    println!(
        "{} books on one connection: {} verified updates in {seconds:.1} s ({:.0}/s), {} mismatched",
        report.books,
        report.updates,
        report.updates as f64 / seconds,
        report.mismatched
    );
    println!(
        "process CPU {:.2} s: {:.2} µs per update",
        report.cpu_seconds,
        report.cpu_seconds * 1e6 / report.updates.max(1) as f64
    );
    println!(
        "memory: RSS {} MB with the books (peak {} MB); {} MB before them, so {:.1} KB per book",
        report.rss_kib / 1024,
        memory_kib("VmHWM")? / 1024,
        report.rss_before_kib / 1024,
        report.rss_kib.saturating_sub(report.rss_before_kib) as f64 / report.books.max(1) as f64
    );
    println!(
        "exchange timestamp to verified book: p50 {} µs, p99 {} µs, max {} µs",
        report.latency_us(0.5),
        report.latency_us(0.99),
        report.latency_us(1.0)
    );
    Ok(())
}

/// Opens every online pair's book on one client, waits `warm_up` for
/// their snapshots, then measures over `window`.
pub(crate) async fn run(
    url: &str,
    warm_up: Duration,
    window: Duration,
) -> Result<Report, Box<dyn Error>> {
    let client = Client::builder().public_url(url).connect().await?;
    let pairs = online_pairs(&client).await?;
    let rss_before_kib = memory_kib("VmRSS")?;
    let counts = Arc::new(Counts::default());
    let mut books = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        let counts = Arc::clone(&counts);
        books.push(
            client
                .book_inline(pair, 10, move |book| {
                    let BookEvent::Applied { ok, .. } = book.event() else {
                        return;
                    };
                    if !*ok {
                        counts.mismatched.fetch_add(1, Relaxed);
                        return;
                    }
                    counts.verified.fetch_add(1, Relaxed);
                    if !counts.measuring.load(Relaxed) {
                        return;
                    }
                    let (Some(sent), Ok(now)) = (
                        book.timestamp(),
                        SystemTime::now().duration_since(UNIX_EPOCH),
                    ) else {
                        return;
                    };
                    let waited = (now.as_nanos() as i128 - sent.unix_nanos()) / 1_000;
                    if let Ok(mut latencies) = counts.latencies_us.lock() {
                        latencies.push(waited as i64);
                    }
                })
                .await?,
        );
    }
    tokio::time::sleep(warm_up).await;
    // Every book holds its snapshot by now; read before the latencies
    // kept in the window take memory of their own.
    let rss_kib = memory_kib("VmRSS")?;
    counts.measuring.store(true, Relaxed);
    let (verified, cpu, started) = (
        counts.verified.load(Relaxed),
        cpu_seconds()?,
        Instant::now(),
    );
    tokio::time::sleep(window).await;
    counts.measuring.store(false, Relaxed);
    let report_cpu = cpu_seconds()? - cpu;
    let updates = counts.verified.load(Relaxed) - verified;
    let window = started.elapsed();
    let mut latencies_us = std::mem::take(
        &mut *counts
            .latencies_us
            .lock()
            .map_err(|_| "a book callback panicked")?,
    );
    latencies_us.sort_unstable();
    let report = Report {
        books: books.len(),
        updates,
        mismatched: counts.mismatched.load(Relaxed),
        window,
        cpu_seconds: report_cpu,
        rss_before_kib,
        rss_kib,
        latencies_us,
    };
    drop(books);
    client.close().await;
    Ok(report)
}

/// Every online pair of the instrument channel's snapshot.
async fn online_pairs(client: &Client) -> Result<Vec<String>, Box<dyn Error>> {
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
fn cpu_seconds() -> Result<f64, Box<dyn Error>> {
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
fn memory_kib(field: &str) -> Result<u64, Box<dyn Error>> {
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
