//! `kraki relay` and `kraki book --nats` against a NATS server that wants
//! an NKEY user, the URL's password or token, or TLS with a CA of the
//! test's own, and the `--nats-…` flags' bad files refused before
//! anything connects, naming the file and never what it holds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::nats::{Nats, Relay};
use common::pki::Pki;
use common::{KRAKI, Sim, run};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A directory of the test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("kraki-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `kraki ARGS…` with its exit code, stdout and stderr, killed when it
/// has not ended within `within`.
fn run_within(args: &[&str], within: Duration) -> (Option<i32>, String, String) {
    let child = Command::new(KRAKI)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match done.recv_timeout(within) {
        Ok(out) => {
            let out = out.unwrap();
            (
                out.status.code(),
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8(out.stderr).unwrap(),
            )
        }
        Err(_) => {
            // Only the child this test started.
            let _ = Command::new("kill").arg(pid.to_string()).status();
            (None, String::new(), String::new())
        }
    }
}

/// `kraki book BTC/USD --json --count N` with `nats` (`--nats …` and its
/// options) until the relay has made its stream, or 30 s.
fn book_lines_once_relayed(nats: &[&str], n: usize) -> (Option<i32>, String, String) {
    let count = n.to_string();
    let mut book = vec!["book", "BTC/USD", "--json", "--count", &count];
    book.extend_from_slice(nats);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (code, out, err) = run_within(&book, Duration::from_secs(30));
        if !err.contains("stream not found") || std::time::Instant::now() > deadline {
            return (code, out, err);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_relay_and_a_book_reader_log_in_with_an_nkey() {
    let dir = TempDir::new("nkey");
    let user = nkeys::KeyPair::new_user();
    let seed = user.seed().unwrap();
    let config = format!(
        "authorization {{ users = [ {{ nkey: {:?} }} ] }}",
        user.public_key()
    );
    let Some(nats) = Nats::start_configured(&config) else {
        return;
    };
    let seed_file = dir.file("user.nk", &format!("{seed}\n"));
    let sim = Sim::start();
    let mut relay = Relay::spawn(
        &["book"],
        &nats.url(),
        sim.public_url(),
        &["--nats-nkey", &seed_file],
    );
    let url = nats.url();
    let (code, out, err) = book_lines_once_relayed(&["--nats", &url, "--nats-nkey", &seed_file], 3);
    assert_eq!(code, Some(0), "{err}");
    verified_lines(&out, 3);

    // Without the key the server refuses the reader, and says so.
    let (code, _, err) = run_within(
        &["book", "BTC/USD", "--nats", &url, "--count", "1"],
        Duration::from_secs(30),
    );
    assert!(matches!(code, Some(c) if c != 0), "{err}");
    assert!(err.to_lowercase().contains("authorization"), "{err}");

    let logged = relay.interrupt();
    assert!(logged.contains("published"), "{logged}");
    assert!(!logged.contains(&seed[2..]), "{logged}");
}

#[test]
fn the_relay_and_a_book_reader_log_in_with_the_urls_password_or_token() {
    // The server's configuration, the URL's user info right and wrong,
    // and the secret neither log nor error may show.
    for (config, good, wrong, secret) in [
        (
            r#"authorization { user: desk, password: "hunter2" }"#,
            "desk:hunter2",
            "desk:wr0ng-hunter3",
            "hunter",
        ),
        (
            r#"authorization { token: "s3cret" }"#,
            "s3cret",
            "wr0ng-s3cret",
            "s3cret",
        ),
    ] {
        let Some(nats) = Nats::start_configured(config) else {
            return;
        };
        let url = format!("nats://{good}@127.0.0.1:{}", nats.port);
        let sim = Sim::start();
        let mut relay = Relay::spawn(&["book"], &url, sim.public_url(), &[]);
        let (code, out, err) = book_lines_once_relayed(&["--nats", &url], 3);
        assert_eq!(code, Some(0), "{err}");
        verified_lines(&out, 3);

        // A wrong password or token: the server refuses the reader and
        // another relay, which say so without showing it.
        let wrong_url = format!("nats://{wrong}@127.0.0.1:{}", nats.port);
        let (code, _, err) = run_within(
            &["book", "BTC/USD", "--nats", &wrong_url, "--count", "1"],
            Duration::from_secs(30),
        );
        let (relay_code, _, relay_err) = run_within(
            &[
                "relay",
                "book",
                "--symbol",
                "BTC/USD",
                "--nats",
                &wrong_url,
                "--url",
                sim.public_url(),
            ],
            Duration::from_secs(30),
        );
        for (code, err) in [(code, err), (relay_code, relay_err)] {
            assert!(matches!(code, Some(c) if c != 0), "{code:?}: {err}");
            assert!(
                err.to_lowercase().contains("authorization violation"),
                "{err}"
            );
            assert!(!err.contains("wr0ng") && !err.contains(secret), "{err}");
        }

        let logged = relay.interrupt();
        assert!(logged.contains("published"), "{logged}");
        assert!(!logged.contains(secret), "{logged}");
    }
}

#[test]
fn over_tls_with_the_tests_ca_the_relay_publishes_and_a_book_reader_reads() {
    let dir = TempDir::new("tls");
    let pki = Pki::generate(&dir.0);
    let config = format!(
        "tls {{ cert_file: {:?}, key_file: {:?}, timeout: 5 }}",
        pki.server_cert, pki.server_key
    );
    let Some(nats) = Nats::start_configured(&config) else {
        return;
    };
    let url = format!("tls://127.0.0.1:{}", nats.port);
    let ca = pki.ca.to_str().unwrap();
    let sim = Sim::start();

    // Without the CA the server's certificate is checked against the
    // public web CAs: the relay stops at once, saying why.
    let (code, _, err) = run_within(
        &[
            "relay",
            "book",
            "--symbol",
            "BTC/USD",
            "--nats",
            &url,
            "--url",
            sim.public_url(),
        ],
        Duration::from_secs(30),
    );
    assert!(matches!(code, Some(c) if c != 0), "{code:?}: {err}");
    assert!(
        err.contains("certificate is not signed by a trusted CA"),
        "{err}"
    );
    // And so does the book reader.
    let (code, _, err) = run_within(
        &["book", "BTC/USD", "--nats", &url, "--count", "1"],
        Duration::from_secs(30),
    );
    assert!(matches!(code, Some(c) if c != 0), "{code:?}: {err}");
    assert!(
        err.contains("certificate is not signed by a trusted CA"),
        "{err}"
    );

    let mut relay = Relay::spawn(&["book"], &url, sim.public_url(), &["--nats-ca", ca]);
    let (code, out, err) = book_lines_once_relayed(&["--nats", &url, "--nats-ca", ca], 5);
    assert_eq!(code, Some(0), "{err}");
    let lines = verified_lines(&out, 5);
    assert!(!lines[0]["best_bid"]["price"].is_null(), "{out}");

    let logged = relay.interrupt();
    assert!(logged.contains("published"), "{logged}");
}

#[test]
fn bad_nats_files_are_refused_before_connecting_naming_the_file() {
    let dir = TempDir::new("badfiles");
    // Nothing listens on port 1: a refusal about a file must come first.
    let relay = |extra: &[&str]| {
        let mut args = vec![
            "relay",
            "trade",
            "--symbol",
            "BTC/USD",
            "--nats",
            "nats://127.0.0.1:1",
            "--url",
            "ws://127.0.0.1:1",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let missing = dir.0.join("missing-ca.pem");
    let missing = missing.to_str().unwrap();
    let junk = dir.file("junk.pem", "not a certificate hunter2");
    let bad_seed = dir.file("bad.nk", "SUhunter2hunter2hunter2\n");
    let creds = dir.file("seed-only.creds", "SUhunter2\n");
    let key = dir.file(
        "key.pem",
        "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
    );
    for (extra, named, why) in [
        (vec!["--nats-ca", missing], "missing-ca.pem", "No such file"),
        (vec!["--nats-ca", &junk], "junk.pem", "no PEM certificate"),
        (vec!["--nats-nkey", &bad_seed], "bad.nk", "seed"),
        (
            vec!["--nats-creds", &creds],
            "seed-only.creds",
            "no user JWT",
        ),
        (
            vec!["--nats-cert", &junk, "--nats-key", &key],
            "junk.pem",
            "no PEM certificate",
        ),
    ] {
        let (code, _, err) = relay(&extra);
        assert_ne!(code, 0, "{extra:?}");
        assert!(
            err.contains("NATS TLS or credentials setup")
                && err.contains(named)
                && err.contains(why),
            "{extra:?}: {err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        // The same check for the NATS book reader.
        let mut args = vec!["book", "BTC/USD", "--nats", "nats://127.0.0.1:1"];
        args.extend_from_slice(&extra);
        let (code, _, err) = run(&args);
        assert_ne!(code, 0, "{extra:?}");
        assert!(err.contains(named) && !err.contains("hunter2"), "{err}");
    }

    // Flags that make no sense together are refused by the parser.
    for (args, says) in [
        (vec!["book", "BTC/USD", "--nats-ca", missing], "--nats"),
        (
            vec![
                "book",
                "BTC/USD",
                "--nats",
                "nats://a",
                "--nats-cert",
                &junk,
            ],
            "--nats-key",
        ),
        (
            vec![
                "book",
                "BTC/USD",
                "--nats",
                "nats://a",
                "--nats-creds",
                &creds,
                "--nats-nkey",
                &bad_seed,
            ],
            "cannot be used with",
        ),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn a_password_for_another_host_is_refused_unencrypted_before_connecting() {
    // Nothing listens on port 1, and `bus.invalid` resolves nowhere: a
    // refusal about the URL must come first.
    let url = "nats://desk:hunter2@bus.invalid:4222";
    let relay = ["relay", "trade", "--symbol", "BTC/USD", "--nats", url];
    let relay: Vec<&str> = relay
        .into_iter()
        .chain(["--url", "ws://127.0.0.1:1"])
        .collect();
    let book = vec!["book", "BTC/USD", "--nats", url];
    for args in [&relay, &book] {
        let (code, out, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("refusing to send the URL's password or token unencrypted")
                && err.contains("tls://")
                && err.contains("--nats-danger-send-credentials-unencrypted"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("hunter2") && !out.contains("hunter2"),
            "{err}"
        );
    }
    // Asked for by name, the URL passes; the run then fails where it
    // connects, still without showing the password.
    let mut allowed = relay.clone();
    allowed.push("--nats-danger-send-credentials-unencrypted");
    let (code, _, err) = run(&allowed);
    assert_ne!(code, 0);
    assert!(!err.contains("refusing to send"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// `kraki book BTC/USD --json` output: `n` lines of BTC/USD, each
/// verified (its checksum the one computed), the first a snapshot.
fn verified_lines(out: &str, n: usize) -> Vec<serde_json::Value> {
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), n, "{out}");
    for line in &lines {
        assert_eq!(line["symbol"], "BTC/USD", "{out}");
        assert_eq!(line["ok"], true, "{out}");
        assert_eq!(line["checksum"], line["computed"], "{out}");
    }
    assert_eq!(lines[0]["type"], "snapshot", "{out}");
    lines
}
