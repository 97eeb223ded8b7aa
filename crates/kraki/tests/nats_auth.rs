//! The relay and its consumers against a real nats-server that wants TLS
//! (a CA of the test's own, then mutual TLS), NKEY authentication, or the
//! URL's password or token: the relay publishes and a consumer reads with
//! the same options and URL; a client without the CA, the client
//! certificate, the key or the right password is refused with an error
//! that says why and shows no secret.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::nats_jwt::Operator;
use common::nats_server::NatsServer;
use common::pki::Pki;
use kraki::nats::{NatsBook, NatsError, NatsOptions, Relay, RelayConfig, Start, subscribe_with};
use kraki::proto::MessageType;
use kraki::{BookEvent, Client, Trades};
use kraki_sim::{SimHandle, Simulator};
use std::path::PathBuf;
use std::time::Duration;

/// A directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("kraki-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn trading_sim() -> (SimHandle, Client) {
    let sim = Simulator::builder().rate(300.0).spawn().await.unwrap();
    let client = common::public_client(&sim).await;
    (sim, client)
}

/// Starts a trade relay on `url` with `options`.
async fn relay(client: &Client, url: &str, options: &NatsOptions) -> Result<Relay, NatsError> {
    Relay::start(
        client,
        RelayConfig::new(url, ["trade"], ["BTC/USD"]).with_nats_options(options.clone()),
    )
    .await
}

/// Reads one relayed trade through `url` with `options`.
async fn one_trade_read(url: &str, options: &NatsOptions) {
    let trades = subscribe_with(url, options, Trades::new(["BTC/USD"]), Start::All)
        .await
        .unwrap();
    let update = tokio::time::timeout(Duration::from_secs(15), trades.next())
        .await
        .expect("a relayed trade within 15 s")
        .expect("subscription open");
    assert_eq!(update.trades[0].symbol.as_str(), "BTC/USD");
}

