//! `kraki demo` on the real binary, not on a terminal: a summary a second,
//! verified checksums, exit 0 after `--duration`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn demo_without_a_terminal_reports_verified_checksums() {
    let out = Command::new(env!("CARGO_BIN_EXE_kraki"))
        .args(["demo", "--duration", "3", "--rate", "200"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().expect("no summary line");
    let field = |name: &str| -> u64 {
        last.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {last:?}"))
            .trim_end_matches("/s")
            .parse()
            .unwrap()
    };
    assert!(field("msgs") > 0, "{stdout}");
    assert!(field("verified") > 0, "{stdout}");
    assert_eq!(field("mismatched"), 0, "{stdout}");
    assert_eq!(field("reconnects"), 0, "{stdout}");
    assert!(stdout.lines().count() >= 2, "one line a second: {stdout}");
}
