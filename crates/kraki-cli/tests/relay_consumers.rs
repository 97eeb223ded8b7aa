//! What consumers of `kraki relay` read, held against what a client
//! reading the simulator directly holds at the same point, and what the
//! relay's `--metrics` endpoint says while faults happen. The simulator
//! runs in this process, paused: the market moves only when a test
//! advances it, so the relay, its consumers and a direct client all come
//! to rest on the same message, and a scrape reads counters that no
//! longer move.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::nats::{Nats, Relay, Stored, check_book_feed, read_subject, scrape};
use kraki::proto::book::{L2Book, L3Book};
use kraki::proto::{Inbound, Timestamp};
use kraki::{BookStatus, Client, InlineBook, InlineSubscription, VerifiedBook};
use kraki_sim::{SimHandle, Simulator};
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BOOK: &str = "kraki.book.BTC_USD";
const LEVEL3: &str = "kraki.level3.BTC_USD";
const TRADES: &str = "kraki.trade.BTC_USD";

/// A paused simulator on this process's runtime, which also runs the
/// direct clients and the NATS books.
struct Paused {
    runtime: tokio::runtime::Runtime,
    sim: SimHandle,
}

impl Paused {
    fn start(seed: u64) -> Paused {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = runtime
            .block_on(Simulator::builder().seed(seed).paused(true).spawn())
            .unwrap();
        Paused { runtime, sim }
    }

    /// Moves the market by `events` and returns once their frames are
    /// sent to every subscription.
    fn advance(&self, events: u64) {
        self.runtime.block_on(self.sim.advance(events));
    }

