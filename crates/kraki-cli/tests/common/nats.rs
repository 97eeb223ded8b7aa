//! A real `nats-server -js` per test, `kraki relay` children, and a
//! reader of the stream that checks what a consumer would get.

use super::KRAKI;
use futures_util::StreamExt;
use kraki_proto::book::{BookView, L2Book, Precision, Verification};
use kraki_proto::{Inbound, MessageType};
use std::collections::HashSet;
use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `nats-server -js` on a free loopback port with its own store,
/// killed (and its store removed) when dropped.
pub struct Nats {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    /// nats-server configuration (`authorization { … }`, `tls { … }`)
    /// beyond the port and the store.
    config: Option<String>,
}

impl Nats {
    /// Starts one; `None` (and a message) when nats-server is missing and
    /// KRAKI_SKIP_NATS=1 asks to skip. Missing otherwise fails the test.
    pub fn start() -> Option<Nats> {
        Nats::start_with(None)
    }

    /// [`Nats::start`] with `config` (nats-server's syntax) added to the
    /// port and the store, written to a file in the store's directory.
    pub fn start_configured(config: &str) -> Option<Nats> {
        Nats::start_with(Some(config.to_owned()))
    }

    fn start_with(config: Option<String>) -> Option<Nats> {
        let found = Command::new("nats-server")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            if std::env::var("KRAKI_SKIP_NATS").as_deref() == Ok("1") {
                eprintln!("SKIPPED: nats-server not found and KRAKI_SKIP_NATS=1");
                return None;
            }
            panic!(
                "nats-server not found: install it with `apt-get update && apt-get install -y nats-server` \
                 (or set KRAKI_SKIP_NATS=1 to skip the NATS tests)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kraki-nats-{}-{n}", std::process::id()));
        let mut nats = Nats {
            child: None,
            port,
            dir,
            config,
        };
        nats.spawn();
        Some(nats)
    }

    fn spawn(&mut self) {
        if let Some(config) = &self.config {
            std::fs::create_dir_all(&self.dir).unwrap();
            let file = self.dir.join("nats.conf");
            std::fs::write(
                &file,
                format!(
                    "listen: \"127.0.0.1:{}\"\njetstream {{ store_dir: {:?} }}\n{config}\n",
                    self.port,
                    self.dir.join("store")
                ),
            )
            .unwrap();
            let child = Command::new("nats-server")
                .arg("-c")
                .arg(&file)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            self.child = Some(child);
            self.wait_listening();
            return;
        }
        let child = Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.wait_listening();
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not listen within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `kraki relay`, killed when dropped; its stderr read all
/// along.
pub struct Relay {
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Relay {
    pub fn start(nats: &str, kraken: &str, extra: &[&str]) -> Relay {
        Relay::spawn(&["book", "trade"], nats, kraken, extra)
    }

    /// A relay of `channels` of BTC/USD, with the demo account's
    /// credentials in its environment (for level3).
    pub fn spawn(channels: &[&str], nats: &str, kraken: &str, extra: &[&str]) -> Relay {
        let mut child = Command::new(KRAKI)
            .arg("relay")
            .args(channels)
            .args(["--symbol", "BTC/USD", "--nats", nats, "--url", kraken])
            .args(["--report", "1", "--checkpoint", "1"])
            .args(extra)
            .env("KRAKEN_API_KEY", kraki_sim::DEMO_API_KEY)
            .env("KRAKEN_API_SECRET", kraki_sim::DEMO_API_SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = child.stderr.take().unwrap();
        let stderr = Some(std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        }));
        Relay { child, stderr }
    }

    /// Kills it (SIGKILL: no goodbye) and returns its stderr.
    pub fn kill(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default()
    }

    /// Stops it with Ctrl-C and returns its stderr (with the final
    /// counters line).
    pub fn interrupt(&mut self) -> String {
        self.stop_with("-INT")
    }

    /// Stops it with `signal` (`-INT`, `-TERM`) and returns its stderr.
    pub fn stop_with(&mut self, signal: &str) -> String {
        Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One stored message as a consumer reads it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub seq: u64,
    pub id: Option<String>,
    pub headers: Vec<(String, String)>,
    pub payload: String,
}

impl Stored {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every message of `subject` in stream `stream`, in stream order.
pub fn read_subject(url: &str, stream: &str, subject: &str) -> Vec<Stored> {
    runtime().block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        // Not there yet: the relay creates it when it starts.
        let Ok(mut stream) = js.get_stream(stream).await else {
            return Vec::new();
        };
        let total = stream.info().await.unwrap().state.messages;
        let mut out = Vec::new();
        if total == 0 {
            return out;
        }
        let consumer = stream
            .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
                filter_subject: subject.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap();
        let mut messages = consumer.messages().await.unwrap();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(2), messages.next()).await;
            let Ok(Some(Ok(message))) = next else { break };
            let info = message.info().unwrap();
            let (seq, pending) = (info.stream_sequence, info.pending);
            let headers = message
                .headers
                .as_ref()
                .map(|h| {
                    h.iter()
                        .flat_map(|(n, vs)| {
                            vs.iter()
                                .map(move |v| (n.to_string(), v.as_str().to_owned()))
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let id = headers
                .iter()
                .find(|(n, _)| n == "Nats-Msg-Id")
                .map(|(_, v)| v.clone());
            out.push(Stored {
                seq,
                id,
                headers,
                payload: String::from_utf8(message.payload.to_vec()).unwrap(),
            });
            if pending == 0 {
                break;
            }
        }
        out
    })
}

/// Waits until `subject` holds at least `n` messages.
pub fn wait_for(url: &str, subject: &str, n: usize) -> Vec<Stored> {
    // Generous: the whole suite shares two cores with it.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let got = read_subject(url, "KRAKI", subject);
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{subject}: {} messages after 40 s, wanted {n}",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What a consumer reading a book subject from its start found.
#[derive(Debug, Default)]
pub struct FeedCheck {
    pub snapshots: usize,
    pub updates: usize,
    /// Stream sequences of the snapshots.
    pub snapshot_seqs: Vec<u64>,
}

/// Reads a book subject as a consumer with only Kraken's documentation
/// would (plus the precision the relay puts on snapshots): every message
/// must be one book item, the first a snapshot, each update verifying
/// against the book before it; no message stored twice.
pub fn check_book_feed(messages: &[Stored]) -> FeedCheck {
    let mut check = FeedCheck::default();
    let mut book: Option<L2Book> = None;
    let mut ids = HashSet::new();
    let mut payloads = HashSet::new();
    for m in messages {
        let id = m.id.clone().expect("every message has a Nats-Msg-Id");
        // A test's own injected copy is the one frame allowed twice.
        let injected = id.starts_with("injected");
        assert!(ids.insert(id), "message id stored twice at seq {}", m.seq);
        assert!(
            payloads.insert(m.payload.clone()) || injected,
            "the same frame stored twice at seq {}: {}",
            m.seq,
            m.payload
        );
        let Ok(Inbound::Book(frame)) = kraki_proto::decode(&m.payload) else {
            panic!("seq {}: not a book frame: {}", m.seq, m.payload);
        };
        assert_eq!(frame.data.len(), 1, "one symbol's item per message");
        let data = &frame.data[0];
        if frame.kind == MessageType::Snapshot {
            let (precision, depth) = snapshot_shape(m);
            book = Some(L2Book::new(data.symbol.clone(), precision, depth));
            check.snapshots += 1;
            check.snapshot_seqs.push(m.seq);
        } else {
            check.updates += 1;
        }
        let book = book
            .as_mut()
            .unwrap_or_else(|| panic!("seq {}: an update before any snapshot", m.seq));
        let verdict = book
            .apply_update(frame.kind, &BookView::from(data))
            .unwrap();
        assert_eq!(
            verdict,
            Verification::Verified,
            "seq {}: {} does not verify against the book before it",
            m.seq,
            m.payload
        );
    }
    check
}

/// The precision and depth a kept or published snapshot states in its
/// headers, as a consumer needs them to verify the feed.
fn snapshot_shape(m: &Stored) -> (Precision, usize) {
    let header = |name: &str| {
        m.header(name)
            .unwrap_or_else(|| panic!("seq {}: a snapshot without {name}", m.seq))
    };
    let price: u8 = header("Kraki-Price-Precision").parse().unwrap();
    let qty: u8 = header("Kraki-Qty-Precision").parse().unwrap();
    let depth: usize = header("Kraki-Depth").parse().unwrap();
    (Precision::new(price, qty), depth)
}

/// Reads a level3 subject as a consumer would: every message one
/// item, each verifying against the order book before it. Returns the
/// number of snapshots and updates.
pub fn check_level3_feed(messages: &[Stored]) -> (usize, usize) {
    let replayed = replay_level3_feed(messages);
    (replayed.snapshots, replayed.updates)
}

/// A level3 subject read from its start by the test itself.
pub struct Level3Replay {
    pub snapshots: usize,
    pub updates: usize,
    /// The order book after the last message.
    pub book: kraki_proto::book::L3Book,
}

/// [`check_level3_feed`], keeping the order book the messages build.
pub fn replay_level3_feed(messages: &[Stored]) -> Level3Replay {
    use kraki_proto::book::{L3Book, Level3View};
    let (mut snapshots, mut updates) = (0, 0);
    let mut book: Option<L3Book> = None;
    let mut ids = HashSet::new();
    for m in messages {
        assert!(
            ids.insert(m.id.clone().unwrap()),
            "stored twice at seq {}",
            m.seq
        );
        let Ok(Inbound::Level3(frame)) = kraki_proto::decode(&m.payload) else {
            panic!("seq {}: not a level3 frame: {}", m.seq, m.payload);
        };
        assert_eq!(frame.data.len(), 1, "one symbol's item per message");
        let data = &frame.data[0];
        if frame.kind == MessageType::Snapshot {
            let (precision, depth) = snapshot_shape(m);
            book = Some(L3Book::new(data.symbol.clone(), precision, depth));
            snapshots += 1;
        } else {
            updates += 1;
        }
        let book = book.as_mut().expect("a snapshot first");
        let verdict = book
            .apply_update(frame.kind, &Level3View::from(data))
            .unwrap();
        assert_eq!(
            verdict,
            Verification::Verified,
            "seq {}: {}",
            m.seq,
            m.payload
        );
    }
    Level3Replay {
        snapshots,
        updates,
        book: book.expect("at least one message"),
    }
}

/// A level3 book's price levels, each with its orders in queue order:
/// bids, then asks.
pub fn level3_orders(
    book: &kraki_proto::book::L3Book,
) -> (
    Vec<kraki_proto::book::L3Level>,
    Vec<kraki_proto::book::L3Level>,
) {
    (book.bids().collect(), book.asks().collect())
}

/// Trade ids of a trade subject; asserts one trade per message, each
/// stored once, with its id derived from the trade_id.
pub fn check_trades(messages: &[Stored]) -> Vec<u64> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for m in messages {
        let Ok(Inbound::Trade(frame)) = kraki_proto::decode(&m.payload) else {
            panic!("seq {}: not a trade frame: {}", m.seq, m.payload);
        };
        assert_eq!(frame.data.len(), 1, "one trade per message");
        let trade = &frame.data[0];
        assert_eq!(
            m.id.as_deref(),
            Some(format!("trade:{}:{}", trade.symbol, trade.trade_id).as_str())
        );
        assert!(
            seen.insert(trade.trade_id),
            "trade {} stored twice",
            trade.trade_id
        );
        ids.push(trade.trade_id);
    }
    ids
}

/// The last counters line a relay printed, as (name, value) pairs.
pub fn last_counters(stderr: &str) -> std::collections::HashMap<String, u64> {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("kraki relay: received"))
        .unwrap_or_else(|| panic!("no counters line in:\n{stderr}"));
    let words: Vec<&str> = line
        .trim_start_matches("kraki relay: ")
        .split(' ')
        .collect();
    words
        .chunks(2)
        .map(|pair| (pair[0].to_owned(), pair[1].parse().unwrap()))
        .collect()
}

/// Creates the stream `KRAKI` as an operator might, with a duplicate
/// window of `window` (the relay uses an existing stream as it is).
pub fn create_stream_with_window(url: &str, window: Duration) {
    runtime().block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "KRAKI".to_owned(),
            subjects: vec!["kraki.>".to_owned()],
            duplicate_window: window,
            ..Default::default()
        })
        .await
        .unwrap();
    });
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET /metrics` from `addr`: the value of each sample line, by its name
/// and labels as written (e.g. `kraki_relay_dropped_total{channel="book"}`).
pub fn scrape(addr: &str) -> std::collections::HashMap<String, f64> {
    use std::io::Write;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut socket = loop {
        match TcpStream::connect(addr) {
            Ok(s) => break s,
            Err(e) => {
                assert!(Instant::now() < deadline, "metrics endpoint {addr}: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    socket
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    socket.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    let body = text.split_once("\r\n\r\n").unwrap().1;
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap();
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

/// Publishes `message` again on `subject` under the id `injected-…`, as
/// another publisher whose book is behind would: a stale snapshot.
pub fn inject(url: &str, subject: &str, message: &Stored) {
    runtime().block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut headers = async_nats::HeaderMap::new();
        for (name, value) in &message.headers {
            if name != "Nats-Msg-Id" {
                headers.insert(name.as_str(), value.as_str());
            }
        }
        headers.insert("Nats-Msg-Id", format!("injected-{}", message.seq).as_str());
        js.publish_with_headers(subject.to_owned(), headers, message.payload.clone().into())
            .await
            .unwrap()
            .await
            .unwrap();
    });
}
