//! Bytes a server sends after its 101, read by the client's WebSocket
//! reader with message reassembly: nothing may panic, no message may be
//! over the cap, and the bytes arrive cut in pieces so every partial-read
//! path runs.
//!
//! Input: byte 0 picks the message cap, byte 1 the piece size, the rest
//! is what the server sends.

#![no_main]

use kraki::fuzzing::{Message, websocket_frames};
use kraki_fuzz::block_on;
use libfuzzer_sys::fuzz_target;

/// Caps around the frame header's length encodings (7-bit, 16-bit,
/// 64-bit) and the client's default.
const CAPS: [usize; 6] = [16, 125, 126, 65_535, 65_536, 16 << 20];

fuzz_target!(|data: &[u8]| {
    let [cap, cut, frames @ ..] = data else {
        return;
    };
    let cap = CAPS[usize::from(*cap) % CAPS.len()];
    let cuts = [usize::from(*cut), 1, usize::from(*cut) * 7];
    let (messages, _) = block_on(websocket_frames(frames, &cuts, cap));
    for message in &messages {
        if let Message::Text(len) = message {
            assert!(*len <= cap, "a {len}-byte message under a {cap}-byte cap");
        }
    }
});
