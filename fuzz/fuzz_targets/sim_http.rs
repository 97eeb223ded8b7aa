//! Any bytes a client may send the simulator, as one connection: the
//! HTTP requests (heads, bodies, chunked or not, keep-alive) and, after an
//! upgrade, WebSocket frames. Nothing may panic and every input must end
//! (time is paused, so timeouts end stalled requests at once).

#![no_main]

use kraki_sim::fuzzing::HttpFuzzer;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

/// One service (and its runtime) for every input: building them is most
/// of the cost of a run.
static FUZZER: LazyLock<HttpFuzzer> = LazyLock::new(HttpFuzzer::new);

fuzz_target!(|data: &[u8]| {
    FUZZER.run(data);
});