    /// `advance` a few events at a time, as a market moves, so that a
    /// small `--buffer` is never passed in a burst while NATS is up.
    fn advance_slowly(&self, events: u64) {
        for _ in 0..events / 25 {
            self.advance(25);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kraki relay CHANNELS` of BTC/USD against this simulator.
    fn relay(&self, channels: &[&str], nats: &Nats, extra: &[&str]) -> Relay {
        let (level3, rest) = (self.sim.level3_url(), self.sim.rest_url());
        let mut args = vec!["--level3-url", &level3, "--rest-url", &rest];
        args.extend_from_slice(extra);
        Relay::spawn(channels, &nats.url(), &self.sim.public_url(), &args)
    }
}

/// Where a book stands: the exchange timestamp and checksum of the
/// message it applied last.
type Point = (Option<Timestamp>, u32);

/// The point a stored book or level3 message takes its subject to.
fn point_of(message: &Stored) -> Point {
    match kraki_proto::decode(&message.payload) {
        Ok(Inbound::Book(frame)) => (frame.data[0].timestamp, frame.data[0].checksum),
        Ok(Inbound::Level3(frame)) => (frame.data[0].timestamp, frame.data[0].checksum),
        other => panic!("seq {}: not a book message: {other:?}", message.seq),
    }
}

/// Every book a direct client's verified book has been, by the point of
/// the message that took it there.
struct History<B> {
    points: Arc<Mutex<Vec<(Point, B)>>>,
}

impl<B: VerifiedBook + Clone> History<B> {
    fn new() -> History<B> {
        History {
            points: Arc::default(),
        }
    }

    /// The inline book's callback: keeps the book after each message
    /// that verified.
    fn recorder(&self) -> impl FnMut(InlineBook<'_, B>) + Send + 'static {
        let points = self.points.clone();
        move |book: InlineBook<'_, B>| {
            if let kraki::BookEvent::Applied {
                ok: true, checksum, ..
            } = book.event()
            {
                let point = (book.timestamp(), *checksum);
                points
                    .lock()
                    .unwrap()
                    .push((point, book.state().book.clone()));
            }
        }
    }

    /// How many messages the direct book has verified.
    fn len(&self) -> usize {
        self.points.lock().unwrap().len()
    }

    /// The direct book at `point`, waiting for the client to get there.
    fn at(&self, point: Point) -> B {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self
                .points
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|(p, _)| *p == point)
                .map(|(_, book)| book.clone());
            if let Some(book) = found {
                return book;
            }
            assert!(
                Instant::now() < deadline,
                "the direct client never stood at {point:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Waits until `subject` stops growing and `state` (a NATS book's) is
/// live at its last message; returns the subject's messages.
fn settled<B: VerifiedBook>(
    url: &str,
    subject: &str,
    state: impl Fn() -> Arc<kraki::BookState<B>>,
    checksum: impl Fn(&B) -> u32,
) -> Vec<Stored> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut previous = 0;
    loop {
        let stored = read_subject(url, "KRAKI", subject);
        if let Some(last) = stored.last() {
            let state = state();
            if stored.len() == previous
                && state.status == BookStatus::Live
                && checksum(&state.book) == point_of(last).1
            {
                return stored;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{subject}: no rest within 30 s ({} messages)",
            stored.len()
        );
        previous = stored.len();
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `kraki book BTC/USD --nats URL --json --count N`, each line parsed;
/// killed if the lines do not come within 20 s.
fn nats_book_lines(url: &str, count: usize) -> Vec<serde_json::Value> {
    let mut child = std::process::Command::new(common::KRAKI)
        .args(["book", "BTC/USD", "--nats", url, "--json", "--count"])
        .arg(count.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while got.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => got.push(serde_json::from_str(&line).unwrap()),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got.len(), count, "kraki book --nats: {got:?}");
    got
}

/// The lines `kraki book --nats` prints for the subject as stored: the
/// kept snapshot and what follows it, or the whole subject.
fn lines_for(url: &str, stored: &[Stored]) -> usize {
    let kept = read_subject(url, "KRAKI_SNAPSHOTS", "kraki-snapshot.book.BTC_USD");
    match kept.last().and_then(|k| k.header("Kraki-Seq")) {
        Some(seq) => {
            let seq: u64 = seq.parse().unwrap();
            1 + stored.iter().filter(|m| m.seq > seq).count()
        }
        None => stored.len(),
    }
}

/// A client of the simulator's level3 endpoint with the demo account.
async fn level3_client(sim: &SimHandle) -> Client {
    let demo = kraki::Credentials::new(kraki_sim::DEMO_API_KEY, kraki_sim::DEMO_API_SECRET);
    Client::builder()
        .level3_url(sim.level3_url())
        .rest_url(sim.rest_url())
        .credentials(demo.unwrap())
        .connect_level3()
        .await
        .unwrap()
}

#[test]
fn books_from_nats_equal_a_direct_clients_books_order_by_order_at_the_same_message() {
    let Some(nats) = Nats::start() else { return };
    let paused = Paused::start(21);
    let mut relay = paused.relay(&["book", "level3"], &nats, &[]);
    let (l2_direct, l3_direct) = (History::<L2Book>::new(), History::<L3Book>::new());
    let (_public, _level3, _subs): (Client, Client, [InlineSubscription; 2]) =
        paused.runtime.block_on(async {
            let public = Client::builder()
                .public_url(paused.sim.public_url())
                .connect()
                .await
                .unwrap();
            let level3 = level3_client(&paused.sim).await;
            let l2 = public
                .book_inline("BTC/USD", 10, l2_direct.recorder())
                .await
                .unwrap();
            let l3 = level3
                .level3_book_inline("BTC/USD", 10, l3_direct.recorder())
                .await
                .unwrap();
            (public, level3, [l2, l3])
        });
    // Both subjects exist before the NATS books open.
    common::nats::wait_for(&nats.url(), BOOK, 1);
    common::nats::wait_for(&nats.url(), LEVEL3, 1);
    let (l2_nats, l3_nats) = paused.runtime.block_on(async {
        let l2 = kraki::nats::NatsBook::open(&nats.url(), "BTC/USD")
            .await
            .unwrap();
        let l3 = kraki::nats::NatsLevel3Book::open_level3(&nats.url(), "BTC/USD")
            .await
            .unwrap();
        (l2, l3)
    });
    let mut late_l3: Option<kraki::nats::NatsLevel3Book> = None;
    // Round 2 follows a cut of every connection by the exchange: the
    // relay and the direct client each resubscribe, each to its own
    // snapshot, and the updates after them are the same again.
    for round in 0..3 {
        if round == 2 {
            let (l2_seen, l3_seen) = (l2_direct.len(), l3_direct.len());
            let book = read_subject(&nats.url(), "KRAKI", BOOK).len();
            let orders = read_subject(&nats.url(), "KRAKI", LEVEL3).len();
            paused.sim.cut_connections();
            common::nats::wait_for(&nats.url(), BOOK, book + 1);
            common::nats::wait_for(&nats.url(), LEVEL3, orders + 1);
            let deadline = Instant::now() + Duration::from_secs(20);
            while l2_direct.len() == l2_seen || l3_direct.len() == l3_seen {
                assert!(
                    Instant::now() < deadline,
                    "the direct client did not resubscribe"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        paused.advance(400);
        let book = settled(&nats.url(), BOOK, || l2_nats.state(), L2Book::checksum);
        let orders = settled(&nats.url(), LEVEL3, || l3_nats.state(), L3Book::checksum);
        assert!(
            book.len() > 20 * (round + 1),
            "round {round}: {} book messages",
            book.len()
        );
        assert!(
            orders.len() > 20 * (round + 1),
            "round {round}: {} level3 messages",
            orders.len()
        );

        // L2: level by level, at the subject's last message.
        let point = point_of(book.last().unwrap());
        assert!(point.0.is_some(), "a book update carries its timestamp");
        let direct = l2_direct.at(point);
        let from_nats = l2_nats.state();
        let levels = |b: &L2Book| (b.bids().collect::<Vec<_>>(), b.asks().collect::<Vec<_>>());
        assert_eq!(levels(&from_nats.book), levels(&direct), "round {round}");
        assert!(direct.bids().len() == 10 && direct.asks().len() == 10);
        assert_eq!(from_nats.mismatches, 0);

        // Level3: order by order, in queue order.
        let point = point_of(orders.last().unwrap());
        assert!(point.0.is_some(), "a level3 update carries its timestamp");
        let direct = l3_direct.at(point);
        let from_nats = l3_nats.state();
        assert_eq!(
            common::nats::level3_orders(&from_nats.book),
            common::nats::level3_orders(&direct),
            "round {round}"
        );
        assert!(direct.order_count() > 20, "{}", direct.order_count());
        assert_eq!(from_nats.mismatches, 0);
        // A consumer opened after the first round starts from the kept
        // checkpoint: the same orders.
        if let Some(late) = &late_l3 {
            settled(&nats.url(), LEVEL3, || late.state(), L3Book::checksum);
            let state = late.state();
            assert_eq!(
                common::nats::level3_orders(&state.book),
                common::nats::level3_orders(&direct),
                "the late consumer"
            );
            assert!(
                (state.verified as usize) < orders.len(),
                "it read the kept checkpoint, not the whole subject"
            );
        } else {
            // Past the relay's 1 s checkpoint interval, the next message
            // checkpoints the book.
            std::thread::sleep(Duration::from_millis(1100));
            paused.advance(50);
            settled(&nats.url(), LEVEL3, || l3_nats.state(), L3Book::checksum);
            let kept = read_subject(
                &nats.url(),
                "KRAKI_SNAPSHOTS",
                "kraki-snapshot.level3.BTC_USD",
            );
            assert!(!kept.is_empty(), "a level3 checkpoint is kept");
            late_l3 = Some(
                paused
                    .runtime
                    .block_on(kraki::nats::NatsLevel3Book::open_level3(
                        &nats.url(),
                        "BTC/USD",
                    ))
                    .unwrap(),
            );
        }

        // `kraki book --nats`: its last line stands where the direct
        // book does.
        let stored = read_subject(&nats.url(), "KRAKI", BOOK);
        let lines = nats_book_lines(&nats.url(), lines_for(&nats.url(), &stored));
        let direct = l2_direct.at(point_of(stored.last().unwrap()));
        assert!(lines.iter().all(|l| l["ok"] == true), "{lines:?}");
        let last = lines.last().unwrap();
        assert_eq!(
            last["checksum"],
            direct.checksum(),
            "round {round}: {lines:?}"
        );
        let best = |l: Option<kraki::proto::book::Level>| {
            let l = l.unwrap();
            serde_json::json!({"price": l.price, "qty": l.qty})
        };
        assert_eq!(last["best_bid"], best(direct.bids().next()));
        assert_eq!(last["best_ask"], best(direct.asks().next()));
    }
    let stderr = relay.interrupt();
    assert!(stderr.contains("kraki relay: received"), "{stderr}");
}

/// A scrape's value of `family` for `channel`, 0 when absent.
fn sample(scraped: &HashMap<String, f64>, family: &str, channel: &str) -> f64 {
    scraped
        .get(&format!("kraki_relay_{family}{{channel=\"{channel}\"}}"))
        .copied()
        .unwrap_or(0.0)
}

/// Waits until `subject` stops growing; returns its messages.
fn at_rest(url: &str, subject: &str) -> Vec<Stored> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut previous = read_subject(url, "KRAKI", subject);
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let stored = read_subject(url, "KRAKI", subject);
        if stored.len() == previous.len() && !stored.is_empty() {
            return stored;
        }
        assert!(Instant::now() < deadline, "{subject} did not come to rest");
        previous = stored;
    }
}

/// The publish latency histogram of `channel` is a histogram: buckets
/// cumulative up to `+Inf`, which equals the count, with a positive sum.
fn latency_histogram(scraped: &HashMap<String, f64>, channel: &str) -> f64 {
    let bucket = |le: &str| {
        scraped[&format!(
            "kraki_relay_publish_latency_seconds_bucket{{channel=\"{channel}\",le=\"{le}\"}}"
        )]
    };
    let bounds: Vec<String> = kraki::nats::PUBLISH_LATENCY_BUCKETS
        .iter()
        .map(|b| b.to_string())
        .chain(["+Inf".to_owned()])
        .collect();
    let values: Vec<f64> = bounds.iter().map(|b| bucket(b)).collect();
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]),
        "{channel}: {values:?}"
    );
    let count = sample(scraped, "publish_latency_seconds_count", channel);
    assert_eq!(values.last().copied(), Some(count), "{channel}");
    assert!(sample(scraped, "publish_latency_seconds_sum", channel) > 0.0);
    count
}

#[test]
fn the_metrics_endpoint_counts_each_fault_per_channel_as_consumers_see_it() {
    let Some(nats) = Nats::start() else { return };
    let paused = Paused::start(33);
    let metrics = format!("127.0.0.1:{}", common::nats::free_port());
    let extra = ["--metrics", &metrics, "--buffer", "100"];
    let mut relay = paused.relay(&["book", "trade"], &nats, &extra);
    common::nats::wait_for(&nats.url(), BOOK, 1);

    // Healthy: everything received was verified and stored, once.
    paused.advance_slowly(400);
    let book = at_rest(&nats.url(), BOOK);
    let trades = at_rest(&nats.url(), TRADES);
    let healthy = scrape(&metrics);
    for (channel, stored) in [("book", &book), ("trade", &trades)] {
        assert_eq!(
            sample(&healthy, "published_total", channel),
            stored.len() as f64,
            "{channel}: {healthy:?}"
        );
        // Each item received is stored, or recognised as stored.
        assert_eq!(
            sample(&healthy, "received_total", channel),
            stored.len() as f64 + sample(&healthy, "duplicates_total", channel),
            "{channel}: {healthy:?}"
        );
        assert!(latency_histogram(&healthy, channel) >= stored.len() as f64);
        assert_eq!(sample(&healthy, "buffered", channel), 0.0);
    }
    assert!(trades.len() > 3, "{}", trades.len());
    let received = sample(&healthy, "received_total", "book");
    assert_eq!(
        received,
        book.len() as f64,
        "one stored message per book item"
    );
    assert_eq!(sample(&healthy, "verified_total", "book"), received);
    for family in [
        "mismatched_total",
        "resyncs_total",
        "kraken_reconnects_total",
        "dropped_total",
    ] {
        assert_eq!(sample(&healthy, family, "book"), 0.0, "{family}");
    }

    // A bad checksum from the exchange: counted once, never stored, and
    // the resync's snapshot follows.
    paused.sim.corrupt_next_checksum("BTC/USD");
    paused.advance_slowly(200);
    let book = at_rest(&nats.url(), BOOK);
    let corrupt = scrape(&metrics);
    assert_eq!(
        sample(&corrupt, "mismatched_total", "book"),
        1.0,
        "{corrupt:?}"
    );
    assert_eq!(sample(&corrupt, "resyncs_total", "book"), 1.0);
    assert_eq!(check_book_feed(&book).snapshots, 2);
    assert_eq!(
        sample(&corrupt, "published_total", "book"),
        book.len() as f64
    );
    assert_eq!(
        sample(&corrupt, "received_total", "book"),
        sample(&corrupt, "verified_total", "book") + 1.0,
        "every item received verified, but the corrupt one"
    );

    // The exchange cuts the connection: one reconnect on each channel,
    // and a fresh snapshot for consumers.
    paused.sim.cut_connections();
    let deadline = Instant::now() + Duration::from_secs(20);
    while sample(&scrape(&metrics), "kraken_reconnects_total", "book") < 1.0 {
        assert!(
            Instant::now() < deadline,
            "no reconnect counted within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    paused.advance_slowly(200);
    let book = at_rest(&nats.url(), BOOK);
    let cut = scrape(&metrics);
    for channel in ["book", "trade"] {
        assert_eq!(
            sample(&cut, "kraken_reconnects_total", channel),
            1.0,
            "{channel}: {cut:?}"
        );
    }
    assert_eq!(check_book_feed(&book).snapshots, 3);
    assert_eq!(sample(&cut, "published_total", "book"), book.len() as f64);

    // Another publisher's stale snapshot lands on the subject: the
    // relay's next update is refused, counted as a conflict, and
    // answered with a snapshot of its book.
    common::nats::inject(&nats.url(), BOOK, &book[0]);
    paused.advance_slowly(100);
    let book = at_rest(&nats.url(), BOOK);
    let conflict = scrape(&metrics);
    assert_eq!(
        sample(&conflict, "conflicts_total", "book"),
        1.0,
        "{conflict:?}"
    );
    assert_eq!(
        check_book_feed(&book).snapshots,
        5,
        "stale, then the answer"
    );
    assert_eq!(
        sample(&conflict, "published_total", "book"),
        book.len() as f64 - 1.0,
        "all but the injected one"
    );

    // NATS away while the market moves: messages wait, up to the
    // buffer, then are dropped; NATS back: nothing waits, the drop is
    // explained by a snapshot.
    let mut nats = nats;
    nats.kill();
    paused.advance(3000);
    // The connection's loss is seen at once; what the market sends
    // meanwhile waits in the buffer, and past its bound is dropped.
    // Read once the market's moves have all arrived (the count stands
    // still), so that what is dropped later is told apart.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = -1.0;
    let away = loop {
        let away = scrape(&metrics);
        let dropped = sample(&away, "dropped_total", "book");
        if dropped > 0.0 && dropped == last {
            break away;
        }
        assert!(
            Instant::now() < deadline,
            "nothing dropped while NATS is away: {away:?}"
        );
        last = dropped;
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(sample(&away, "buffered", "book") > 0.0, "{away:?}");
    assert_eq!(away["kraki_relay_nats_reconnects_total"], 0.0, "{away:?}");
    nats.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    while sample(&scrape(&metrics), "buffered", "book") > 0.0 {
        assert!(Instant::now() < deadline, "the buffer never emptied");
        std::thread::sleep(Duration::from_millis(200));
    }
    paused.advance_slowly(100);
    let book = at_rest(&nats.url(), BOOK);
    let back = scrape(&metrics);
    assert!(back["kraki_relay_nats_reconnects_total"] >= 1.0, "{back:?}");
    assert_eq!(sample(&back, "buffered", "trade"), 0.0);
    assert_eq!(
        sample(&back, "dropped_total", "book"),
        sample(&away, "dropped_total", "book"),
        "nothing dropped once NATS is back"
    );
    assert_eq!(check_book_feed(&book).snapshots, 6, "the drop's snapshot");
    // Across the cut's trade snapshot (repeats) and NATS's absence
    // (drops), every trade received is accounted for once.
    let trades = at_rest(&nats.url(), TRADES);
    common::nats::check_trades(&trades);
    let back = scrape(&metrics);
    let trade = |family| sample(&back, family, "trade");
    assert!(trade("duplicates_total") > 0.0, "{back:?}");
    assert_eq!(
        trade("received_total"),
        trade("published_total") + trade("duplicates_total") + trade("dropped_total"),
        "{back:?}"
    );
    // A message stored just before NATS went away, whose ack was lost,
    // is sent again and counted as a duplicate, not as published: the
    // stream may hold up to one such message per failed attempt more.
    let unacked = trades.len() as f64 - trade("published_total");
    assert!(
        (0.0..=trade("publish_errors_total")).contains(&unacked),
        "{} stored: {back:?}",
        trades.len()
    );
    let stderr = relay.interrupt();
    assert!(stderr.contains("buffer towards NATS full"), "{stderr}");
}
