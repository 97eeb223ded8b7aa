//! Kraken's REST request signature (protocol reference §8.3):
//! `base64(HMAC-SHA512(base64_decode(secret), path || SHA256(nonce || body)))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::{digest, hmac};

/// The `API-Sign` header for a POST of `body` to `path` (e.g.
/// `/0/private/GetWebSocketsToken`) with `nonce`, which must also be in
/// `body`.
pub(crate) fn api_sign(secret: &[u8], path: &str, nonce: u64, body: &[u8]) -> String {
    let mut inner = digest::Context::new(&digest::SHA256);
    inner.update(nonce.to_string().as_bytes());
    inner.update(body);
    let hash = inner.finish();
    let key = hmac::Key::new(hmac::HMAC_SHA512, secret);
    let mut outer = hmac::Context::with_key(&key);
    outer.update(path.as_bytes());
    outer.update(hash.as_ref());
    BASE64.encode(outer.sign().as_ref())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const DOCS_SECRET: &str =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

    fn secret(b64: &str) -> Vec<u8> {
        BASE64.decode(b64).unwrap()
    }

    #[test]
    fn krakens_published_vector() {
        let body =
            "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        assert_eq!(
            api_sign(
                &secret(DOCS_SECRET),
                "/0/private/AddOrder",
                1_616_492_376_594,
                body.as_bytes()
            ),
            "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
        );
    }

    #[test]
    fn token_request_vectors_form_and_json() {
        let path = "/0/private/GetWebSocketsToken";
        assert_eq!(
            api_sign(
                &secret(DOCS_SECRET),
                path,
                1_616_492_376_594,
                b"nonce=1616492376594"
            ),
            "+mRDmY9Ks0Moc1zjv/BjfvYa98buO0x1yHChZR5onlfAzAUbfIYlLggUZzdQ0RsmXm4Sh+Q8iAIZdo2wSeHeiA=="
        );
        assert_eq!(
            api_sign(
                &secret(DOCS_SECRET),
                path,
                1_616_492_376_594,
                br#"{"nonce":1616492376594}"#
            ),
            "yl7HvQ7MH+jWgPjH8r2+qILii9+OjPXXmiYU0uJ3ZdoxQGQlSfjTrhVW8NhLKbAnVRjuuiqkn/lDVd8AhdBrfQ=="
        );
        assert_eq!(
            api_sign(
                &secret("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="),
                "/0/private/Balance",
                1_700_000_000_000_000_000,
                b"nonce=1700000000000000000"
            ),
            "6i7+cpXVLDDnDOekgsRcgFQhkYFyPDSSxhSVA8OrA6vjziXcy2K1DP3n7f9B/Kgni71WjBSQusZKxduRsdF20Q=="
        );
    }
}
