//! A REST request's parameters: Kraken takes them as a URL query (GET) or
//! a form body (POST), percent-encoded either way, and clients send both.

/// The parameters of one request, from its query and its form body; a
/// name in both takes the body's value, as the body is what is signed.
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub(crate) fn new(query: &str, body: &[u8]) -> Params {
        let form = std::str::from_utf8(body).unwrap_or("");
        let mut pairs = Vec::new();
        for text in [form, query] {
            for (k, v) in text.split('&').filter_map(|kv| kv.split_once('=')) {
                let name = percent_decode(k);
                if !pairs.iter().any(|(n, _): &(String, String)| *n == name) {
                    pairs.push((name, percent_decode(v)));
                }
            }
        }
        Params { pairs }
    }

    /// The decoded value of `name`, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter: `true`/`false` in any case, as the widely used
    /// clients send them; `None` when absent or not a boolean.
    pub(crate) fn flag(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            v if v.eq_ignore_ascii_case("true") => Some(true),
            v if v.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => match std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            },
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decoded_from_query_and_form() {
        let params = Params::new("a=1&pair=BTC%2FUSD", b"b=x+y&a=2");
        assert_eq!(params.get("pair"), Some("BTC/USD"));
        assert_eq!(params.get("b"), Some("x y"));
        assert_eq!(params.get("a"), Some("2"), "the body wins");
        assert_eq!(params.get("apair"), None);
    }

    #[test]
    fn flags_take_either_case() {
        let params = Params::new("x=True&y=false&z=1", b"");
        assert_eq!(params.flag("x"), Some(true));
        assert_eq!(params.flag("y"), Some(false));
        assert_eq!(params.flag("z"), None);
        assert_eq!(params.flag("w"), None);
    }
}
