//! The form body of a signed call: the nonce first, then the parameters,
//! percent-encoded as `application/x-www-form-urlencoded`. The signature
//! covers these exact bytes.

/// `nonce=N&name=value&…`.
pub(crate) fn form_body(nonce: u64, params: &[(&str, String)]) -> String {
    let mut body = format!("nonce={nonce}");
    for (name, value) in params {
        body.push('&');
        encode_into(&mut body, name);
        body.push('=');
        encode_into(&mut body, value);
    }
    body
}

/// Percent-encodes all but the unreserved characters of RFC 3986.
fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_comes_first_and_values_are_encoded() {
        let params = [
            ("txid", "OABC-1,OXYZ-2".to_owned()),
            ("pair", "BTC/USD".to_owned()),
            ("ofs", "50".to_owned()),
        ];
        assert_eq!(
            form_body(7, &params),
            "nonce=7&txid=OABC-1%2COXYZ-2&pair=BTC%2FUSD&ofs=50"
        );
        assert_eq!(form_body(8, &[]), "nonce=8");
    }
}
