//! `kraki record` from the simulator, then `kraki verify` and
//! `kraki replay` on the recording, all on the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Replay, Sim, run};

#[test]
fn record_then_verify_without_flags_then_replay_to_a_client() {
    let sim = Sim::start();
    let dir = std::env::temp_dir().join(format!("kraki-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("book.krec");
    let file = file.to_str().unwrap();
    let (code, _, err) = run(&[
        "record",
        "book",
        "--symbol",
        "BTC/USD",
        "--symbol",
        "DOGE/USD",
        "--depth",
        "25",
        "--url",
        sim.public_url(),
        "--out",
        file,
        "--duration",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("frames recorded to"), "{err}");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.starts_with(r#"{"kraki_recording":1,"#),
        "versioned header"
    );
    assert!(text.contains(r#""channel":"instrument","type":"snapshot""#));
    assert!(text.contains(r#""method":"subscribe""#), "acks are kept");

    // Verify needs no flags: precision from the instrument snapshot, depth
    // from the acks.
    let (code, out, err) = run(&["verify", file]);
    assert_eq!(code, 0, "{err}");
    let last = out.lines().last().unwrap();
    assert!(last.ends_with("verified, 0 mismatched"), "{out}");
    let verified: u64 = last.split(' ').next().unwrap().parse().unwrap();
    assert!(verified > 10, "{out}");

    // Replay: a client receives the recorded messages.
    let replay = Replay::start(file);
    let (code, out, err) = run(&[
        "book",
        "DOGE/USD",
        "--depth",
        "25",
        "--url",
        &replay.url,
        "--count",
        "5",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["type"], "snapshot");
    assert!(lines.iter().all(|l| l["ok"] == true), "{out}");
    // And `stream` receives the recorded book messages as they were sent.
    let (code, out, err) = run(&[
        "stream",
        "book",
        "--symbol",
        "BTC/USD",
        "--url",
        &replay.url,
        "--count",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("book snapshot BTC/USD "), "{out}");
    let first_update = lines[1].split("checksum=").nth(1).unwrap();
    assert!(
        text.contains(&format!("\"checksum\":{first_update}")),
        "the replayed update is the recorded one"
    );
    std::fs::remove_dir_all(&dir).ok();
}
