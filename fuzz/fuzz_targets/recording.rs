//! The recording reader on any text: nothing panics, the fast path
//! (`split_frame`) agrees with the general reader on every line it takes
//! that is valid, and what the writers write reads back as written.

#![no_main]

use kraki_proto::Timestamp;
use kraki_proto::recording::{RecordLine, compact_json, frame_line, header_line, split_frame};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines() {
        let parsed = RecordLine::parse(line);
        if let Some((recv, frame)) = split_frame(line) {
            let time = Timestamp::parse(recv);
            let json = serde_json::from_str::<&RawValue>(frame).is_ok();
            if let (Ok(time), true) = (time, json) {
                match &parsed {
                    Ok(RecordLine::Frame { recv, text }) => {
                        assert_eq!(*recv, Some(time), "{line:?}");
                        assert_eq!(text.trim(), frame.trim(), "{line:?}");
                    }
                    other => panic!("split as a frame, read as {other:?}: {line:?}"),
                }
            }
        }
        let _ = compact_json(line);

        let recv = Timestamp::from_unix(1_700_000_000, 123_456_789, 9).expect("a valid time");
        let written = frame_line(recv, line);
        match RecordLine::parse(&written) {
            Ok(RecordLine::Frame { recv: back, text }) => {
                assert_eq!(back, Some(recv), "{written:?}");
                if !line.contains('\r') {
                    let json = serde_json::from_str::<&RawValue>(line).is_ok();
                    let expected = if json { line.trim() } else { line };
                    assert_eq!(text, expected, "{written:?}");
                }
            }
            other => panic!("{line:?} written as {written:?} reads as {other:?}"),
        }
        let header = header_line(recv, line);
        match RecordLine::parse(&header) {
            Ok(RecordLine::Header { url, .. }) => {
                assert_eq!(url.as_deref(), Some(line), "{header:?}");
            }
            other => panic!("header {header:?} reads as {other:?}"),
        }
    }
});
