//! `kraki verify` on the real binary, with the live capture turned into
//! recordings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::Timestamp;
use kraki_proto::recording::{compact_json, frame_line, header_line};
use std::path::PathBuf;
use std::process::Command;

const LIVE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/book-btcusd-live-2023-07-30.json"
);

/// The capture's frames (1 snapshot, 509 updates), or `None` when absent.
fn live_frames() -> Option<Vec<String>> {
    let Ok(text) = std::fs::read_to_string(LIVE) else {
        eprintln!("note: {LIVE} is absent; this test is skipped");
        return None;
    };
    #[derive(serde::Deserialize)]
    struct Capture {
        init: Box<serde_json::value::RawValue>,
        updates: Vec<Box<serde_json::value::RawValue>>,
    }
    let c: Capture = serde_json::from_str(&text).unwrap();
    // The capture is pretty-printed; a frame per line needs it compact.
    let mut frames = vec![compact_json(c.init.get())];
    frames.extend(c.updates.iter().map(|u| compact_json(u.get())));
    Some(frames)
}

fn temp(name: &str, lines: &[String]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kraki-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn verify(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kraki"))
        .arg("verify")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The capture as `kraki record` writes it: header, instrument snapshot,
/// subscribe ack, then the book frames with receive times.
fn recording(frames: &[String]) -> Vec<String> {
    let t = Timestamp::parse("2023-07-30T15:29:00.000000000Z").unwrap();
    let instrument = r#"{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":0.00000001,"price_precision":1,"cost_precision":5,"marginable":true,"has_index":true,"cost_min":0.5,"tick_size":0.1,"price_increment":0.1,"qty_min":0.0001}]}}"#;
    let ack = r#"{"method":"subscribe","req_id":1,"result":{"channel":"book","depth":10,"snapshot":true,"symbol":"BTC/USD"},"success":true,"time_in":"2023-07-30T15:29:00.000000Z","time_out":"2023-07-30T15:29:00.000100Z"}"#;
    let mut lines = vec![
        header_line(t, "wss://ws.kraken.com/v2"),
        frame_line(t, instrument),
        frame_line(t, ack),
    ];
    lines.extend(frames.iter().map(|f| frame_line(t, f)));
    lines
}

#[test]
fn a_recording_needs_no_flags_and_verifies_all_510() {
    let Some(frames) = live_frames() else { return };
    let path = temp("live.krec", &recording(&frames));
    let (code, out, err) = verify(&[path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "510 verified, 0 mismatched\n");
}

#[test]
fn raw_frames_with_flags_and_json_lines() {
    let Some(frames) = live_frames() else { return };
    let path = temp("raw.jsonl", &frames);
    let (code, out, err) = verify(&[
        path.to_str().unwrap(),
        "--price-precision",
        "1",
        "--qty-precision",
        "8",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 511);
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["symbol"], "BTC/USD");
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["checksum"], 2_785_033_588u64);
    assert_eq!(first["computed"], 2_785_033_588u64);
    assert_eq!(first["ok"], true);
    assert_eq!(lines[510], "510 verified, 0 mismatched");
}

#[test]
fn a_corrupted_checksum_is_a_mismatch_then_skips_until_a_snapshot() {
    let Some(mut frames) = live_frames() else {
        return;
    };
    // Frame 100 (an update) carries a checksum one off.
    let frame = &frames[100];
    let at = frame.find("\"checksum\":").unwrap() + 11;
    let digits: String = frame[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let wrong = digits.parse::<u32>().unwrap().wrapping_add(1);
    frames[100] = format!("{}{wrong}{}", &frame[..at], &frame[at + digits.len()..]);
    let path = temp("corrupt.krec", &recording(&frames));
    let (code, out, _) = verify(&[path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(out, "100 verified, 1 mismatched, 409 skipped\n");
}

#[test]
fn no_precision_is_a_clear_error() {
    let frames = [r#"{"channel":"book","type":"snapshot","data":[{"symbol":"ETH/USD","bids":[{"price":1.0,"qty":1.0}],"asks":[],"checksum":0}]}"#.to_owned()];
    let path = temp("noprec.jsonl", &frames);
    let (code, out, err) = verify(&[path.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert_ne!(code, 1, "an error, not a mismatch");
    assert!(out.is_empty());
    assert!(err.contains("no precision for ETH/USD"), "{err}");
}
