//! `kraki relay` and `kraki book --nats` against a real nats-server and
//! the simulator, with faults on either side. Every test asserts on what a
//! consumer reads from JetStream.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::nats::{
    Nats, Relay, check_book_feed, check_trades, last_counters, read_subject, scrape, wait_for,
};
use common::{Sim, run};
use std::time::Duration;

const BOOK: &str = "kraki.book.BTC_USD";
const TRADES: &str = "kraki.trade.BTC_USD";

/// `kraki book BTC/USD --nats URL --json --count N` lines, each parsed.
fn nats_book(url: &str, count: u32) -> Vec<serde_json::Value> {
    nats_book_of("BTC/USD", url, count)
}

/// `kraki book SYMBOL --nats URL --json --count N` lines, each parsed.
fn nats_book_of(symbol: &str, url: &str, count: u32) -> Vec<serde_json::Value> {
    let (code, out, err) = run(&[
        "book",
        symbol,
        "--nats",
        url,
        "--json",
        "--count",
        &count.to_string(),
    ]);
    assert_eq!(code, 0, "kraki book --nats failed: {err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn relay_publishes_verified_frames_and_a_late_consumer_needs_no_kraken() {
    let Some(nats) = Nats::start() else { return };
    let mut sim = Sim::start();
    let mut relay = Relay::start(&nats.url(), sim.public_url(), &[]);
    let book = wait_for(&nats.url(), BOOK, 40);
    let feed = check_book_feed(&book);
    assert_eq!(feed.snapshots, 1, "one subscribe, one snapshot");
    assert!(feed.updates >= 39);
    // Kraken's frame shape, one symbol's item.
    assert!(
        book[1]
            .payload
            .starts_with(r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","#)
    );
    let trades = wait_for(&nats.url(), TRADES, 5);
    check_trades(&trades);

    // While the relay runs: the same lines as `kraki book` against Kraken.
    let lines = nats_book(&nats.url(), 5);
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["type"], "snapshot");
    assert!(
        lines
            .iter()
            .all(|l| l["ok"] == true && l["symbol"] == "BTC/USD"),
        "{lines:?}"
    );

    // Relay and exchange gone: a consumer starting now still gets a
    // verified book, from the kept snapshot alone.
    std::thread::sleep(Duration::from_millis(1500));
    let stderr = relay.interrupt();
    sim.interrupt();
    assert!(last_counters(&stderr)["published"] > 40, "{stderr}");
    let lines = nats_book(&nats.url(), 1);
    assert_eq!(lines[0]["type"], "snapshot");
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["checksum"], lines[0]["computed"]);
}

#[test]
fn relay_killed_and_restarted_leaves_a_valid_feed_without_duplicates() {
    let Some(nats) = Nats::start() else { return };
    let sim = Sim::start();
    let mut first = Relay::start(&nats.url(), sim.public_url(), &[]);
    let before = wait_for(&nats.url(), BOOK, 30).len();
    let trades_before = wait_for(&nats.url(), TRADES, 3).len();
    first.kill();
    std::thread::sleep(Duration::from_millis(300));
    let mut second = Relay::start(&nats.url(), sim.public_url(), &[]);
    let book = wait_for(&nats.url(), BOOK, before + 30);
    let stderr = second.interrupt();
    let feed = check_book_feed(&book);
    // The gap while no relay ran is explained by the restart's snapshot.
    assert!(feed.snapshots >= 2, "{feed:?}");
    assert!(feed.snapshot_seqs[1] > book[before - 1].seq);
    // The restarted relay's trade snapshot repeats trades already stored:
    // each is stored once.
    let trades = read_subject(&nats.url(), "KRAKI", TRADES);
    check_trades(&trades);
    assert!(trades.len() >= trades_before);
    assert!(last_counters(&stderr)["duplicates"] > 0, "{stderr}");
}

