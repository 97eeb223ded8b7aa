//! Books read from NATS count through the `metrics` facade as books read
//! from a WebSocket do, under the same names, told apart by the `source`
//! label (features `nats` and `metrics`). A relay and its consumers run
//! in this one process against a paused simulator and a real
//! nats-server, so both kinds of book count into the one recorder: the
//! consumers' counts must equal what their own states say, and the
//! relay's must stay apart. One test per binary: the recorder is global.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::demo;
use common::nats_server::NatsServer;
use common::recorder::Counts;
use kraki::nats::{NatsBook, Relay, RelayConfig};
use kraki::{BookState, BookStatus, Client, VerifiedBook};
use kraki_sim::{SimHandle, Simulator};
use std::time::Duration;

const BOOK: &str = "kraki.book.BTC_USD";
const LEVEL3: &str = "kraki.level3.BTC_USD";

/// The checksum a stored book or level3 frame states.
fn stated_checksum(payload: &[u8]) -> u32 {
    let text = std::str::from_utf8(payload).unwrap();
    let key = r#""checksum":"#;
    let start = text.find(key).unwrap() + key.len();
    let digits = text[start..].find(|c: char| !c.is_ascii_digit()).unwrap();
    text[start..start + digits].parse().unwrap()
}

/// The subject's last stored message.
async fn last_stored(js: &async_nats::jetstream::Context, subject: &str) -> (u64, Vec<u8>) {
    let stream = js.get_stream("KRAKI").await.unwrap();
    let last = stream
        .get_last_raw_message_by_subject(subject)
        .await
        .unwrap();
    (last.sequence, last.payload.to_vec())
}

