//! A proxy's answer to `CONNECT`: nothing may panic, and only a 2xx
//! status line may open the tunnel.

#![no_main]

use kraki::fuzzing::proxy_answer;
use kraki_fuzz::block_on;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if block_on(proxy_answer(data)).is_ok() {
        let text = String::from_utf8_lossy(data);
        let status_line = text.trim_start();
        assert!(
            status_line.starts_with("HTTP/1.") && status_line.get(9..10) == Some("2"),
            "tunnel opened by {data:?}"
        );
        assert!(text.contains("\r\n\r\n"), "tunnel opened by {data:?}");
    }
});
