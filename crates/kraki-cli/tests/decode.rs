//! `kraki decode` on the real binary: output formats and exit status.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kraki"))
        .arg("decode")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const BOOK: &str = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[{"price":29431.1,"qty":0.0},{"price":29433.3,"qty":1.2345e-05}],"checksum":3547452596,"timestamp":"2023-07-30T15:29:58.343415Z"}]}"#;
const ADD_OK: &str = r#"{"method":"add_order","req_id":123456789,"result":{"order_id":"AA5JGQ-SBMRC-SCJ7J7","order_userref":100054},"success":true,"time_in":"2023-09-21T14:15:07.197274Z","time_out":"2023-09-21T14:15:07.205301Z"}"#;
const UNKNOWN: &str = r#"{"channel":"futures_ticker","type":"update","data":[]}"#;

#[test]
fn prints_kinds_and_a_summary() {
    let input = format!("{BOOK}\n{ADD_OK}\n\n{UNKNOWN}\n");
    let out = run(&[], &input);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "book.update BTC/USD\nadd_order.ok\nunknown futures_ticker\n"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr, "3 decoded, 0 failed\n");
}

#[test]
fn json_output_has_exact_plain_numbers() {
    let out = run(&["--json", "-"], &format!("{BOOK}\n"));
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(r#""qty":0.000012345"#), "{stdout}");
    assert!(stdout.contains(r#""qty":0.0}"#), "{stdout}");
    assert!(stdout.contains(r#""checksum":3547452596"#), "{stdout}");
    let value: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(value["channel"], "book");
}

#[test]
fn bad_lines_are_reported_and_fail_the_run() {
    let input = format!("{BOOK}\nnot json\n{{\"channel\":\"book\"}}\n{ADD_OK}\n");
    let out = run(&[], &input);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, "book.update BTC/USD\nadd_order.ok\n");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[0].starts_with("line 2: "), "{stderr}");
    assert!(lines[0].contains("at byte 1 near `not json`"), "{stderr}");
    assert!(
        lines[1].starts_with("line 3: missing field `type`"),
        "{stderr}"
    );
    assert_eq!(lines[2], "2 decoded, 2 failed");
}

#[test]
fn reads_a_file_argument_and_reports_a_missing_one() {
    let dir = std::env::temp_dir().join(format!("kraki-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("frames.jsonl");
    std::fs::write(&path, format!("{ADD_OK}\n")).unwrap();
    let out = run(&[path.to_str().unwrap()], "");
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "add_order.ok\n");

    let missing = dir.join("nope.jsonl");
    let out = run(&[missing.to_str().unwrap()], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("cannot open"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}
