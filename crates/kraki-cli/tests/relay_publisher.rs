//! The relay's own NATS publisher against a real nats-server, seen
//! through a loopback proxy that reads every frame both ways and can
//! hold back JetStream's answers: an ack that never comes, or comes
//! too late, is answered by the same message sent again with the same
//! `Nats-Msg-Id`, which JetStream stores once; and the publisher's
//! `PING`s come as often as `--nats-ping-interval` says.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::Sim;
use common::nats::{Nats, Relay, check_book_feed, last_counters, read_subject, scrape, wait_for};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BOOK: &str = "kraki.book.BTC_USD";

/// One frame of the NATS protocol: its control line, and the bytes after
/// it for a (H)PUB or (H)MSG.
#[derive(Debug, Clone)]
struct Frame {
    line: String,
    body: Vec<u8>,
}

impl Frame {
    fn fields(&self) -> Vec<&str> {
        self.line.split_ascii_whitespace().collect()
    }

    fn header(&self, name: &str) -> Option<String> {
        let fields = self.fields();
        let header_len: usize = match fields[0] {
            "HPUB" | "HMSG" => fields[fields.len() - 2].parse().unwrap(),
            _ => return None,
        };
        let block = std::str::from_utf8(&self.body[..header_len]).unwrap();
        block.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|v| v.strip_prefix(": "))
                .map(str::to_owned)
        })
    }

    fn payload(&self) -> String {
        let fields = self.fields();
        let header_len: usize = match fields[0] {
            "HPUB" | "HMSG" => fields[fields.len() - 2].parse().unwrap(),
            _ => 0,
        };
        String::from_utf8_lossy(&self.body[header_len..]).into_owned()
    }
}

/// Splits the first whole frame off `buf`.
fn split(buf: &mut Vec<u8>) -> Option<(Frame, Vec<u8>)> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    let line = String::from_utf8_lossy(&buf[..end]).into_owned();
    let op = line
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let body_len = match op.as_str() {
        "PUB" | "HPUB" | "MSG" | "HMSG" => {
            line.split(' ')
                .next_back()
                .unwrap()
                .parse::<usize>()
                .unwrap()
                + 2
        }
        _ => 0,
    };
    let total = end + 2 + body_len;
    if buf.len() < total {
        return None;
    }
    let raw: Vec<u8> = buf.drain(..total).collect();
    let body = if body_len > 0 {
        raw[end + 2..total - 2].to_vec()
    } else {
        Vec::new()
    };
    Some((Frame { line, body }, raw))
}

/// What the proxy saw on the publisher's connection.
#[derive(Default)]
struct Seen {
    /// Publishes, in order.
    published: Vec<Frame>,
    /// Acks delivered, in order.
    acks: Vec<Frame>,
    /// The ack held back, and the time it was.
    held: Option<(Frame, Instant)>,
    /// When the publisher sent each `PING`.
    pings: Vec<Instant>,
}

/// What to do with the `nth` ack on the publisher's connection.
#[derive(Clone, Copy)]
enum Hold {
    /// Never delivered.
    Drop,
    /// Delivered this much later.
    Delay(Duration),
}

struct AckProxy {
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

impl AckProxy {
    fn start(nats_port: u16, nth: usize, hold: Hold) -> AckProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", nats_port)) else {
                    return;
                };
                let publisher = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (seen_up, publisher_up) = (shared.clone(), publisher.clone());
                std::thread::spawn(move || upstream(c2, s2, &publisher_up, &seen_up));
                let seen_down = shared.clone();
                std::thread::spawn(move || {
                    downstream(server, client, &publisher, &seen_down, nth, hold)
                });
            }
        });
        AckProxy { port, seen }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

