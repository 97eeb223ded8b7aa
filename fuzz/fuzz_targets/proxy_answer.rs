//! A proxy's answer to `CONNECT`: nothing may panic, and only a 2xx
//! status line may open the tunnel.

#![no_main]

use kraki::fuzzing::proxy_answer;
use kraki_fuzz::block_on;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if block_on(proxy_answer(data)).is_ok() {
        assert!(
            data.starts_with(b"HTTP/1.") && data.get(9) == Some(&b'2'),
            "tunnel opened by {data:?}"
        );
    }
});
