//! A server's answer to the client's WebSocket upgrade request: nothing
//! may panic, and only a 101 may be taken for a handshake.

#![no_main]

use kraki::fuzzing::handshake_answer;
use kraki_fuzz::block_on;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if block_on(handshake_answer(data)).is_ok() {
        assert!(data.starts_with(b"HTTP/1.1 101"), "accepted {data:?}");
    }
});