/// Client to server: every frame passed on; the publisher's connection
/// (named in its CONNECT) is marked, and its publishes recorded.
fn upstream(
    mut from: TcpStream,
    mut to: TcpStream,
    publisher: &std::sync::atomic::AtomicBool,
    seen: &Mutex<Seen>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let n = match from.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Some((frame, raw)) = split(&mut buf) {
            if frame.line.starts_with("CONNECT ") && frame.line.contains("\"name\":\"kraki relay\"")
            {
                publisher.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            if publisher.load(std::sync::atomic::Ordering::SeqCst) {
                if frame.line.starts_with("HPUB ") {
                    seen.lock().unwrap().published.push(frame);
                } else if frame.line == "PING" {
                    seen.lock().unwrap().pings.push(Instant::now());
                }
            }
            if to.write_all(&raw).is_err() {
                return;
            }
        }
    }
}

/// Server to client: every frame passed on, but the `nth` ack (a MSG on
/// an inbox) to the publisher is held back as `hold` says.
fn downstream(
    mut from: TcpStream,
    to: TcpStream,
    publisher: &std::sync::atomic::AtomicBool,
    seen: &Mutex<Seen>,
    nth: usize,
    hold: Hold,
) {
    let to = Arc::new(Mutex::new(to));
    let mut acks = 0;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let n = match from.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Some((frame, raw)) = split(&mut buf) {
            let is_ack = publisher.load(std::sync::atomic::Ordering::SeqCst)
                && frame.line.starts_with("MSG _INBOX.");
            if is_ack {
                acks += 1;
                if acks == nth {
                    seen.lock().unwrap().held = Some((frame, Instant::now()));
                    if let Hold::Delay(delay) = hold {
                        let to = to.clone();
                        std::thread::spawn(move || {
                            std::thread::sleep(delay);
                            let _ = to.lock().unwrap().write_all(&raw);
                        });
                    }
                    continue;
                }
                seen.lock().unwrap().acks.push(frame);
            }
            if to.lock().unwrap().write_all(&raw).is_err() {
                return;
            }
        }
    }
}

/// The reply subject's `<inbox>.<subject index>.` prefix and attempt.
fn reply_parts(reply: &str) -> Option<(String, u32)> {
    let (prefix, attempt) = reply.rsplit_once('.')?;
    Some((format!("{prefix}."), attempt.parse().ok()?))
}

/// A publish's reply subject (a kept snapshot has none).
fn reply_of(publish: &Frame) -> Option<String> {
    let fields = publish.fields();
    (fields.len() == 5).then(|| fields[2].to_owned())
}

