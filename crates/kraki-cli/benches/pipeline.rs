//! End to end: book updates over loopback → `kraki::Client` → a verified
//! book → a handler. Run with `cargo bench -p kraki-cli --bench pipeline`.
//!
//! Throughput: the simulator's book frames (BTC/USD, depth 10, generated
//! once by a paused `kraki_sim::Simulator`) are served by `kraki replay
//! --speed 0` in a child process, as fast as the socket takes them. This
//! process is only the client: `client.book("BTC/USD", 10)` decodes,
//! applies and checksums every update, and a handler reads every
//! `BookEvent`. Reported: updates/s and this process's CPU time (user +
//! system, from `/proc/self/task/*/schedstat`) per update.
//!
//! The live simulator itself, on a thread of its own, makes and writes
//! about 140k book updates/s at most on this machine (each event is
//! generated, matched and checksummed), far below what the client reads,
//! hence the replay above. A second part runs it at that rate for five
//! seconds into `client.book` and reports updates/s, the client thread's
//! CPU per update, how often that thread woke, and any reconnect. The CPU
//! per update is higher than in the replay because the simulator writes a
//! few dozen updates at a time, and each write wakes the client: on this
//! virtual machine a wake-up costs about 10 µs of kernel time.
//!
//! Latency: a live simulator (one pair) at about 10k book updates/s; each
//! update's exchange timestamp (taken when the simulator generated it) is
//! compared with the time the client handed it over, after decoding and
//! applying it to a verified book. The client is read three ways: through
//! a `Subscription` stream (a queue and a task wake-up), through
//! `subscribe_inline` (the reader runs the handler itself, which applies
//! the update to its own book) and through `book_inline` (the reader
//! applies the frame in place to the client's verified book and runs the
//! callback). Each runs for a second beside a bare tokio-websockets
//! reader of the same feed on a thread of its own, at the same time, and
//! both are compared over the updates both read: the simulator's batching
//! and the host's swings fall on both alike, so the difference is the
//! client's share. Who subscribes first alternates by round (the
//! simulator writes to one connection after the other); eight rounds.
//! Reported per path: p50 and p99 of both, and what the client adds.
//!
//! Not a criterion bench: one pass over a few hundred thousand real socket
//! messages is the measurement, repeated (5 passes, `KRAKI_BENCH_PASSES`
//! changes it) because the CPU cost of the same binary swings by more
//! than half on a shared host: the median and the best pass are reported.
//! `KRAKI_BENCH_UPDATES` changes the count, `KRAKI_BENCH_SKIP_LATENCY=1`
//! skips the live-simulator parts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures_util::{SinkExt, StreamExt};
use kraki::{BookEvent, Client, Event};
use kraki_proto::book::{L2Book, Precision};
use kraki_sim::{SimHandle, Simulator, default_markets};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_websockets::{ClientBuilder, Message};

const KRAKI: &str = env!("CARGO_BIN_EXE_kraki");

fn btc_only() -> Simulator {
    let btc = default_markets().into_iter().take(1).collect();
    Simulator::builder().seed(7).markets(btc)
}

