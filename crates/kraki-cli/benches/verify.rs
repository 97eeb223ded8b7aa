//! Whole-process speed of `kraki verify`: a recording of 100,000 real book
//! messages (the live capture in `../shared/fixtures`, repeated: snapshot
//! then 509 updates, again and again) read, decoded, applied and
//! checksummed by the real binary. Reports wall and CPU time per message,
//! process start included.
//!
//! `cargo bench -p kraki-cli --bench verify` (env `KRAKI_BENCH_MESSAGES`
//! changes the count, `KRAKI_BENCH_RUNS` the number of runs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::process::Command;
use std::time::Instant;

const KRAKI: &str = env!("CARGO_BIN_EXE_kraki");
const LIVE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/book-btcusd-live-2023-07-30.json"
);

/// The capture's frames, compact, numbers as Kraken wrote them.
fn live_frames() -> Option<Vec<String>> {
    let text = std::fs::read_to_string(LIVE).ok()?;
    #[derive(serde::Deserialize)]
    struct Capture {
        init: Box<serde_json::value::RawValue>,
        updates: Vec<Box<serde_json::value::RawValue>>,
    }
    let capture: Capture = serde_json::from_str(&text).expect("the capture parses");
    let compact = |raw: &serde_json::value::RawValue| {
        // Only whitespace between tokens goes; the capture has no strings
        // with spaces, so number text is kept byte for byte.
        raw.get().split_whitespace().collect::<String>()
    };
    let mut frames = vec![compact(&capture.init)];
    frames.extend(capture.updates.iter().map(|u| compact(u)));
    Some(frames)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// User + system CPU seconds of finished children so far.
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces, hence the
    // last ')'): cutime and cstime are the 14th and 15th from there.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Clock ticks are 100 per second on Linux.
    (ticks(13) + ticks(14)) / 100.0
}

fn main() {
    let Some(frames) = live_frames() else {
        println!("verify bench skipped: {LIVE} is absent");
        return;
    };
    let messages = env_number("KRAKI_BENCH_MESSAGES", 100_000);
    let runs = env_number("KRAKI_BENCH_RUNS", 10).max(1);
    let mut text = String::new();
    for frame in frames.iter().cycle().take(messages) {
        text.push_str(frame);
        text.push('\n');
    }
    let path =
        std::env::temp_dir().join(format!("kraki-verify-bench-{}.jsonl", std::process::id()));
    std::fs::write(&path, text).unwrap();

    let mut walls = Vec::new();
    let cpu_before = children_cpu();
    for _ in 0..runs {
        let started = Instant::now();
        let out = Command::new(KRAKI)
            .args(["verify", path.to_str().unwrap()])
            .args(["--price-precision", "1", "--qty-precision", "8"])
            .output()
            .unwrap();
        walls.push(started.elapsed().as_secs_f64());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "kraki verify failed: {stderr}");
        assert_eq!(
            stdout.trim_end(),
            format!("{messages} verified, 0 mismatched"),
            "{stderr}"
        );
    }
    let cpu = (children_cpu() - cpu_before) / runs as f64;
    let _ = std::fs::remove_file(&path);
    walls.sort_by(f64::total_cmp);
    let per_message = |seconds: f64| seconds * 1e9 / messages as f64;
    println!(
        "kraki verify, {messages} live book messages, {runs} runs: wall min {:.0} ns/msg, median {:.0} ns/msg; CPU mean {:.0} ns/msg (process start included)",
        per_message(walls[0]),
        per_message(walls[walls.len() / 2]),
        per_message(cpu)
    );
}
