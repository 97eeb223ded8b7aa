//! Bytes a NATS server sends, read by the relay publisher's protocol
//! reader: nothing may panic, and the bytes cut in pieces must read as
//! the same frames, with the same error, as the bytes whole.
//!
//! Input: byte 0 picks the piece size, the rest is what the server sends.

#![no_main]

use kraki::fuzzing::nats_frames;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [cut, bytes @ ..] = data else {
        return;
    };
    let cuts = [usize::from(*cut), 1, usize::from(*cut) * 7];
    let whole = nats_frames(bytes, &[usize::MAX]);
    assert_eq!(nats_frames(bytes, &cuts), whole);
});