/// nats-server's `tls { … }` block for `pki`, asking for a client
/// certificate when `verify`.
fn tls_config(pki: &Pki, verify: bool) -> String {
    format!(
        "tls {{ cert_file: {:?}, key_file: {:?}, ca_file: {:?}, verify: {verify}, timeout: 5 }}",
        pki.server_cert, pki.server_key, pki.ca
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_with_the_tests_ca_the_relay_publishes_and_a_consumer_reads() {
    let dir = TempDir::new("nats-tls");
    let pki = Pki::generate(&dir.0);
    let Some(nats) = NatsServer::start_configured(&tls_config(&pki, false)) else {
        return;
    };
    let (_sim, client) = trading_sim().await;
    let url = format!("tls://127.0.0.1:{}", nats.port());
    let options = NatsOptions::new().ca_file(&pki.ca);

    // Without the CA the server's certificate is not trusted: a clear
    // refusal, not a hang.
    let refused = relay(&client, &url, &NatsOptions::new()).await.unwrap_err();
    assert!(matches!(refused, NatsError::Connect { .. }), "{refused}");
    assert!(
        refused
            .to_string()
            .contains("certificate is not signed by a trusted CA"),
        "{refused}"
    );
    // The consumer's connection (async-nats) says the same.
    let consumer = subscribe_with(
        &url,
        &NatsOptions::new(),
        Trades::new(["BTC/USD"]),
        Start::New,
    )
    .await
    .err()
    .unwrap();
    assert!(
        consumer
            .to_string()
            .contains("certificate is not signed by a trusted CA"),
        "{consumer}"
    );

    // The same when the server, not the URL, asks for TLS.
    let plain_url = format!("nats://127.0.0.1:{}", nats.port());
    let refused = relay(&client, &plain_url, &NatsOptions::new())
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("certificate is not signed by a trusted CA"),
        "{refused}"
    );

    let _relay = relay(&client, &url, &options).await.unwrap();
    one_trade_read(&url, &options).await;
    // nats:// with a CA given requires TLS too, of the same server.
    one_trade_read(&format!("nats://127.0.0.1:{}", nats.port()), &options).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_wants_the_client_certificate() {
    let dir = TempDir::new("nats-mtls");
    let pki = Pki::generate(&dir.0);
    let Some(nats) = NatsServer::start_configured(&tls_config(&pki, true)) else {
        return;
    };
    let (_sim, client) = trading_sim().await;
    let url = format!("nats://127.0.0.1:{}", nats.port());

    let without = NatsOptions::new().ca_file(&pki.ca);
    let refused = tokio::time::timeout(Duration::from_secs(30), relay(&client, &url, &without))
        .await
        .expect("refused within 30 s")
        .unwrap_err();
    assert!(matches!(refused, NatsError::Connect { .. }), "{refused}");
    assert!(
        refused.to_string().contains("wants a client certificate"),
        "{refused}"
    );

    let with = without.client_cert(&pki.client_cert, &pki.client_key);
    let _relay = relay(&client, &url, &with).await.unwrap();
    one_trade_read(&url, &with).await;
    let shown = format!("{with:?} {refused:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_nkey_user_publishes_and_reads_and_others_are_refused() {
    let dir = TempDir::new("nats-nkey");
    let user = nkeys::KeyPair::new_user();
    let seed = user.seed().unwrap();
    let config = format!(
        "authorization {{ users = [ {{ nkey: {:?} }} ] }}",
        user.public_key()
    );
    let Some(nats) = NatsServer::start_configured(&config) else {
        return;
    };
    let (_sim, client) = trading_sim().await;
    let url = format!("nats://127.0.0.1:{}", nats.port());
    let options = NatsOptions::new().nkey_file(dir.file("user.nk", &format!("{seed}\n")));

    let _relay = relay(&client, &url, &options).await.unwrap();
    // The consumers' connection is async-nats's, signing the nonce with
    // kraki's signer (it is never given the seed).
    one_trade_read(&url, &options).await;

    // No key, or another user's: refused by the server, the relay and a
    // consumer alike, and the seed is nowhere in what the error or the
    // options show.
    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    let other = NatsOptions::new().nkey_file(dir.file("other.nk", &stranger));
    for options in [NatsOptions::new(), other] {
        let refused = relay(&client, &url, &options).await.unwrap_err();
        let consumer = subscribe_with(&url, &options, Trades::new(["BTC/USD"]), Start::New)
            .await
            .err()
            .unwrap();
        for refused in [refused, consumer] {
            refused_hiding(
                &refused,
                &format!("{options:?}"),
                &[&seed[2..], &stranger[2..]],
            );
        }
    }
}

/// `refused` is the server's refusal of the login, and neither it nor
/// `context` (the options it was made with) shows any of `secrets`.
fn refused_hiding(refused: &NatsError, context: &str, secrets: &[&str]) {
    assert!(matches!(refused, NatsError::Connect { .. }), "{refused}");
    assert!(
        refused.to_string().to_lowercase().contains("authoriz"),
        "{refused}"
    );
    let shown = format!("{refused} {refused:?} {context}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{shown}");
    }
}

/// The first `n` messages `book` applies: their kind, whether they
/// verified, and whether the computed checksum is the stated one.
async fn applied(book: &NatsBook, n: usize) -> Vec<(MessageType, bool, bool)> {
    let mut applied = Vec::new();
    while applied.len() < n {
        let event = tokio::time::timeout(Duration::from_secs(20), book.next_event())
            .await
            .expect("a relayed book message within 20 s")
            .expect("book open");
        if let BookEvent::Applied {
            kind,
            ok,
            checksum,
            computed,
            ..
        } = event
        {
            applied.push((kind, ok, checksum == computed));
        }
    }
    applied
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_password_or_token_logs_the_relay_and_a_book_reader_in() {
    // The right credentials (the password percent-encoded, decoded alike
    // by the publisher and async-nats), and wrong ones.
    for (config, good, wrong) in [
        (
            r#"authorization { user: desk, password: "hunter2" }"#,
            "desk:hunter%32",
            "desk:wr0ng-hunter3",
        ),
        (
            r#"authorization { token: "s3cret" }"#,
            "s3cret",
            "wr0ng-s3cret",
        ),
    ] {
        let Some(nats) = NatsServer::start_configured(config) else {
            return;
        };
        let (_sim, client) = trading_sim().await;
        let url = format!("nats://{good}@127.0.0.1:{}", nats.port());
        let options = NatsOptions::new();
        let relay = Relay::start(
            &client,
            RelayConfig::new(&url, ["book"], ["BTC/USD"]).with_nats_options(options.clone()),
        )
        .await
        .unwrap();
        // The reader's connection is async-nats's, given the URL's
        // credentials by kraki.
        let book = NatsBook::open_with(&url, &options, "BTC/USD")
            .await
            .unwrap();
        let first = applied(&book, 3).await;
        assert_eq!(first[0].0, MessageType::Snapshot, "{first:?}");
        assert!(first.iter().all(|&(_, ok, same)| ok && same), "{first:?}");
        assert!(book.state().verified >= 3, "{:?}", book.state().status);

        // With an NKEY as well, which this server lists for nobody, both
        // are sent, as the publisher sends both, and the server checks
        // the password or token it asks for.
        let dir = TempDir::new("nats-url-and-nkey");
        let seed = nkeys::KeyPair::new_user().seed().unwrap();
        let with_nkey = NatsOptions::new().nkey_file(dir.file("user.nk", &seed));
        let book = NatsBook::open_with(&url, &with_nkey, "BTC/USD")
            .await
            .unwrap();
        assert!(applied(&book, 1).await[0].1);

        // A wrong password or token: the server refuses the relay and
        // the reader, and neither error shows the secret.
        let wrong_url = format!("nats://{wrong}@127.0.0.1:{}", nats.port());
        let refused = Relay::start(&client, RelayConfig::new(&wrong_url, ["book"], ["BTC/USD"]))
            .await
            .unwrap_err();
        let reader = NatsBook::open_with(&wrong_url, &options, "BTC/USD")
            .await
            .err()
            .unwrap();
        for refused in [refused, reader] {
            refused_hiding(&refused, "", &["wr0ng", "hunter", "s3cret"]);
            assert!(
                refused
                    .to_string()
                    .to_lowercase()
                    .contains("authorization violation"),
                "{refused}"
            );
        }
        let shown = format!("{relay:?}");
        assert!(
            !shown.contains("hunter") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_with_an_nkey_the_relay_reconnects_after_a_server_restart() {
    let dir = TempDir::new("nats-tls-nkey");
    let pki = Pki::generate(&dir.0);
    let user = nkeys::KeyPair::new_user();
    let config = format!(
        "{}\nauthorization {{ users = [ {{ nkey: {:?} }} ] }}",
        tls_config(&pki, false),
        user.public_key()
    );
    let Some(mut nats) = NatsServer::start_configured(&config) else {
        return;
    };
    let (_sim, client) = trading_sim().await;
    let url = format!("tls://127.0.0.1:{}", nats.port());
    let seed = user.seed().unwrap();
    let options = NatsOptions::new()
        .ca_file(&pki.ca)
        .nkey_file(dir.file("user.nk", &seed));
    let relay = relay(&client, &url, &options).await.unwrap();
    one_trade_read(&url, &options).await;

    // The publisher's new connection does TLS and signs the new nonce
    // again: it reconnects, and publishes again.
    tokio::task::block_in_place(|| nats.restart());
    let before = relay.counters().snapshot().published;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = relay.counters().snapshot();
        if now.nats_reconnects >= 1 && now.published > before {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reconnect and publish within 30 s: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    one_trade_read(&url, &options).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creds_user_of_the_tests_operator_publishes_and_reads() {
    let dir = TempDir::new("nats-creds");
    let operator = Operator::new();
    let Some(nats) = NatsServer::start_configured(&operator.server_config) else {
        return;
    };
    let (_sim, client) = trading_sim().await;
    let url = format!("nats://127.0.0.1:{}", nats.port());
    let options = NatsOptions::new().creds_file(dir.file("user.creds", &operator.creds));

    let relay_started = relay(&client, &url, &options).await.unwrap();
    one_trade_read(&url, &options).await;
    let shown = format!("{relay_started:?} {options:?}");
    assert!(!shown.contains(&operator.user_seed[2..]), "{shown}");

    // Without the credentials the operator's server lets nobody in.
    let refused = relay(&client, &url, &NatsOptions::new()).await.unwrap_err();
    assert!(
        refused.to_string().to_lowercase().contains("authorization"),
        "{refused}"
    );
}

#[tokio::test]
async fn bad_files_are_refused_before_connecting_naming_the_file() {
    let dir = TempDir::new("nats-badfiles");
    let (_sim, client) = trading_sim().await;
    // Nothing listens here: an error about the files must come first.
    let url = "nats://127.0.0.1:1";
    let seed = nkeys::KeyPair::new_user().seed().unwrap();
    let cases = [
        (
            NatsOptions::new().ca_file(dir.0.join("missing-ca.pem")),
            "missing-ca.pem",
        ),
        (
            NatsOptions::new().ca_file(dir.file("junk.pem", "hello")),
            "no PEM certificate",
        ),
        (
            NatsOptions::new().nkey_file(dir.file("cut.nk", &seed[..30])),
            "cut.nk",
        ),
        (
            NatsOptions::new().creds_file(dir.file("seed-only.creds", &seed)),
            "no user JWT",
        ),
        (
            NatsOptions::new()
                .creds_file(dir.file("a.creds", ""))
                .nkey_file(dir.file("a.nk", "")),
            "not both",
        ),
    ];
    for (options, why) in cases {
        let checked = options.check().unwrap_err();
        assert!(checked.to_string().contains(why), "{checked}");
        let refused = relay(&client, url, &options).await.unwrap_err();
        assert!(matches!(refused, NatsError::Options(_)), "{refused}");
        assert!(refused.to_string().contains(why), "{refused}");
        assert!(!refused.to_string().contains(&seed[2..30]), "{refused}");
        let consumer = subscribe_with(url, &options, Trades::new(["BTC/USD"]), Start::New)
            .await
            .err()
            .unwrap();
        assert!(matches!(consumer, NatsError::Options(_)), "{consumer}");
    }
}