/// This process's CPU time so far, in nanoseconds: the sum over its
/// threads of `/proc/self/task/*/schedstat` (time on the CPU, user and
/// system). `/proc/self/stat` counts 10 ms ticks, too coarse for a pass of
/// a few hundred milliseconds; it is the fall-back where schedstat is
/// missing.
fn process_cpu() -> Duration {
    let from_schedstat = || -> Option<u64> {
        let mut total = 0;
        for task in std::fs::read_dir("/proc/self/task").ok()? {
            let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        Some(total)
    };
    if let Some(nanos) = from_schedstat() {
        return Duration::from_nanos(nanos);
    }
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    Duration::from_millis(ticks * 10)
}

/// `updates` book updates of BTC/USD at depth 10 (after an instrument
/// snapshot and a book snapshot), as the simulator sends them.
async fn record_frames(updates: usize) -> Vec<String> {
    let sim = btc_only().paused(true).spawn().await.unwrap();
    let (mut ws, _) = ClientBuilder::from_uri(sim.public_url().parse().unwrap())
        .connect()
        .await
        .unwrap();
    for request in [
        r#"{"method":"subscribe","params":{"channel":"instrument"}}"#,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10}}"#,
    ] {
        ws.send(Message::text(request.to_owned())).await.unwrap();
    }
    let mut frames = Vec::with_capacity(updates + 2);
    let keep = |text: String, frames: &mut Vec<String>| {
        let data =
            text.contains(r#""channel":"instrument""#) || text.contains(r#""channel":"book""#);
        if data && !text.contains(r#""method""#) {
            frames.push(text);
        }
    };
    while frames.len() < updates + 2 {
        let advance = sim.advance(2_000);
        tokio::pin!(advance);
        loop {
            tokio::select! {
                () = &mut advance => break,
                msg = ws.next() => keep(msg.unwrap().unwrap().as_text().unwrap().to_owned(), &mut frames),
            }
        }
        // The frames of the last advance still in flight.
        while let Ok(Some(Ok(msg))) =
            tokio::time::timeout(Duration::from_millis(50), ws.next()).await
        {
            keep(msg.as_text().unwrap().to_owned(), &mut frames);
        }
    }
    sim.shutdown().await;
    frames
}

struct Replay {
    child: Child,
    url: String,
}

impl Replay {
    fn start(file: &std::path::Path) -> Replay {
        let mut child = Command::new(KRAKI)
            .args(["replay", file.to_str().unwrap(), "--speed", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("public ").unwrap().to_owned();
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        Replay { child, url }
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One pass: a fresh client reads every update of the replay through a
/// verified book while a handler reads the book's events. Returns
/// (updates, wall time, CPU time, events the handler missed).
async fn throughput_pass(url: &str, updates: u64) -> (u64, Duration, Duration, u64) {
    let client = Client::builder().public_url(url).connect().await.unwrap();
    let book = client.book("BTC/USD", 10).await.unwrap();
    let mut start = None;
    let mut missed = 0;
    let mut seen = 0;
    // The snapshot, then every update (or the count of those the handler
    // fell behind on: the book itself applies every one).
    while seen + missed < updates + 1 {
        match book.next_event().await.unwrap() {
            BookEvent::Applied { ok, .. } => {
                assert!(ok, "checksum mismatch in the replay");
                if start.is_none() {
                    start = Some((Instant::now(), process_cpu()));
                }
                seen += 1;
            }
            BookEvent::Lagged(n) => missed += n,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(book.state().verified, updates + 1);
    let (wall, cpu) = start.unwrap();
    let result = (updates, wall.elapsed(), process_cpu() - cpu, missed);
    assert_eq!(book.state().mismatches, 0);
    client.close().await;
    result
}

/// CPU time of the calling thread so far and how many times it was put on
/// a CPU (`/proc/thread-self/schedstat`), or `None` where that file is
/// missing.
fn thread_sched() -> Option<(Duration, u64)> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = stat.split_whitespace();
    let cpu = Duration::from_nanos(fields.next()?.parse().ok()?);
    let _waiting = fields.next()?;
    Some((cpu, fields.next()?.parse().ok()?))
}

/// The live simulator at `rate` events/s, on its own thread, →
/// `client.book` → a handler on this thread, for `seconds`. The simulator
/// generates, matches and checksums every event itself, so it, not the
/// client, sets the pace here.
async fn live_throughput(sims: &tokio::runtime::Runtime, rate: f64, seconds: u64) -> Live {
    let sim = spawn_sim(sims, rate).await;
    let client = Client::builder()
        .public_url(sim.public_url())
        .connect()
        .await
        .unwrap();
    let book = client.book("BTC/USD", 10).await.unwrap();
    let (mut seen, mut missed, mut reconnects) = (0u64, 0u64, 0u64);
    let start = (Instant::now(), thread_sched());
    let end = start.0 + Duration::from_secs(seconds);
    // The clock is read once per 256 events: once per event cost about 4%
    // of this thread's time, which the client would be charged for.
    for turn in 0u64.. {
        if turn % 256 == 0 && Instant::now() >= end {
            break;
        }
        match book.next_event().await.unwrap() {
            BookEvent::Applied { ok, .. } => {
                assert!(ok, "checksum mismatch from the live simulator");
                seen += 1;
            }
            BookEvent::Lagged(n) => missed += n,
            // A feed that falls too far behind is dropped by the simulator,
            // as Kraken drops a slow consumer: counted, not hidden.
            BookEvent::Reconnecting => reconnects += 1,
            BookEvent::Reconnected | BookEvent::Resyncing { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let wall = start.0.elapsed();
    let sched = thread_sched()
        .zip(start.1)
        .map(|(end, start)| (end.0 - start.0, end.1 - start.1));
    assert_eq!(book.state().mismatches, 0);
    let updates = seen + missed;
    client.close().await;
    stop_sim(sims, sim).await;
    Live {
        per_second: updates as f64 / wall.as_secs_f64(),
        cpu_per_update: sched.map(|(cpu, _)| cpu.as_nanos() as f64 / updates as f64),
        wakeups_per_second: sched.map(|(_, runs)| runs as f64 / wall.as_secs_f64()),
        missed,
        reconnects,
    }
}

/// What [`live_throughput`] saw.
struct Live {
    per_second: f64,
    /// CPU time of the client's thread per update.
    cpu_per_update: Option<f64>,
    /// How often the client's thread was put on a CPU: each time costs the
    /// kernel's context switch, whatever the number of updates it reads.
    wakeups_per_second: Option<f64>,
    missed: u64,
    reconnects: u64,
}

/// Book updates per second of BTC/USD the live simulator sends at the
/// rate it was built with.
async fn calibrate(client: &Client) -> f64 {
    let mut sub = client
        .subscribe(kraki::Book::new(["BTC/USD"]).depth(10))
        .await
        .unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        if let Ok(Some(Event::Data(_))) =
            tokio::time::timeout(Duration::from_millis(100), sub.next()).await
        {
            n += 1;
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// A runtime of its own (one worker thread) for the simulator, as an
/// exchange on another machine would be: the client's thread then does
/// only the client's work, and the latency measured is the client's, not
/// that of the two sharing one thread.
fn sim_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A one-pair simulator at `rate` events/s, running on `sims`.
async fn spawn_sim(sims: &tokio::runtime::Runtime, rate: f64) -> SimHandle {
    sims.spawn(btc_only().rate(rate).spawn())
        .await
        .unwrap()
        .unwrap()
}

async fn stop_sim(sims: &tokio::runtime::Runtime, sim: SimHandle) {
    sims.spawn(async move { sim.shutdown().await })
        .await
        .unwrap();
}

async fn latency(
    target_per_second: f64,
    rounds: u64,
    sims: &tokio::runtime::Runtime,
) -> Vec<Paired> {
    // First a run to learn how many book updates an event rate gives.
    let probe_rate = 20_000.0;
    let sim = spawn_sim(sims, probe_rate).await;
    let client = Client::builder()
        .public_url(sim.public_url())
        .connect()
        .await
        .unwrap();
    let per_second = calibrate(&client).await;
    client.close().await;
    stop_sim(sims, sim).await;
    let rate = probe_rate * target_per_second / per_second.max(1.0);

    let sim = spawn_sim(sims, rate).await;
    let mut paired: Vec<Paired> = [Path::Queued, Path::Inline, Path::BookInline]
        .into_iter()
        .map(|path| Paired {
            path,
            client: Vec::new(),
            bare: Vec::new(),
            rate: 0.0,
        })
        .collect();
    for round in 0..rounds.max(1) {
        for p in &mut paired {
            // The simulator writes to its connections one after the
            // other: who subscribed first alternates, so that order
            // favours neither reader.
            let bare_first = round % 2 == 0;
            let (rate, client, bare) = side_by_side(&sim, 1, p.path, bare_first).await;
            p.rate += rate / rounds.max(1) as f64;
            for (key, latency) in client {
                if let Some(b) = bare.get(&key) {
                    p.client.push(latency);
                    p.bare.push(*b);
                }
            }
        }
    }
    stop_sim(sims, sim).await;
    for p in &mut paired {
        p.client.sort();
        p.bare.sort();
    }
    paired
}

/// One path's latencies over the updates both readers saw.
struct Paired {
    path: Path,
    client: Vec<Duration>,
    bare: Vec<Duration>,
    rate: f64,
}

/// How the bench's handler gets the client's updates.
#[derive(Clone, Copy)]
enum Path {
    /// From a `Subscription` stream: a queue, and a wake-up of the task
    /// reading it.
    Queued,
    /// From `subscribe_inline`: run by the socket reader itself.
    Inline,
    /// From `book_inline`: the client's own verified book, parsed in
    /// place, its callback run by the socket reader.
    BookInline,
}

impl Path {
    fn name(self) -> &'static str {
        match self {
            Path::Queued => "client, Subscription stream",
            Path::Inline => "client, subscribe_inline",
            Path::BookInline => "client, book_inline",
        }
    }
}

/// An update, told apart by its exchange timestamp and checksum.
type UpdateKey = (i128, u32);

/// The client on this thread and a bare reader on a thread of its own,
/// reading the same feed at the same time for `seconds`: the client's
/// rate and both readers' latency per update.
async fn side_by_side(
    sim: &SimHandle,
    seconds: u64,
    path: Path,
    bare_first: bool,
) -> (
    f64,
    Vec<(UpdateKey, Duration)>,
    HashMap<UpdateKey, Duration>,
) {
    let url = sim.public_url();
    let start_bare = || {
        let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
        let thread = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(bare_latency(url, seconds + 1, subscribed_tx))
        });
        (thread, subscribed)
    };
    let (rate, client, bare) = if bare_first {
        let (thread, subscribed) = start_bare();
        subscribed.await.unwrap();
        let (rate, client) = client_latency(sim, seconds, path, || {}).await;
        (rate, client, thread)
    } else {
        let mut bare = None;
        let (rate, client) = client_latency(sim, seconds, path, || {
            bare = Some(start_bare());
        })
        .await;
        let (thread, subscribed) = bare.unwrap();
        subscribed.await.unwrap();
        (rate, client, thread)
    };
    (rate, client, bare.join().unwrap())
}

/// Timestamp-to-handler latency of verified book updates through the
/// client, and the rate achieved. `subscribed` runs once the client's
/// book is subscribed.
async fn client_latency(
    sim: &SimHandle,
    seconds: u64,
    path: Path,
    subscribed: impl FnOnce(),
) -> (f64, Vec<(UpdateKey, Duration)>) {
    let client = Client::builder()
        .public_url(sim.public_url())
        .connect()
        .await
        .unwrap();
    let spec = kraki::Book::new(["BTC/USD"]).depth(10);
    let mut book = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
    // Applies an update to the handler's verified book; the latency of
    // every update that verified.
    let mut handle = move |update: kraki::BookUpdate| -> Option<(UpdateKey, Duration)> {
        let verified = book.apply(update.kind, &update.book).unwrap();
        match (update.book.timestamp, verified) {
            (Some(ts), kraki_proto::book::Verification::Verified) => {
                Some(((ts.unix_nanos(), update.book.checksum), since(ts)))
            }
            _ => None,
        }
    };
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let samples: Vec<_> = match path {
        Path::Queued => {
            let mut sub = client.subscribe(spec).await.unwrap();
            subscribed();
            let mut samples = Vec::new();
            while Instant::now() < end {
                let Some(event) = sub.next().await else { break };
                let Event::Data(update) = event else { continue };
                samples.extend(handle(update));
            }
            samples
        }
        Path::Inline => {
            let (tx, rx) = std::sync::mpsc::channel();
            let _inline = client
                .subscribe_inline(spec, move |event| {
                    if let Event::Data(update) = event {
                        if let Some(latency) = handle(update) {
                            let _ = tx.send(latency);
                        }
                    }
                })
                .await
                .unwrap();
            subscribed();
            tokio::time::sleep_until(end.into()).await;
            rx.try_iter().collect()
        }
        Path::BookInline => {
            let (tx, rx) = std::sync::mpsc::channel();
            let _inline = client
                .book_inline("BTC/USD", 10, move |book| {
                    let BookEvent::Applied {
                        kind: kraki_proto::MessageType::Update,
                        ok: true,
                        checksum,
                        ..
                    } = book.event()
                    else {
                        return;
                    };
                    if let Some(ts) = book.timestamp() {
                        let _ = tx.send(((ts.unix_nanos(), *checksum), since(ts)));
                    }
                })
                .await
                .unwrap();
            subscribed();
            tokio::time::sleep_until(end.into()).await;
            rx.try_iter().collect()
        }
    };
    let achieved = samples.len() as f64 / start.elapsed().as_secs_f64();
    client.close().await;
    (achieved, samples)
}

/// How long ago `ts` was, by the system clock (the simulator's stamps
/// come from it too).
fn since(ts: kraki_proto::Timestamp) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128;
    Duration::from_nanos((now - ts.unix_nanos()).max(0) as u64)
}

/// Timestamp-to-reader latency of book updates read by a bare
/// tokio-websockets connection, decoded only to find the timestamp and
/// checksum.
async fn bare_latency(
    url: String,
    seconds: u64,
    subscribed: tokio::sync::oneshot::Sender<()>,
) -> HashMap<UpdateKey, Duration> {
    let (mut ws, _) = ClientBuilder::from_uri(url.parse().unwrap())
        .connect()
        .await
        .unwrap();
    ws.send(Message::text(
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10}}"#
            .to_owned(),
    ))
    .await
    .unwrap();
    let _ = subscribed.send(());
    let mut samples = HashMap::new();
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        let Ok(Some(Ok(msg))) = tokio::time::timeout_at(end.into(), ws.next()).await else {
            break;
        };
        let Some(text) = msg.as_text() else { continue };
        if let Ok(kraki_proto::Inbound::Book(m)) = kraki_proto::decode(text) {
            if m.kind == kraki_proto::MessageType::Update {
                if let Some((d, ts)) = m.data.first().and_then(|d| Some((d, d.timestamp?))) {
                    samples.insert((ts.unix_nanos(), d.checksum), since(ts));
                }
            }
        }
    }
    samples
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    // `cargo test --benches` runs this with `--bench`-less args; only a
    // real `cargo bench` (which passes `--bench`) measures.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let updates: usize = std::env::var("KRAKI_BENCH_UPDATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let passes: usize = std::env::var("KRAKI_BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    // The whole client (socket reader, book task, handler) on this one
    // thread, as a latency-minded user would run it: no cross-thread
    // wake-ups per message.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let frames = runtime.block_on(record_frames(updates));
    let dir = std::env::temp_dir().join(format!("kraki-pipeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("book.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for f in &frames {
        writeln!(out, "{f}").unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let book_updates = frames
        .iter()
        .filter(|f| f.contains(r#""type":"update""#))
        .count() as u64;
    println!(
        "throughput: {book_updates} BTC/USD depth-10 updates from kraki replay --speed 0 (child process)"
    );
    let mut rates = Vec::new();
    let mut costs = Vec::new();
    for pass in 1..=passes {
        let replay = Replay::start(&file);
        let (n, wall, cpu, missed) = runtime.block_on(throughput_pass(&replay.url, book_updates));
        let rate = n as f64 / wall.as_secs_f64();
        let cost = cpu.as_nanos() as f64 / n as f64;
        println!(
            "  pass {pass}: {rate:.0} updates/s, client CPU {cost:.0} ns/update, wall {:.0} ns/update, handler missed {missed} events",
            wall.as_nanos() as f64 / n as f64,
        );
        rates.push(rate);
        costs.push(cost);
    }
    rates.sort_by(f64::total_cmp);
    costs.sort_by(f64::total_cmp);
    // The median says what to expect; the best pass, what the code costs
    // when the shared host leaves the machine alone.
    println!(
        "  median of {passes} passes: {:.0} updates/s, client CPU {:.0} ns/update; best pass {:.0} ns/update",
        rates[rates.len() / 2],
        costs[costs.len() / 2],
        costs[0],
    );
    let _ = std::fs::remove_dir_all(&dir);

    if std::env::var_os("KRAKI_BENCH_SKIP_LATENCY").is_some() {
        return;
    }
    let sims = sim_runtime();
    // About the most one simulator thread sustains on this machine: more
    // and its own writer falls behind its engine (see `Simulator::rate`).
    let events = 200_000.0;
    let live = runtime.block_on(live_throughput(&sims, events, 5));
    let unknown = || "unknown".to_owned();
    println!(
        "live simulator at {events:.0} events/s (its own thread) → client.book → handler: {:.0} updates/s, client thread CPU {} over {} wake-ups/s, handler missed {} events, {} reconnects",
        live.per_second,
        live.cpu_per_update
            .map_or_else(unknown, |c| format!("{c:.0} ns/update")),
        live.wakeups_per_second
            .map_or_else(unknown, |w| format!("{w:.0}")),
        live.missed,
        live.reconnects,
    );
    let paired = runtime.block_on(latency(10_000.0, 8, &sims));
    sims.shutdown_background();
    println!(
        "latency at 10k updates/s (live simulator, exchange timestamp to handler, after decode, apply and checksum), each path beside a bare WebSocket reader of the same feed at the same time, over the updates both read:"
    );
    for p in &paired {
        let (c, b) = (&p.client, &p.bare);
        let (c50, c99, b50, b99) = (
            percentile(c, 0.50),
            percentile(c, 0.99),
            percentile(b, 0.50),
            percentile(b, 0.99),
        );
        println!(
            "  {}: p50 {c50:?}, p99 {c99:?} over {} updates at {:.0}/s; bare reader p50 {b50:?}, p99 {b99:?}; added p50 {:?}, p99 {:?}",
            p.path.name(),
            c.len(),
            p.rate,
            c50.saturating_sub(b50),
            c99.saturating_sub(b99),
        );
    }
}
