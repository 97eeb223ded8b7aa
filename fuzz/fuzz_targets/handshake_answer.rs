//! A server's answer to the client's WebSocket upgrade request: nothing
//! may panic, and no answer may be taken for a handshake, since none can
//! carry the `Sec-WebSocket-Accept` of the client's fresh random key.

#![no_main]

use kraki::fuzzing::handshake_answer;
use kraki_fuzz::block_on;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let result = block_on(handshake_answer(data));
    assert!(result.is_err(), "accepted {data:?}");
});