#[test]
fn two_relays_store_each_message_once() {
    let Some(nats) = Nats::start() else { return };
    let sim = Sim::start();
    let mut a = Relay::start(&nats.url(), sim.public_url(), &[]);
    let mut b = Relay::start(&nats.url(), sim.public_url(), &[]);
    wait_for(&nats.url(), BOOK, 120);
    let (err_a, err_b) = (a.interrupt(), b.interrupt());
    let book = read_subject(&nats.url(), "KRAKI", BOOK);
    let feed = check_book_feed(&book);
    assert!(feed.updates >= 100, "{feed:?}");
    check_trades(&read_subject(&nats.url(), "KRAKI", TRADES));
    // Both published: every message either stored by one or recognised
    // as stored by the other.
    let (ca, cb) = (last_counters(&err_a), last_counters(&err_b));
    assert!(ca["duplicates"] + cb["duplicates"] > 60, "{err_a}\n{err_b}");
    assert!(ca["verified"] > 60 && cb["verified"] > 60);
}

/// A NATS server, the simulator, and a relay between them with `args`
/// serving its metrics at the address returned; `None` as for
/// `Nats::start`.
fn relay_with_metrics(args: &[&str]) -> Option<(Nats, Sim, Relay, String)> {
    let nats = Nats::start()?;
    let sim = Sim::start();
    let metrics = format!("127.0.0.1:{}", common::nats::free_port());
    let mut args = args.to_vec();
    args.extend(["--metrics", &metrics]);
    let relay = Relay::start(&nats.url(), sim.public_url(), &args);
    Some((nats, sim, relay, metrics))
}