/// The ack that never came (or came too late) is answered by the same
/// message sent again: same subject, same `Nats-Msg-Id`, a later
/// attempt; JetStream answers it as a duplicate of the sequence the
/// held ack named, and the stream holds the message once.
fn held_ack_is_resent_with_the_same_id(hold: Hold) {
    let Some(nats) = Nats::start() else { return };
    let sim = Sim::start();
    let proxy = AckProxy::start(nats.port, 12, hold);
    let mut relay = Relay::start(&proxy.url(), sim.public_url(), &[]);
    let deadline = Instant::now() + Duration::from_secs(40);
    let (original, resend, answer) = loop {
        assert!(Instant::now() < deadline, "no resend answered within 40 s");
        std::thread::sleep(Duration::from_millis(200));
        let seen = proxy.seen.lock().unwrap();
        let Some((held, _)) = &seen.held else {
            continue;
        };
        let held_reply = held.fields()[1].to_owned();
        let (prefix, attempt) = reply_parts(&held_reply).unwrap();
        let Some(original) = seen
            .published
            .iter()
            .find(|p| reply_of(p).as_deref() == Some(held_reply.as_str()))
            .cloned()
        else {
            continue;
        };
        let Some(resend) = seen
            .published
            .iter()
            .find(|p| {
                reply_of(p)
                    .and_then(|r| reply_parts(&r))
                    .is_some_and(|(p_prefix, p_attempt)| p_prefix == prefix && p_attempt > attempt)
            })
            .cloned()
        else {
            continue;
        };
        let resend_reply = reply_of(&resend).unwrap();
        let Some(answer) = seen
            .acks
            .iter()
            .find(|a| a.fields()[1] == resend_reply)
            .cloned()
        else {
            continue;
        };
        break (original, resend, answer);
    };
    let (held, held_at) = proxy.seen.lock().unwrap().held.clone().unwrap();
    if let Hold::Delay(delay) = hold {
        // The late ack reaches the relay, which must take it for what it
        // is (the answer to an attempt given up on) and carry on.
        let acks = proxy.seen.lock().unwrap().acks.len();
        std::thread::sleep(
            (held_at + delay + Duration::from_millis(500))
                .saturating_duration_since(Instant::now()),
        );
        let later = Instant::now() + Duration::from_secs(10);
        while proxy.seen.lock().unwrap().acks.len() < acks + 20 {
            assert!(
                Instant::now() < later,
                "the relay stopped after the late ack"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let stderr = relay.interrupt();
    if std::env::var("DEBUG_PROXY").is_ok() {
        let seen = proxy.seen.lock().unwrap();
        for p in &seen.published {
            eprintln!("PUB {} {:?}", p.line, p.header("Nats-Msg-Id"));
        }
        for a in &seen.acks {
            eprintln!("ACK {} {}", a.line, a.payload());
        }
        eprintln!("HELD {} {}", held.line, held.payload());
    }
    let id = original.header("Nats-Msg-Id").unwrap();
    assert_eq!(resend.header("Nats-Msg-Id").as_deref(), Some(id.as_str()));
    assert_eq!(original.fields()[1], resend.fields()[1], "the same subject");
    assert_eq!(original.body, resend.body, "the same headers and payload");
    // JetStream stored it when first sent: the held ack names its
    // sequence, and the resend's ack names it again as a duplicate.
    let held_ack: serde_json::Value = serde_json::from_str(&held.payload()).unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answer.payload()).unwrap();
    assert_eq!(answer["seq"], held_ack["seq"], "{answer} after {held_ack}");
    assert_eq!(answer["duplicate"], true, "{answer}");
    assert!(
        held_at.elapsed() >= Duration::from_secs(2),
        "the resend waited for the ack deadline"
    );
    let subject = original.fields()[1].to_owned();
    let stored = read_subject(&nats.url(), "KRAKI", &subject);
    let copies = stored
        .iter()
        .filter(|m| m.id.as_deref() == Some(id.as_str()))
        .count();
    assert_eq!(copies, 1, "{subject} holds {id} once");
    if subject == BOOK {
        check_book_feed(&stored);
    }
    assert!(stderr.contains("no ack from JetStream in time"), "{stderr}");
    let counters = last_counters(&stderr);
    assert!(counters["duplicates"] >= 1, "{stderr}");
    assert!(counters["publish-errors"] >= 1, "{stderr}");
}

#[test]
fn a_lost_ack_is_answered_by_a_resend_stored_once() {
    held_ack_is_resent_with_the_same_id(Hold::Drop);
}

#[test]
fn a_late_ack_is_ignored_and_the_resend_stored_once() {
    held_ack_is_resent_with_the_same_id(Hold::Delay(Duration::from_secs(3)));
}

/// With `--coalesce`, the relay reads, verifies and publishes in passes
/// a few milliseconds apart: the same valid feed, every message once.
#[test]
fn a_coalescing_relay_publishes_the_same_valid_feed() {
    let Some(nats) = Nats::start() else { return };
    let sim = Sim::start();
    let mut relay = Relay::start(&nats.url(), sim.public_url(), &["--coalesce", "2000"]);
    let book = wait_for(&nats.url(), BOOK, 40);
    let stderr = relay.interrupt();
    let feed = check_book_feed(&book);
    assert!(feed.snapshots >= 1 && feed.updates >= 30, "{feed:?}");
    let counters = last_counters(&stderr);
    assert!(counters["published"] >= 40, "{stderr}");
    assert_eq!(counters["publish-errors"], 0, "{stderr}");
}

/// A pair busier than one message per pass is not left behind: while a
/// subject holds more than a few messages, the coalescing relay sleeps a
/// millisecond instead of its period, and the subject sends a message
/// per ack until it catches up.
#[test]
fn a_coalescing_relay_keeps_up_with_a_busy_pair() {
    let Some(nats) = Nats::start() else { return };
    let sim = Sim::start_at(3000);
    let metrics = format!("127.0.0.1:{}", common::nats::free_port());
    // 100 ms passes: one message per pass would be ten a second.
    let mut relay = Relay::start(
        &nats.url(),
        sim.public_url(),
        &["--coalesce", "100000", "--metrics", &metrics],
    );
    wait_for(&nats.url(), BOOK, 10);
    std::thread::sleep(Duration::from_secs(4));
    let now = scrape(&metrics);
    let stderr = relay.interrupt();
    let of = |name: &str, channel: &str| now[&format!("{name}{{channel=\"{channel}\"}}")];
    let book = |name: &str| of(name, "book");
    let (verified, published) = (
        book("kraki_relay_verified_total"),
        book("kraki_relay_published_total"),
    );
    // Far busier than ten a second, and published as fast.
    assert!(verified >= 200.0, "{now:?}");
    assert!(published >= verified * 0.8, "{now:?}");
    assert!(book("kraki_relay_buffered") < 100.0, "{now:?}");
    // One message per trade: the busiest subject of all.
    let trades = of("kraki_relay_received_total", "trade");
    let stored =
        of("kraki_relay_published_total", "trade") + of("kraki_relay_duplicates_total", "trade");
    assert!(trades >= 100.0 && stored >= trades * 0.8, "{now:?}");
    // Whether a pair is behind is a gauge of its own.
    assert!(book("kraki_relay_pairs_behind") <= 1.0, "{now:?}");
    let counters = last_counters(&stderr);
    assert_eq!(counters["dropped"], 0, "{stderr}");
}

/// Ctrl-C, or the SIGTERM of a service manager, ends the relay only once
/// what it had queued is stored: with 100 ms passes, a tenth of a second
/// of a busy pair's messages is always waiting, and none of it is lost.
#[test]
fn an_interrupted_relay_stores_what_it_had_queued() {
    for signal in ["-INT", "-TERM"] {
        stops_storing_what_was_queued(signal);
    }
}

fn stops_storing_what_was_queued(signal: &str) {
    let Some(nats) = Nats::start() else { return };
    let sim = Sim::start_at(3000);
    let mut relay = Relay::start(&nats.url(), sim.public_url(), &["--coalesce", "100000"]);
    wait_for(&nats.url(), BOOK, 50);
    let stderr = relay.stop_with(signal);
    let c = last_counters(&stderr);
    assert_eq!(
        c["dropped"] + c["mismatched"] + c["conflicts"],
        0,
        "{stderr}"
    );
    // Every book item verified and every trade received went into a
    // message JetStream acked (a trade already stored counts as a
    // duplicate).
    assert_eq!(c["published"] + c["duplicates"], c["received"], "{stderr}");
    assert_eq!(c["pairs-behind"], 0, "{stderr}");
    let stored = read_subject(&nats.url(), "KRAKI", BOOK).len()
        + read_subject(&nats.url(), "KRAKI", "kraki.trade.BTC_USD").len();
    assert_eq!(stored as u64, c["published"], "{stderr}");
}

/// `--nats-ping-interval 0.2`: the publisher's `PING`s, which find out a
/// server gone silent, come every 0.2 s instead of every 20 s.
#[test]
fn the_publisher_pings_every_nats_ping_interval() {
    let Some(nats) = Nats::start() else { return };
    let sim = Sim::start();
    let proxy = AckProxy::start(nats.port, usize::MAX, Hold::Drop);
    let mut relay = Relay::start(
        &proxy.url(),
        sim.public_url(),
        &["--nats-ping-interval", "0.2"],
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    let pings = loop {
        std::thread::sleep(Duration::from_millis(200));
        let pings = proxy.seen.lock().unwrap().pings.clone();
        // The handshake's PING, then ten of the interval's.
        if pings.len() > 10 {
            break pings;
        }
        assert!(
            Instant::now() < deadline,
            "{} PINGs within 40 s",
            pings.len()
        );
    };
    relay.interrupt();
    let mut gaps: Vec<Duration> = pings[1..].windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    let median = gaps[gaps.len() / 2];
    assert!(
        median >= Duration::from_millis(150) && median <= Duration::from_millis(500),
        "{gaps:?}"
    );
}