/// Waits until `book` stands where the subject ends, with nothing more
/// stored meanwhile (the simulator is paused), and returns its state.
async fn settled<B: VerifiedBook>(
    js: &async_nats::jetstream::Context,
    subject: &str,
    book: &NatsBook<B>,
    checksum: impl Fn(&B) -> u32,
) -> std::sync::Arc<BookState<B>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut previous = 0;
    loop {
        let (seq, payload) = last_stored(js, subject).await;
        let state = book.state();
        if seq == previous
            && state.status == BookStatus::Live
            && checksum(&state.book) == stated_checksum(&payload)
        {
            return state;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{subject}: the NATS book did not settle within 20 s: {:?}, verified {}",
            state.status,
            state.verified
        );
        previous = seq;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The subject's first message (its first snapshot) again, with a wrong
/// checksum, as a faulty publisher would store it: a consumer must
/// report the mismatch and wait for the next snapshot.
async fn inject_bad_snapshot(js: &async_nats::jetstream::Context, subject: &str) {
    let stream = js.get_stream("KRAKI").await.unwrap();
    let first = stream
        .get_first_raw_message_by_subject(subject, 1)
        .await
        .unwrap();
    let text = std::str::from_utf8(&first.payload).unwrap();
    assert!(text.contains(r#""type":"snapshot""#), "{text}");
    let checksum = stated_checksum(&first.payload);
    let bad = text.replacen(
        &format!(r#""checksum":{checksum}"#),
        &format!(r#""checksum":{}"#, checksum.wrapping_add(1)),
        1,
    );
    let mut headers = first.headers.clone();
    headers.insert("Nats-Msg-Id", format!("injected-{subject}").as_str());
    js.publish_with_headers(subject.to_owned(), headers, bad.into())
        .await
        .unwrap()
        .await
        .unwrap();
}

/// Waits until `book` has lost sync once.
async fn lost_sync<B: VerifiedBook>(book: &mut NatsBook<B>) {
    while book.state().resyncs == 0 {
        tokio::time::timeout(Duration::from_secs(10), book.changed())
            .await
            .expect("the bad snapshot reported within 10 s")
            .unwrap();
    }
}

async fn level3_client(sim: &SimHandle) -> Client {
    Client::builder()
        .level3_url(sim.level3_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .connect_level3()
        .await
        .unwrap()
}

/// The name of a book counter as the recorder shows it.
fn book_counter(name: &str, channel: &str, source: &str) -> String {
    format!("kraki_book_{name}_total{{channel={channel},source={source}}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_read_from_nats_count_verified_mismatched_and_resyncs_apart_from_the_relays() {
    let counts = Counts::install();
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let sim = Simulator::builder()
        .seed(11)
        .paused(true)
        .spawn()
        .await
        .unwrap();
    let public = common::public_client(&sim).await;
    let level3 = level3_client(&sim).await;
    let book_relay = Relay::start(&public, RelayConfig::new(nats.url(), ["book"], ["BTC/USD"]))
        .await
        .unwrap();
    let level3_relay = Relay::start(
        &level3,
        RelayConfig::new(nats.url(), ["level3"], ["BTC/USD"]),
    )
    .await
    .unwrap();
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());

    let mut book = NatsBook::open(&nats.url(), "BTC/USD").await.unwrap();
    let mut orders = kraki::nats::NatsLevel3Book::open_level3(&nats.url(), "BTC/USD")
        .await
        .unwrap();
    sim.advance(300).await;
    let l2 = settled(&js, BOOK, &book, |b| b.checksum()).await;
    let l3 = settled(&js, LEVEL3, &orders, |b| b.checksum()).await;
    assert!(
        l2.verified > 10 && l3.verified > 10,
        "{} {}",
        l2.verified,
        l3.verified
    );
    for (channel, verified) in [("book", l2.verified), ("level3", l3.verified)] {
        assert_eq!(
            counts.get(&book_counter("verified", channel, "nats")),
            verified
        );
    }

    // A bad snapshot on each subject: each consumer counts one mismatch
    // and one loss of sync; the relay's next update is refused (the bad
    // snapshot came after its last message), and its own snapshot, sent
    // with the pair's next update after that, brings the consumer back.
    inject_bad_snapshot(&js, BOOK).await;
    inject_bad_snapshot(&js, LEVEL3).await;
    lost_sync(&mut book).await;
    lost_sync(&mut orders).await;
    sim.advance(300).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while [&book_relay, &level3_relay]
        .iter()
        .any(|relay| relay.counters().snapshot().conflicts == 0)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no conflict within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sim.advance(300).await;
    let l2 = settled(&js, BOOK, &book, |b| b.checksum()).await;
    let l3 = settled(&js, LEVEL3, &orders, |b| b.checksum()).await;
    let relays = [
        ("book", book_relay.counters().by_channel()),
        ("level3", level3_relay.counters().by_channel()),
    ];
    for ((channel, state), (_, relay)) in [
        ("book", (l2.verified, l2.mismatches, l2.resyncs)),
        ("level3", (l3.verified, l3.mismatches, l3.resyncs)),
    ]
    .into_iter()
    .zip(&relays)
    {
        let (verified, mismatches, resyncs) = state;
        assert_eq!((mismatches, resyncs), (1, 1), "{channel}");
        let nats = |name| counts.get(&book_counter(name, channel, "nats"));
        assert_eq!(
            (nats("verified"), nats("mismatched"), nats("resyncs")),
            (verified, 1, 1),
            "{channel}: {:?}",
            counts.names()
        );
        // The relay's own book, fed by Kraken's WebSocket in this same
        // process, counts apart: every item it verified, nothing of the
        // bus's fault.
        let (_, stats) = relay.iter().find(|(c, _)| c == channel).unwrap();
        let websocket = |name| counts.get(&book_counter(name, channel, "websocket"));
        assert_eq!(
            (
                websocket("verified"),
                websocket("mismatched"),
                websocket("resyncs")
            ),
            (stats.verified, 0, 0),
            "{channel}: {:?}",
            counts.names()
        );
        assert!(stats.conflicts >= 1, "{channel}: {stats:?}");
    }
    drop((book, orders, book_relay, level3_relay));
    public.close().await;
    level3.close().await;
    sim.shutdown().await;
}