#[test]
fn nats_restart_reconnects_and_reports_what_it_dropped() {
    let Some((mut nats, _sim, mut relay, metrics)) = relay_with_metrics(&["--buffer", "20"]) else {
        return;
    };
    let before = wait_for(&nats.url(), BOOK, 20).len();
    let healthy = scrape(&metrics);
    assert!(
        healthy[r#"kraki_relay_published_total{channel="book"}"#] >= 20.0,
        "{healthy:?}"
    );
    assert!(healthy[r#"kraki_relay_verified_total{channel="book"}"#] >= 20.0);
    assert!(healthy[r#"kraki_relay_publish_latency_seconds_count{channel="book"}"#] >= 20.0);
    assert_eq!(healthy["kraki_relay_nats_reconnects_total"], 0.0);
    nats.kill();
    // Far more than 20 book updates arrive meanwhile.
    std::thread::sleep(Duration::from_millis(1500));
    let away = scrape(&metrics);
    assert!(
        away[r#"kraki_relay_dropped_total{channel="book"}"#] > 0.0,
        "{away:?}"
    );
    assert!(
        away[r#"kraki_relay_buffered{channel="book"}"#] > 0.0,
        "{away:?}"
    );
    nats.restart();
    let book = wait_for(&nats.url(), BOOK, before + 40);
    let back = scrape(&metrics);
    assert!(back["kraki_relay_nats_reconnects_total"] >= 1.0, "{back:?}");
    let stderr = relay.interrupt();
    let feed = check_book_feed(&book);
    assert!(
        feed.snapshots >= 2,
        "the drop must be followed by a snapshot: {feed:?}"
    );
    assert!(stderr.contains("buffer towards NATS full"), "{stderr}");
    assert!(
        stderr.contains("dropped messages, the subject resumes with a snapshot"),
        "{stderr}"
    );
    let counters = last_counters(&stderr);
    assert!(counters["dropped"] > 0, "{stderr}");
    assert!(counters["nats-reconnects"] >= 1, "{stderr}");
    assert!(stderr.contains("NATS connection lost"), "{stderr}");
}

#[test]
fn while_nats_is_away_the_relay_holds_no_more_than_buffer_bytes() {
    // The per-pair bound (10,000 messages) is far away: only the bytes
    // can bind.
    let Some((mut nats, _sim, mut relay, metrics)) = relay_with_metrics(&["--buffer-bytes", "8K"])
    else {
        return;
    };
    let before = wait_for(&nats.url(), BOOK, 20).len();
    assert!(scrape(&metrics)["kraki_relay_buffered_bytes"] < 8192.0);
    nats.kill();
    // Some 20 messages fit in 8 KiB; far more arrive meanwhile.
    std::thread::sleep(Duration::from_millis(2500));
    let away = scrape(&metrics);
    let dropped = away[r#"kraki_relay_dropped_total{channel="book"}"#]
        + away[r#"kraki_relay_dropped_total{channel="trade"}"#];
    assert!(dropped > 0.0, "{away:?}");
    let held = away["kraki_relay_buffered_bytes"];
    assert!(held > 4096.0 && held <= 8192.0, "{away:?}");
    nats.restart();
    let book = wait_for(&nats.url(), BOOK, before + 40);
    let stderr = relay.interrupt();
    let feed = check_book_feed(&book);
    assert!(
        feed.snapshots >= 2,
        "the drop is followed by a snapshot: {feed:?}"
    );
    assert!(stderr.contains("buffer towards NATS full"), "{stderr}");
    let counters = last_counters(&stderr);
    assert!(counters["dropped"] > 0, "{stderr}");
}

#[test]
fn kraken_cut_and_bad_checksum_reach_consumers_as_fresh_snapshots() {
    let Some(nats) = Nats::start() else { return };
    let mut sim = Sim::start_controlled(&[]);
    let mut relay = Relay::start(&nats.url(), sim.public_url(), &[]);
    let before = wait_for(&nats.url(), BOOK, 20).len();
    sim.command("cut");
    let after_cut = wait_for(&nats.url(), BOOK, before + 20);
    let feed = check_book_feed(&after_cut);
    assert!(feed.snapshots >= 2, "the reconnect's snapshot: {feed:?}");
    sim.command("corrupt BTC/USD");
    let count = after_cut.len();
    let book = wait_for(&nats.url(), BOOK, count + 20);
    let stderr = relay.interrupt();
    // The corrupted update was never published (every update verifies)
    // and the resync's snapshot follows.
    let feed = check_book_feed(&book);
    assert!(feed.snapshots >= 3, "{feed:?}");
    let counters = last_counters(&stderr);
    assert!(counters["mismatched"] >= 1, "{stderr}");
    assert!(counters["reconnects"] >= 1, "{stderr}");
}

#[test]
fn typed_subscriptions_read_from_nats_match_what_is_stored() {
    let Some(nats) = Nats::start() else { return };
    let sim = Sim::start();
    let mut relay = Relay::start(&nats.url(), sim.public_url(), &[]);
    let stored = wait_for(&nats.url(), TRADES, 10);
    let stored_ids = check_trades(&stored);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let read: Vec<u64> = runtime.block_on(async {
        let trades = kraki::nats::subscribe(
            &nats.url(),
            kraki::Trades::new(["BTC/USD"]),
            kraki::nats::Start::All,
        )
        .await
        .unwrap();
        let mut ids = Vec::new();
        while ids.len() < stored_ids.len() {
            let update = tokio::time::timeout(Duration::from_secs(10), trades.next())
                .await
                .expect("a trade within 10 s")
                .expect("subscription open");
            assert_eq!(update.trades.len(), 1, "one trade per message");
            assert_eq!(update.trades[0].symbol.as_str(), "BTC/USD");
            ids.push(update.trades[0].trade_id);
        }
        ids
    });
    relay.kill();
    // The same trades, in the stored order.
    assert_eq!(read, stored_ids);
}

#[test]
fn a_restart_after_the_duplicate_window_still_stores_each_trade_once() {
    let Some(nats) = Nats::start() else { return };
    common::nats::create_stream_with_window(&nats.url(), Duration::from_millis(500));
    let sim = Sim::start();
    let mut first = Relay::start(&nats.url(), sim.public_url(), &[]);
    let before = wait_for(&nats.url(), TRADES, 5).len();
    first.kill();
    // Past the window: message ids no longer catch the trade snapshot's
    // repeats.
    std::thread::sleep(Duration::from_millis(1000));
    let mut second = Relay::start(&nats.url(), sim.public_url(), &[]);
    wait_for(&nats.url(), BOOK, 60);
    let stderr = second.interrupt();
    let trades = read_subject(&nats.url(), "KRAKI", TRADES);
    let ids = check_trades(&trades);
    assert!(ids.len() >= before);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "trades in trade_id order: {ids:?}"
    );
    assert!(last_counters(&stderr)["duplicates"] > 0, "{stderr}");
}

#[test]
fn symbol_all_relays_every_online_pair_over_several_connections() {
    let Some(nats) = Nats::start() else {
        return;
    };
    let sim = Sim::start();
    let mut child = std::process::Command::new(common::KRAKI)
        .args([
            "relay",
            "ticker",
            "--symbol",
            "all",
            "--pairs-per-connection",
            "2",
        ])
        .args([
            "--nats",
            &nats.url(),
            "--url",
            sim.public_url(),
            "--report",
            "0",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    let symbols = loop {
        let stored = read_subject(&nats.url(), "KRAKI", "kraki.ticker.>");
        let symbols: std::collections::BTreeSet<String> = stored
            .iter()
            .map(|m| {
                let Ok(kraki_proto::Inbound::Ticker(t)) = kraki_proto::decode(&m.payload) else {
                    panic!("not a ticker frame: {}", m.payload);
                };
                assert_eq!(t.data.len(), 1);
                t.data[0].symbol.to_string()
            })
            .collect();
        if symbols.len() >= 6 || std::time::Instant::now() > deadline {
            break symbols;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    // The simulator's six pairs, each snapshot on its own subject, over
    // three connections of two pairs.
    assert_eq!(symbols.len(), 6, "{symbols:?}\n{stderr}");
    assert!(symbols.contains("BTC/USD"));
    assert!(
        stderr.contains("of 6 pairs") && stderr.contains("on 3 connection(s)"),
        "{stderr}"
    );
}

#[test]
fn level3_is_relayed_verified() {
    let Some(nats) = Nats::start() else {
        return;
    };
    let sim = Sim::start();
    let extra = [
        "--level3-url",
        sim.level3_url(),
        "--rest-url",
        sim.rest_url(),
    ];
    let mut relay = Relay::spawn(&["level3"], &nats.url(), sim.public_url(), &extra);
    let stored = wait_for(&nats.url(), "kraki.level3.BTC_USD", 30);
    // A checkpoint (the relay's own order book written as a snapshot)
    // is kept too, and verifies on its own.
    std::thread::sleep(Duration::from_millis(1200));
    let kept = read_subject(
        &nats.url(),
        "KRAKI_SNAPSHOTS",
        "kraki-snapshot.level3.BTC_USD",
    );
    assert_eq!(kept.len(), 1);
    let mut kept = kept[0].clone();
    kept.headers
        .push(("Nats-Msg-Id".to_owned(), "kept".to_owned()));
    kept.id = Some("kept".to_owned());
    assert_eq!(common::nats::check_level3_feed(&[kept]), (1, 0));
    let stderr = relay.interrupt();
    let (snapshots, updates) = common::nats::check_level3_feed(&stored);
    assert_eq!(snapshots, 1, "{stderr}");
    assert!(updates >= 29);
    assert!(last_counters(&stderr)["verified"] >= 30, "{stderr}");
}

/// The pairs the simulator's instrument channel calls online, as a
/// client reads them.
fn online_pairs(public_url: &str) -> std::collections::BTreeSet<String> {
    use futures_util::StreamExt;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = kraki::Client::builder()
            .public_url(public_url)
            .connect()
            .await
            .unwrap();
        let mut instruments = client.subscribe(kraki::Instrument::new()).await.unwrap();
        let pairs = loop {
            match instruments.next().await {
                Some(kraki::Event::Data(update)) => break update.data.pairs,
                Some(_) => {}
                None => panic!("no instrument snapshot"),
            }
        };
        client.close().await;
        pairs
            .iter()
            .filter(|p| p.status == kraki_proto::channels::PairStatus::Online)
            .map(|p| p.symbol.to_string())
            .collect()
    })
}

#[test]
fn symbol_all_gives_every_online_pair_a_verified_subject_and_a_synthetic_pair_reads_back() {
    let Some(nats) = Nats::start() else {
        return;
    };
    let mut sim = Sim::start_controlled(&["--pairs", "10"]);
    // One synthetic pair offline: `all` means the online ones only.
    sim.command("pair-status SYN004/USD maintenance");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let online = loop {
        let online = online_pairs(sim.public_url());
        if !online.contains("SYN004/USD") || std::time::Instant::now() > deadline {
            break online;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // The six and nine of the ten synthetic pairs.
    assert_eq!(online.len(), 15, "{online:?}");
    assert!(!online.contains("SYN004/USD"));
    let mut child = std::process::Command::new(common::KRAKI)
        .args(["relay", "book", "--symbol", "all", "--checkpoint", "1"])
        .args(["--pairs-per-connection", "8"])
        .args([
            "--nats",
            &nats.url(),
            "--url",
            sim.public_url(),
            "--report",
            "0",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    let mut subjects = std::collections::BTreeMap::<String, Vec<common::nats::Stored>>::new();
    while std::time::Instant::now() < deadline {
        subjects.clear();
        for m in read_subject(&nats.url(), "KRAKI", "kraki.book.>") {
            let Ok(kraki_proto::Inbound::Book(b)) = kraki_proto::decode(&m.payload) else {
                panic!("not a book frame: {}", m.payload);
            };
            subjects
                .entry(b.data[0].symbol.to_string())
                .or_default()
                .push(m);
        }
        let synthetic_with_updates = subjects
            .iter()
            .filter(|(s, ms)| s.starts_with("SYN") && ms.len() >= 3)
            .count();
        if subjects.len() == online.len() && synthetic_with_updates >= 5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    // While the relay runs, a consumer of one synthetic pair (its own
    // precision) gets a verified book from NATS alone.
    let lines = nats_book_of("SYN007/USD", &nats.url(), 3);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["type"], "snapshot", "{lines:?}");
    assert!(
        lines.iter().all(|l| l["ok"] == true
            && l["symbol"] == "SYN007/USD"
            && l["checksum"] == l["computed"]),
        "{lines:?}"
    );
    // Exactly the online pairs, each a valid verified feed that starts
    // with a snapshot (`check_book_feed` refuses an update before one).
    let relayed: std::collections::BTreeSet<String> = subjects.keys().cloned().collect();
    assert_eq!(relayed, online);
    let mut updates = 0;
    for messages in subjects.values() {
        let feed = check_book_feed(messages);
        assert_eq!(feed.snapshot_seqs.first(), Some(&messages[0].seq));
        updates += feed.updates;
    }
    assert!(updates >= 10, "{updates}");
}

#[test]
fn another_publishers_stale_snapshot_is_answered_with_a_fresh_one() {
    let Some(nats) = Nats::start() else {
        return;
    };
    let sim = Sim::start();
    let mut relay = Relay::start(&nats.url(), sim.public_url(), &[]);
    let before = wait_for(&nats.url(), BOOK, 20);
    // The first snapshot again, now stale: the relay's next update was
    // verified after its own last message, not after this one, so
    // JetStream must refuse it, and the relay answers with a snapshot of
    // its book. Without the expected sequence the update would land on
    // the stale book and fail to verify below.
    common::nats::inject(&nats.url(), BOOK, &before[0]);
    let book = wait_for(&nats.url(), BOOK, before.len() + 20);
    let stderr = relay.interrupt();
    let feed = check_book_feed(&book);
    assert!(feed.snapshots >= 3, "{feed:?}");
    assert!(last_counters(&stderr)["conflicts"] >= 1, "{stderr}");
}

const LEVEL3: &str = "kraki.level3.BTC_USD";

/// A level3 relay of BTC/USD on the simulator, with the demo account's
/// credentials.
fn level3_relay(nats: &Nats, sim: &Sim) -> Relay {
    let extra = [
        "--level3-url",
        sim.level3_url(),
        "--rest-url",
        sim.rest_url(),
    ];
    Relay::spawn(&["level3"], &nats.url(), sim.public_url(), &extra)
}

/// Waits until `book` has applied everything up to the order book
/// `reference` (its checksum), then returns its state.
fn caught_up(
    runtime: &tokio::runtime::Runtime,
    book: &mut kraki::nats::NatsLevel3Book,
    reference: &kraki_proto::book::L3Book,
) -> std::sync::Arc<kraki::Level3State> {
    runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let state = book.state();
            if state.status == kraki::BookStatus::Live
                && state.book.checksum() == reference.checksum()
            {
                return state;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the NATS level3 book did not catch up within 20 s: {:?}, verified {}, mismatches {}",
                state.status,
                state.verified,
                state.mismatches
            );
            let _ = tokio::time::timeout(Duration::from_millis(500), book.changed()).await;
        }
    })
}

/// Every event `book` has queued so far.
fn queued_events(
    runtime: &tokio::runtime::Runtime,
    book: &kraki::nats::NatsLevel3Book,
) -> Vec<kraki::BookEvent> {
    runtime.block_on(async {
        let mut events = Vec::new();
        while let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(100), book.next_event()).await
        {
            events.push(event);
        }
        events
    })
}

/// The snapshots among `events`, asserting that every applied message
/// verified and nothing asked for a resync.
fn verified_snapshots(events: &[kraki::BookEvent]) -> usize {
    let mut snapshots = 0;
    for event in events {
        match event {
            kraki::BookEvent::Applied { kind, ok, .. } => {
                assert!(ok, "a message failed to verify: {events:?}");
                if *kind == kraki_proto::MessageType::Snapshot {
                    snapshots += 1;
                }
            }
            other => panic!("unexpected event {other:?} in {events:?}"),
        }
    }
    snapshots
}

#[test]
fn a_late_level3_consumer_rebuilds_the_relays_order_book_order_by_order() {
    let Some(nats) = Nats::start() else {
        return;
    };
    let sim = Sim::start();
    let mut relay = level3_relay(&nats, &sim);
    let before = wait_for(&nats.url(), LEVEL3, 30).len();
    // A checkpoint of the relay's own book is kept meanwhile (every 1 s).
    std::thread::sleep(Duration::from_millis(1300));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut book = runtime
        .block_on(kraki::nats::NatsLevel3Book::open_level3(
            &nats.url(),
            "BTC/USD",
        ))
        .unwrap();
    wait_for(&nats.url(), LEVEL3, before + 40);
    let stderr = relay.interrupt();
    std::thread::sleep(Duration::from_millis(300));

    // The reference: the whole subject read from its start by the test.
    let stored = read_subject(&nats.url(), "KRAKI", LEVEL3);
    let whole = common::nats::replay_level3_feed(&stored);
    assert_eq!(whole.snapshots, 1, "{stderr}");
    let state = caught_up(&runtime, &mut book, &whole.book);
    assert_eq!(
        common::nats::level3_orders(&state.book),
        common::nats::level3_orders(&whole.book),
        "order by order"
    );
    assert_eq!(state.book.checksum(), whole.book.checksum());
    assert!(state.book.order_count() > 0);
    assert_eq!(state.mismatches, 0);
    // It started from the kept snapshot, not from the subject's start.
    assert!(
        (state.verified as usize) < stored.len(),
        "verified {} of {} stored",
        state.verified,
        stored.len()
    );
    let events = queued_events(&runtime, &book);
    assert_eq!(verified_snapshots(&events), 1, "{events:?}");
    assert!(matches!(
        events[0],
        kraki::BookEvent::Applied {
            kind: kraki_proto::MessageType::Snapshot,
            ..
        }
    ));

    // The relay's own book at the sequence it names, as kept, equals the
    // subject read up to that sequence.
    let kept = read_subject(
        &nats.url(),
        "KRAKI_SNAPSHOTS",
        "kraki-snapshot.level3.BTC_USD",
    );
    let mut kept = kept.last().unwrap().clone();
    let kept_seq: u64 = kept.header("Kraki-Seq").unwrap().parse().unwrap();
    kept.id = Some("kept".to_owned());
    let relays_own = common::nats::replay_level3_feed(&[kept]).book;
    let up_to: Vec<_> = stored
        .iter()
        .filter(|m| m.seq <= kept_seq)
        .cloned()
        .collect();
    let read_up_to = common::nats::replay_level3_feed(&up_to).book;
    assert_eq!(
        common::nats::level3_orders(&relays_own),
        common::nats::level3_orders(&read_up_to)
    );
    assert_eq!(relays_own.checksum(), read_up_to.checksum());
}

#[test]
fn a_level3_consumer_stays_verified_across_a_relay_restart() {
    let Some(nats) = Nats::start() else {
        return;
    };
    let sim = Sim::start();
    let mut first = level3_relay(&nats, &sim);
    let before = wait_for(&nats.url(), LEVEL3, 20).len();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut book = runtime
        .block_on(kraki::nats::NatsLevel3Book::open_level3(
            &nats.url(),
            "BTC/USD",
        ))
        .unwrap();
    first.kill();
    std::thread::sleep(Duration::from_millis(300));
    let mut second = level3_relay(&nats, &sim);
    wait_for(&nats.url(), LEVEL3, before + 30);
    let stderr = second.interrupt();
    std::thread::sleep(Duration::from_millis(300));

    let stored = read_subject(&nats.url(), "KRAKI", LEVEL3);
    let whole = common::nats::replay_level3_feed(&stored);
    assert!(
        whole.snapshots >= 2,
        "the restart's snapshot is stored: {stderr}"
    );
    let state = caught_up(&runtime, &mut book, &whole.book);
    assert_eq!(
        common::nats::level3_orders(&state.book),
        common::nats::level3_orders(&whole.book)
    );
    assert_eq!(state.mismatches, 0);
    assert_eq!(state.resyncs, 0);
    // The consumer's opening snapshot, then the restarted relay's: the gap
    // while no relay ran is explained by a snapshot, and nothing failed.
    let events = queued_events(&runtime, &book);
    assert!(verified_snapshots(&events) >= 2, "{events:?}");
}

/// `payload` with its checksum raised by one: a message that cannot
/// verify.
fn with_wrong_checksum(payload: &str) -> (String, u64) {
    let key = r#""checksum":"#;
    let start = payload.find(key).unwrap() + key.len();
    let digits = payload[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap();
    let checksum: u64 = payload[start..start + digits].parse().unwrap();
    let wrong = format!(
        "{}{}{}",
        &payload[..start],
        checksum + 1,
        &payload[start + digits..]
    );
    (wrong, checksum)
}

#[test]
fn a_level3_message_that_does_not_verify_is_reported_and_the_next_snapshot_recovers() {
    let Some(nats) = Nats::start() else {
        return;
    };
    let sim = Sim::start();
    let mut relay = level3_relay(&nats, &sim);
    let before = wait_for(&nats.url(), LEVEL3, 20);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut book = runtime
        .block_on(kraki::nats::NatsLevel3Book::open_level3(
            &nats.url(),
            "BTC/USD",
        ))
        .unwrap();
    runtime.block_on(async {
        while book.state().status != kraki::BookStatus::Live {
            tokio::time::timeout(Duration::from_secs(20), book.changed())
                .await
                .expect("live within 20 s")
                .unwrap();
        }
    });
    // Another publisher's snapshot with a wrong checksum: the consumer
    // must say so, and the relay (whose next update JetStream refuses)
    // answers with a snapshot of its own book, which the consumer takes.
    let mut bad = before[0].clone();
    let (payload, checksum) = with_wrong_checksum(&bad.payload);
    bad.payload = payload;
    common::nats::inject(&nats.url(), LEVEL3, &bad);
    // And the update that followed the snapshot: it would verify against
    // the bad snapshot's orders, but a book that lost sync takes nothing
    // before the next snapshot.
    assert!(before[1].payload.contains(r#""type":"update""#));
    let mut update = before[1].clone();
    update
        .headers
        .retain(|(name, _)| name != "Nats-Expected-Last-Subject-Sequence");
    common::nats::inject(&nats.url(), LEVEL3, &update);
    wait_for(&nats.url(), LEVEL3, before.len() + 20);
    let stderr = relay.interrupt();
    std::thread::sleep(Duration::from_millis(300));

    let stored = read_subject(&nats.url(), "KRAKI", LEVEL3);
    let injected = stored
        .iter()
        .position(|m| m.id.as_deref().is_some_and(|id| id.starts_with("injected")))
        .unwrap();
    let recovery = stored[injected..]
        .iter()
        .position(|m| {
            m.payload.contains(r#""type":"snapshot""#)
                && !m.id.as_deref().unwrap().starts_with("injected")
        })
        .map(|n| n + injected)
        .unwrap_or_else(|| panic!("no snapshot after the injected one: {stderr}"));
    let since = common::nats::replay_level3_feed(&stored[recovery..]);
    let state = caught_up(&runtime, &mut book, &since.book);
    assert_eq!(
        common::nats::level3_orders(&state.book),
        common::nats::level3_orders(&since.book)
    );
    assert_eq!((state.mismatches, state.resyncs), (1, 1));
    let events = queued_events(&runtime, &book);
    let failed = events
        .iter()
        .position(|e| matches!(e, kraki::BookEvent::Applied { ok: false, .. }))
        .unwrap_or_else(|| panic!("no mismatch reported: {events:?}"));
    assert!(
        matches!(
            &events[failed],
            kraki::BookEvent::Applied { kind: kraki_proto::MessageType::Snapshot, checksum: c, computed, .. }
                if u64::from(*c) == checksum + 1 && u64::from(*computed) == checksum
        ),
        "{:?}",
        events[failed]
    );
    let expected_reason = format!(
        "checksum mismatch: expected {}, computed {checksum}",
        checksum + 1
    );
    assert!(
        matches!(&events[failed + 1], kraki::BookEvent::Resyncing { reason } if *reason == expected_reason),
        "{:?}",
        events[failed + 1]
    );
    // Nothing applied until the next snapshot, which verifies.
    assert!(
        matches!(
            events[failed + 2],
            kraki::BookEvent::Applied {
                kind: kraki_proto::MessageType::Snapshot,
                ok: true,
                ..
            }
        ),
        "{events:?}"
    );
    assert!(
        events[failed + 2..]
            .iter()
            .all(|e| matches!(e, kraki::BookEvent::Applied { ok: true, .. })),
        "{events:?}"
    );
}

#[test]
fn a_kept_level3_snapshot_that_does_not_verify_is_reported_and_the_subject_read_from_its_start() {
    let Some(nats) = Nats::start() else {
        return;
    };
    let sim = Sim::start();
    let mut relay = level3_relay(&nats, &sim);
    wait_for(&nats.url(), LEVEL3, 20);
    std::thread::sleep(Duration::from_millis(1300));
    relay.kill();
    let kept_subject = "kraki-snapshot.level3.BTC_USD";
    let mut kept = read_subject(&nats.url(), "KRAKI_SNAPSHOTS", kept_subject)
        .pop()
        .expect("a kept checkpoint");
    // The kept book replaced by one whose checksum is wrong (one message
    // per subject is kept).
    let (payload, checksum) = with_wrong_checksum(&kept.payload);
    kept.payload = payload;
    common::nats::inject(&nats.url(), kept_subject, &kept);

    let stored = read_subject(&nats.url(), "KRAKI", LEVEL3);
    let whole = common::nats::replay_level3_feed(&stored);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut book = runtime
        .block_on(kraki::nats::NatsLevel3Book::open_level3(
            &nats.url(),
            "BTC/USD",
        ))
        .unwrap();
    let state = caught_up(&runtime, &mut book, &whole.book);
    assert_eq!(
        common::nats::level3_orders(&state.book),
        common::nats::level3_orders(&whole.book)
    );
    // The kept snapshot, then every stored message.
    assert_eq!(state.verified as usize, stored.len());
    assert_eq!((state.mismatches, state.resyncs), (1, 1));
    let events = queued_events(&runtime, &book);
    assert!(
        matches!(
            &events[0],
            kraki::BookEvent::Applied { kind: kraki_proto::MessageType::Snapshot, ok: false, checksum: c, .. }
                if u64::from(*c) == checksum + 1
        ),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], kraki::BookEvent::Resyncing { reason } if reason.starts_with("checksum mismatch")),
        "{events:?}"
    );
    assert_eq!(verified_snapshots(&events[2..]), whole.snapshots);
}
