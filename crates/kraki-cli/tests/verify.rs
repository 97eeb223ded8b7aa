//! `kraki verify` on the real binary, with the live capture turned into
//! recordings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::Timestamp;
use kraki_proto::recording::{compact_json, frame_line, header_line};
use std::path::{Path, PathBuf};
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

/// A file in the temp directory, removed when the test ends, passed or not.
struct TempFile(PathBuf);

impl std::ops::Deref for TempFile {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_bytes(name: &str, bytes: &[u8]) -> TempFile {
    let path = std::env::temp_dir().join(format!("kraki-verify-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    TempFile(path)
}

fn temp(name: &str, lines: &[String]) -> TempFile {
    temp_bytes(name, (lines.join("\n") + "\n").as_bytes())
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
    assert_eq!(code, 2, "an error, not a mismatch");
    assert!(err.contains("no precision for ETH/USD"), "{err}");
    // The tally is still the last line written.
    assert_eq!(out, "0 verified, 0 mismatched\n");
}

#[test]
fn json_lines_for_mismatch_and_skipped_updates() {
    let Some(mut frames) = live_frames() else {
        return;
    };
    frames.truncate(4);
    // The snapshot's checksum is wrong: the updates after it are skipped.
    frames[0] = frames[0].replace("\"checksum\":2785033588", "\"checksum\":1");
    let path = temp("skipped.jsonl", &frames);
    let (code, out, _) = verify(&[
        path.to_str().unwrap(),
        "--price-precision",
        "1",
        "--qty-precision",
        "8",
        "--json",
    ]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"symbol":"BTC/USD","type":"snapshot","checksum":1,"computed":2785033588,"ok":false}"#
    );
    assert!(
        lines[1].ends_with(r#","computed":null,"ok":false,"skipped":true}"#),
        "{}",
        lines[1]
    );
    assert_eq!(lines[4], "0 verified, 1 mismatched, 3 skipped");
    assert_eq!(lines.len(), 5);
}

#[test]
fn depth_comes_from_the_flag_else_the_snapshot() {
    let Some(frames) = live_frames() else { return };
    let path = temp("depth.jsonl", &frames);
    let flags = ["--price-precision", "1", "--qty-precision", "8"];
    // No ack in a file of bare frames: the snapshot's 10 levels per side.
    let (code, out, _) = verify(&[&[path.to_str().unwrap()][..], &flags].concat());
    assert_eq!((code, out.as_str()), (0, "510 verified, 0 mismatched\n"));
    // A depth of 5 disagrees with what the server kept.
    let (code, out, _) = verify(&[&[path.to_str().unwrap(), "--depth", "5"][..], &flags].concat());
    assert_eq!(code, 1);
    assert!(out.starts_with("0 verified, 1 mismatched"), "{out}");
}

#[test]
fn values_finer_than_the_precision_are_reported() {
    let frames = [
        r#"{"channel":"book","type":"snapshot","data":[{"symbol":"X/Y","bids":[{"price":1.25,"qty":1}],"asks":[],"checksum":0}]}"#.to_owned(),
    ];
    let path = temp("finer.jsonl", &frames);
    let (code, out, err) = verify(&[
        path.to_str().unwrap(),
        "--price-precision",
        "1",
        "--qty-precision",
        "0",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("line 1: X/Y: price 1.25 does not fit 1 decimal places"),
        "{err}"
    );
    assert_eq!(out, "0 verified, 1 mismatched\n");
}

/// §7.3's docs snapshot as a level3 recording, then updates whose checksums
/// the book itself must reproduce.
#[test]
fn level3_recordings_verify() {
    let t = Timestamp::parse("2023-12-01T00:00:00Z").unwrap();
    let snapshot = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kraki-proto/tests/fixtures/level3-docs-snapshot.json"
    ))
    .unwrap();
    let snapshot = snapshot.trim_end();
    let instrument = r#"{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":0.00000001,"price_precision":1,"cost_precision":5,"marginable":true,"has_index":true,"cost_min":0.5,"tick_size":0.1,"price_increment":0.1,"qty_min":0.0001}]}}"#;
    // Deleting the only order at 44937.1 makes 44937.1 vanish from the
    // checksum text; its value is computed independently here.
    let bids_text = "449394889686994493944521000044939410000000449394142963234493942500000044939410292988449394338800004493941281408604493713346877449347356300004493022273429944930210000004493025550000449302700000004493021500000044928010524044919633870000449195761000044912035630000449097669000044901988982";
    let asks_text = "44939545230839344939511126144939510000044939510000004495001033492644953064537449550250000449596356300004495963563000044960133807244960288967575449670314392283449785677896044979235630000";
    let without = bids_text.replace("4493713346877", "");
    let sum = crc32fast::hash(format!("{asks_text}{without}").as_bytes());
    let update = format!(
        r#"{{"channel":"level3","type":"update","data":[{{"checksum":{sum},"timestamp":"2023-12-01T00:00:01.000000000Z","symbol":"BTC/USD","bids":[{{"event":"delete","order_id":"B9","limit_price":44937.1,"order_qty":0.03346877,"timestamp":"2023-12-01T00:00:01.000000000Z"}}],"asks":[]}}]}}"#
    );
    let lines = vec![
        header_line(t, "wss://ws-l3.kraken.com/v2"),
        frame_line(t, instrument),
        frame_line(t, snapshot),
        frame_line(t, &update),
    ];
    let path = temp("l3.krec", &lines);
    let (code, out, err) = verify(&[path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(
        out.contains(r#""type":"snapshot","checksum":1063832831,"computed":1063832831,"ok":true"#),
        "{out}"
    );
    assert!(out.ends_with("2 verified, 0 mismatched\n"), "{out}");
}

/// Every kind of line in one file: the fast path and the general path
/// agree on the counts, and line numbers in errors stay right.
#[test]
fn mixed_lines_line_endings_and_bad_bytes() {
    let Some(frames) = live_frames() else { return };
    let t = Timestamp::parse("2023-07-30T15:29:00.000000000Z").unwrap();
    let mut file: Vec<u8> = Vec::new();
    let lines = recording(&frames[..3]);
    // header, instrument, ack as written; the snapshot bare with CRLF; an
    // empty line; a notice; an update with a space before its end; bytes
    // that are not UTF-8; the last update as written, without a final
    // line break.
    for line in &lines[..3] {
        file.extend_from_slice(line.as_bytes());
        file.push(b'\n');
    }
    file.extend_from_slice(frames[0].as_bytes());
    file.extend_from_slice(b"\r\n\n");
    file.extend_from_slice(frame_line(t, "CloudFlare WebSocket proxy restarting").as_bytes());
    file.push(b'\n');
    file.extend_from_slice(frame_line(t, &frames[1]).as_bytes());
    file.extend_from_slice(b" \n\xff\xfe\n");
    file.extend_from_slice(frame_line(t, &frames[2]).as_bytes());
    let path = temp_bytes("mixed.krec", &file);
    let (code, out, err) = verify(&[path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "3 verified, 0 mismatched\n");
    assert!(err.contains("line 6: "), "{err}");
    assert!(err.contains("line 8: not UTF-8 at byte 0"), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
}
