//! A server's answer to the client's REST request, read by the client's
//! HTTP/1.1 reader (hyper with kraki's limits): nothing may panic, and a
//! body read whole can be no longer than what was sent.

#![no_main]

use kraki::fuzzing::http_response;
use kraki_fuzz::block_on;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((status, body)) = block_on(http_response(data)) {
        assert!((100..1000).contains(&status), "status {status}");
        assert!(body <= data.len(), "a {body}-byte body from {} bytes", data.len());
    }
});
