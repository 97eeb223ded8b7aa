//! Any text given to the decoders: nothing may panic, and what decodes
//! must survive a round trip.

#![no_main]

use kraki_proto::{Decimal, Timestamp, decode, decode_request, recycle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(inbound) = decode(text) {
        recycle(inbound);
    }
    // What the simulator reads from its clients.
    if let Ok(request) = decode_request(text) {
        let encoded = request.encode().expect("a decoded request encodes");
        let again = decode_request(&encoded).expect("an encoded request decodes");
        assert_eq!(again, request, "{text:?} → {encoded:?}");
    }
    if let Ok(decimal) = text.parse::<Decimal>() {
        let shown = decimal.to_string();
        assert_eq!(
            shown.parse::<Decimal>(),
            Ok(decimal),
            "{text:?} → {shown:?}"
        );
    }
    let _ = text.parse::<Timestamp>();
});
